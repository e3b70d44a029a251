package cwzap_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// lockedBuffer is a writer that tests read while a logger or Syncer
// writes to it (export_test.go).
type lockedBuffer = cwzap.LockedBuffer

// errorLog collects what the Syncer reports to its error handler.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) handle(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

type fixture struct {
	srv      *cwlogstest.Server
	syncer   *cwzap.Syncer
	fallback *lockedBuffer
	errs     *errorLog
	group    string
	stream   string
}

// newFixture starts an endpoint and a Syncer on it; both are closed when the
// test ends.
func newFixture(t *testing.T, opts ...cwzap.SyncerOption) *fixture {
	t.Helper()
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	return newFixtureOn(t, srv, opts...)
}

func newFixtureOn(t *testing.T, srv *cwlogstest.Server, opts ...cwzap.SyncerOption) *fixture {
	t.Helper()
	f := &fixture{srv: srv, fallback: &lockedBuffer{}, errs: &errorLog{}, group: "/test/app", stream: "s-" + t.Name()}
	f.stream = strings.NewReplacer("/", "_", ":", "_", "*", "_").Replace(f.stream)
	base := []cwzap.SyncerOption{
		cwzap.WithClient(srv.Client()),
		cwzap.WithFallback(f.fallback),
		cwzap.WithErrorHandler(f.errs.handle),
		cwzap.WithFlushInterval(time.Hour), // tests flush explicitly unless they say otherwise
	}
	s, err := cwzap.NewSyncer(f.group, f.stream, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	f.syncer = s
	t.Cleanup(func() { s.Close() })
	return f
}

// createStream creates the fixture's group and stream up front, so that
// every put of the test is accepted at the first try.
func (f *fixture) createStream(t *testing.T) {
	t.Helper()
	ctx, c := context.Background(), f.srv.Client()
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: &f.group}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: &f.group, LogStreamName: &f.stream}); err != nil {
		t.Fatal(err)
	}
}

// messages reads the stream back through the SDK's GetLogEvents, page by
// page, as a user would.
func (f *fixture) messages(t *testing.T) []string {
	t.Helper()
	client := f.srv.Client()
	var out []string
	var token *string
	for {
		page, err := client.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{
			LogGroupName:  &f.group,
			LogStreamName: &f.stream,
			StartFromHead: aws.Bool(true),
			NextToken:     token,
		})
		if err != nil {
			t.Fatalf("GetLogEvents: %v", err)
		}
		for _, e := range page.Events {
			out = append(out, aws.ToString(e.Message))
		}
		if page.NextForwardToken == nil || (token != nil && *page.NextForwardToken == *token) {
			return out
		}
		token = page.NextForwardToken
	}
}

func checkStatsAddUp(t *testing.T, st cwzap.Stats) {
	t.Helper()
	if st.Written != st.Delivered+st.Fallback+st.Dropped {
		t.Errorf("stats do not add up: %+v", st)
	}
}

func TestSyncerDeliversEveryEntryExactlyOnce(t *testing.T) {
	f := newFixture(t, cwzap.WithMaxBatchEvents(500), cwzap.WithConcurrency(4))
	logger := zap.New(cwzap.NewCore(f.syncer, zap.DebugLevel))
	const goroutines, perG = 8, 1500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			child := logger.With(zap.Int("g", g)).Named(fmt.Sprintf("worker%d", g))
			for i := range perG {
				child.Info("entry", zap.String("id", fmt.Sprintf("%d-%d", g, i)))
			}
		}()
	}
	wg.Wait()
	if err := logger.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}

	seen := map[string]int{}
	for _, m := range f.messages(t) {
		var v struct {
			ID       string `json:"id"`
			G        int    `json:"g"`
			Location string `json:"location"`
		}
		if err := json.Unmarshal([]byte(m), &v); err != nil {
			t.Fatalf("event is not JSON: %q", m)
		}
		if !strings.HasPrefix(v.ID, fmt.Sprintf("%d-", v.G)) {
			t.Fatalf("event %q has the wrong context field g", m)
		}
		seen[v.ID]++
	}
	for g := range goroutines {
		for i := range perG {
			if id := fmt.Sprintf("%d-%d", g, i); seen[id] != 1 {
				t.Fatalf("entry %s delivered %d times", id, seen[id])
			}
		}
	}
	st := f.syncer.Stats()
	if st.Written != goroutines*perG || st.Delivered != goroutines*perG || st.Fallback != 0 {
		t.Errorf("stats = %+v, want all %d written and delivered", st, goroutines*perG)
	}
	if st.Batches < goroutines*perG/500 {
		t.Errorf("Batches = %d, want at least %d with 500 events a batch", st.Batches, goroutines*perG/500)
	}
	if n := f.srv.Calls("DescribeLogStreams"); n != 0 {
		t.Errorf("DescribeLogStreams called %d times on the happy path", n)
	}
	if lines := f.fallback.Lines(); len(lines) != 0 {
		t.Errorf("fallback got %d lines, want none", len(lines))
	}
}

func TestSyncerFlushesByAge(t *testing.T) {
	f := newFixture(t, cwzap.WithFlushInterval(20*time.Millisecond))
	f.syncer.Write([]byte("aged"))
	deadline := time.Now().Add(10 * time.Second)
	for len(f.srv.Events(f.group, f.stream)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("event not flushed by age")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSyncerPurge(t *testing.T) {
	tests := []struct {
		name      string
		give      func(*zap.Logger)
		wantNow   bool
		wantLevel string
	}{
		{"Purge field", func(l *zap.Logger) { l.Info("purged", cwzap.Purge()) }, true, "INFO"},
		{"DPanic", func(l *zap.Logger) { l.DPanic("purged") }, true, "CRITICAL"},
		{"Error waits", func(l *zap.Logger) { l.Error("waits") }, false, "ERROR"},
		{"Info waits", func(l *zap.Logger) { l.Info("waits") }, false, "INFO"},
		{"With(Purge) purges every entry", func(l *zap.Logger) { l.With(cwzap.Purge()).Warn("purged") }, true, "WARNING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			logger := zap.New(cwzap.NewCore(f.syncer, zap.DebugLevel))
			tt.give(logger)
			events := f.srv.Events(f.group, f.stream)
			if got := len(events) == 1; got != tt.wantNow {
				t.Fatalf("delivered when the call returned: %v, want %v", got, tt.wantNow)
			}
			if tt.wantNow {
				if strings.Contains(events[0].Message, "cwzap") {
					t.Errorf("the purge marker was written: %s", events[0].Message)
				}
				if !strings.Contains(events[0].Message, `"level":"`+tt.wantLevel+`"`) {
					t.Errorf("event %s lacks level %s", events[0].Message, tt.wantLevel)
				}
			}
		})
	}
}

func TestSyncerCloseRefusesWrites(t *testing.T) {
	f := newFixture(t)
	f.syncer.Write([]byte("before"))
	if err := f.syncer.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := f.syncer.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatalf("Sync after Close: %v", err)
	}
	if _, err := f.syncer.Write([]byte("after")); !errors.Is(err, cwzap.ErrClosed) {
		t.Fatalf("Write after Close = %v, want ErrClosed", err)
	}
	if err := f.syncer.WriteEntry(time.Now(), []byte("after 2")); !errors.Is(err, cwzap.ErrClosed) {
		t.Fatalf("WriteEntry after Close = %v, want ErrClosed", err)
	}
	if got := f.fallback.Lines(); strings.Join(got, ",") != "after,after 2" {
		t.Errorf("fallback = %q, want the writes after Close", got)
	}
	if got := f.messages(t); len(got) != 1 || got[0] != "before" {
		t.Errorf("stream = %q", got)
	}
	st := f.syncer.Stats()
	checkStatsAddUp(t, st)
	if st.Written != 3 {
		t.Errorf("Written = %d, want 3", st.Written)
	}
	goleak.VerifyNone(t, ignoreHTTP...)
}

func TestSyncerSyncTwiceAndEmpty(t *testing.T) {
	f := newFixture(t)
	if err := f.syncer.Sync(); err != nil {
		t.Fatalf("Sync on an empty Syncer: %v", err)
	}
	f.syncer.Write([]byte("x"))
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
	if st := f.syncer.Stats(); st.Batches != 1 {
		t.Errorf("%d batches sent, want 1", st.Batches)
	}
	if _, err := f.syncer.Write([]byte("\n")); err != nil {
		t.Fatal(err)
	}
	if st := f.syncer.Stats(); st.Written != 1 {
		t.Errorf("an empty event was counted: %+v", st)
	}
}

// ignoreHTTP leaves out the HTTP client's and server's own connection
// goroutines, which outlive a put by design.
var ignoreHTTP = []goleak.Option{
	goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
	goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
	goleak.IgnoreAnyFunction("net/http.(*conn).serve"),
	goleak.IgnoreAnyFunction("net/http/httptest.(*Server).goServe.func1"),
	goleak.IgnoreAnyFunction("net/http.(*Server).Serve"),
	goleak.IgnoreAnyFunction("internal/poll.runtime_pollWait"),
}

func TestSyncerLeavesNoGoroutineWhenIdle(t *testing.T) {
	f := newFixture(t, cwzap.WithMaxBatchEvents(10), cwzap.WithConcurrency(3))
	for i := range 95 {
		f.syncer.Write(fmt.Appendf(nil, "%d", i))
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, ignoreHTTP...)
}

func TestNewSyncerRejectsBadNames(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	tests := []struct{ group, stream, want string }{
		{"", "s", "log group name"},
		{"bad+group", "s", `'+'`},
		{strings.Repeat("g", 513), "s", "1 to 512"},
		{"g", "", "log stream name"},
		{"g", "a:b", `':'`},
		{"g", "a*b", `'*'`},
	}
	for _, tt := range tests {
		_, err := cwzap.NewSyncer(tt.group, tt.stream, cwzap.WithClient(srv.Client()))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewSyncer(%.20q, %q) = %v, want an error containing %s", tt.group, tt.stream, err, tt.want)
		}
	}
}

func TestNewSyncerNeedsARegion(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_PROFILE", "")
	_, err := cwzap.NewSyncer("g", "s")
	if err == nil || !strings.Contains(err.Error(), "region") {
		t.Errorf("NewSyncer without a region = %v, want an error naming the region", err)
	}
}

// A zapcore.WriteSyncer check that the Core uses the entry's time.
func TestSyncerKeepsTheEntryTime(t *testing.T) {
	f := newFixture(t)
	core := cwzap.NewCore(f.syncer, zap.InfoLevel)
	when := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	if err := core.Write(zapcore.Entry{Level: zap.InfoLevel, Time: when, Message: "then"}, nil); err != nil {
		t.Fatal(err)
	}
	f.syncer.Sync()
	events := f.srv.Events(f.group, f.stream)
	if len(events) != 1 || events[0].Timestamp != when.UnixMilli() {
		t.Fatalf("events = %+v, want one at %d", events, when.UnixMilli())
	}
}
