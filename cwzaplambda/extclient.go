package cwzaplambda

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// extClient speaks the Lambda Extensions API: register once, then next
// for every event.
type extClient struct {
	base string // http://host:port/2020-01-01/extension/
	hc   *http.Client
}

// extEvent is the part of an Extensions API event that Wrap reads.
type extEvent struct {
	EventType  string `json:"eventType"`
	RequestID  string `json:"requestId"`
	DeadlineMs int64  `json:"deadlineMs"`
}

func newExtClient(api string) *extClient {
	return &extClient{
		base: "http://" + api + "/2020-01-01/extension/",
		// No client timeout: next blocks until the next event, for as
		// long as the environment lives; contexts bound the calls.
		hc: &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2}},
	}
}

// register registers an internal extension called name for events and
// returns its identifier.
func (c *extClient) register(ctx context.Context, name string, events []string) (string, error) {
	if events == nil {
		events = []string{}
	}
	body, err := json.Marshal(struct {
		Events []string `json:"events"`
	}{events})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"register", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Lambda-Extension-Name", name)
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("register extension %q: %s: %s", name, resp.Status, bytes.TrimSpace(msg))
	}
	id := resp.Header.Get("Lambda-Extension-Identifier")
	if id == "" {
		return "", fmt.Errorf("register extension %q: no Lambda-Extension-Identifier in the answer", name)
	}
	return id, nil
}

// next tells Lambda the extension is done with the previous event and
// waits for the next one.
func (c *extClient) next(ctx context.Context, id string) (extEvent, error) {
	var ev extEvent
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"event/next", nil)
	if err != nil {
		return ev, err
	}
	req.Header.Set("Lambda-Extension-Identifier", id)
	resp, err := c.hc.Do(req)
	if err != nil {
		return ev, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return ev, fmt.Errorf("extension next: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	if err := json.NewDecoder(resp.Body).Decode(&ev); err != nil {
		return ev, fmt.Errorf("extension next: decode event: %w", err)
	}
	return ev, nil
}

// close releases idle connections.
func (c *extClient) close() { c.hc.CloseIdleConnections() }
