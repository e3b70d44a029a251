package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cwzap/cwzap/cwlogstest"
)

// liveStream is stream with a live tail that sends updates every 10 ms.
func liveStream(t *testing.T, msgs ...string) (*cwlogstest.Server, int64) {
	t.Helper()
	srv := cwlogstest.NewUnstartedServer()
	srv.LiveTailInterval = 10 * time.Millisecond
	srv.Start()
	return fill(t, srv, msgs...)
}

func TestTailFollowUsesTheLiveTail(t *testing.T) {
	isolate(t)
	srv, now := liveStream(t, "ERROR old", "INFO old")
	out, stop := background(t, "tail", "-group", "g", "-stream", "s", "-endpoint", srv.URL, "-f", "-filter", "ERROR", "-interval", "5ms")
	out.waitFor(t, "ERROR old\n")
	polls := srv.Calls("FilterLogEvents") // the history's
	putAt(t, srv, now+1, "INFO new")
	putAt(t, srv, now+2, "ERROR new")
	got := out.waitFor(t, "ERROR new\n")
	if err := stop(); err != nil {
		t.Errorf("tail -f returned %v when interrupted", err)
	}
	if srv.Calls("StartLiveTail") != 1 || srv.Calls("FilterLogEvents") != polls {
		t.Errorf("StartLiveTail calls %d, FilterLogEvents calls %d after the history (%d before): want one session and no polling; output %q",
			srv.Calls("StartLiveTail"), srv.Calls("FilterLogEvents"), polls, got)
	}
	if strings.Contains(got, "INFO") || strings.Count(got, "ERROR old") != 1 {
		t.Errorf("tail -f -filter ERROR printed %q", got)
	}
}

// refuser is a proxy in front of a server that refuses StartLiveTail, as
// an endpoint without it would, and throttles the FilterLogEvents calls
// it is told to.
type refuser struct {
	*httptest.Server
	throttle atomic.Int64 // FilterLogEvents calls still to throttle
}

func newRefuser(t *testing.T, target string) *refuser {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	r := &refuser{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "Logs_20140328.")
		switch {
		case op == "StartLiveTail":
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"__type":"UnknownOperationException","message":"no live tail here"}`))
		case op == "FilterLogEvents" && r.throttle.Add(-1) >= 0:
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"__type":"ThrottlingException","message":"Rate exceeded"}`))
		default:
			proxy.ServeHTTP(w, req)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func TestTailFollowPollsWithoutALiveTail(t *testing.T) {
	isolate(t)
	srv, now := stream(t, "old event")
	proxy := newRefuser(t, srv.URL)
	out, stop := background(t, "tail", "-group", "g", "-stream", "s", "-endpoint", proxy.URL, "-f", "-interval", "5ms")
	out.waitFor(t, "old event\n")
	proxy.throttle.Store(3)
	putAt(t, srv, now+1, "new event one")
	out.waitFor(t, "new event one\n")
	putAt(t, srv, now+2, "new event two")
	got := out.waitFor(t, "new event two\n")
	if err := stop(); err != nil {
		t.Errorf("tail -f returned %v when interrupted", err)
	}
	if strings.Count(got, "cwzap tail: no live tail") != 1 || !strings.Contains(got, "UnknownOperationException") ||
		!strings.Contains(got, "polling FilterLogEvents every -interval (5ms)") {
		t.Errorf("tail -f did not say once why it polls: %q", got)
	}
	if strings.Count(got, "throttled") != 1 {
		t.Errorf("tail -f did not say once that it is throttled: %q", got)
	}
	if strings.Count(got, "new event one") != 1 || strings.Count(got, "old event") != 1 {
		t.Errorf("tail -f printed an event twice: %q", got)
	}
}
