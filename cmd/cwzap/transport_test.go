package main

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// spy is a transport that keeps the request bodies it is handed, so that
// a test can drain them as http.Transport does after sending one.
type spy struct {
	mu     sync.Mutex
	bodies []io.Reader
}

func (s *spy) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.bodies = append(s.bodies, r.Body)
	s.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// http.Transport drains a sent body of known length once more
// (transferWriter.writeBody); the SDK has closed it by then when the
// answer came first. That drain must see the end of the body, not an
// error, or the transport closes the connection under the answer's body
// ("WARN failed to discard remaining HTTP response body"). The drain runs
// here after the call, the order a fast endpoint makes.
func TestRequestBodiesSurviveTheTransportsLastDrain(t *testing.T) {
	isolate(t)
	srv, _ := stream(t, "x")
	tg := target{group: "g", stream: "s", endpointFlag: srv.URL, timeout: defaultTimeout}
	c, err := tg.client(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Every request of pipe and tail goes through readOnlyBodies: -timeout
	// bounds each, but a live tail session (a body read for hours).
	tests := []struct {
		name        string
		give        aws.HTTPClient
		wantTimeout time.Duration
	}{
		{"the client's", c.Options().HTTPClient, defaultTimeout},
		{"the live tail's", untimed(c.Options().HTTPClient), 0},
	}
	for _, tt := range tests {
		rb, ok := tt.give.(readOnlyBodies)
		if !ok {
			t.Fatalf("%s HTTP client is a %T, not readOnlyBodies", tt.name, tt.give)
		}
		if b, ok := rb.HTTPClient.(*awshttp.BuildableClient); !ok || b.GetTimeout() != tt.wantTimeout {
			t.Errorf("%s HTTP client is %T (%v), want the SDK's BuildableClient with timeout %v", tt.name, rb.HTTPClient, ok, tt.wantTimeout)
		}
	}

	sp := &spy{}
	c = cloudwatchlogs.NewFromConfig(srv.Config(), func(o *cloudwatchlogs.Options) {
		o.HTTPClient = readOnlyBodies{&http.Client{Transport: sp}}
	})
	if _, err := c.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	if len(sp.bodies) != 1 {
		t.Fatalf("%d requests, want 1", len(sp.bodies))
	}
	if n, err := io.Copy(io.Discard, sp.bodies[0]); err != nil || n != 0 {
		t.Errorf("draining the sent, closed body: %d bytes, %v; want 0 and the end of the body", n, err)
	}
}
