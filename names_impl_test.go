package cwzap

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/cwzap/cwzap/cwlogstest"
)

// todays returns the events of prefix+today's date, read either side of
// the test's writes so that a run across midnight finds them too.
func todays(srv *cwlogstest.Server, group, prefix string, before time.Time) []cwlogstest.Event {
	events := srv.Events(group, prefix+before.UTC().Format(time.DateOnly))
	if len(events) == 0 {
		events = srv.Events(group, prefix+time.Now().UTC().Format(time.DateOnly))
	}
	return events
}

func TestSinkURLNameTemplate(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	u := sinkURL(srv, "g", "orders-{date}")
	if !strings.Contains(u, "/orders-%7Bdate%7D?") {
		t.Fatalf("sinkURL = %s, want the braces percent-encoded", u)
	}
	before := time.Now()
	ws, closeSink, err := zap.Open(u)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := ws.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	closeSink()
	if got := todays(srv, "g", "orders-", before); len(got) != 1 || got[0].Message != "x" {
		t.Errorf("today's stream holds %+v, want one x", got)
	}
	if _, _, err := zap.Open(sinkURL(srv, "g", "orders-{day}")); err == nil || !strings.Contains(err.Error(), "unknown placeholder {day}") {
		t.Errorf("Open with {day}: %v, want an error naming it", err)
	}
}

func TestSpecNameTemplate(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	spec, err := ParseSpec([]byte(`{"class": "cloud-watch", "group": "/app/{function}", "stream": "s-{date}"}`))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "intake")
	before := time.Now()
	l, err := spec.Build(WithClient(srv.Client()))
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	l.Info("hello")
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := todays(srv, "/app/intake", "s-", before); len(got) != 1 || !strings.Contains(got[0].Message, `"message":"hello"`) {
		t.Errorf("today's stream holds %+v, want the entry", got)
	}
	SyncerOf(l).Close()

	spec.CloudWatch.Stream = "s-{when}"
	if _, err := spec.Build(WithClient(srv.Client())); err == nil || !strings.Contains(err.Error(), "{when}") {
		t.Errorf("Build with {when}: %v, want an error naming it", err)
	}
}
