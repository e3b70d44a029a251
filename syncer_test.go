package cwzap_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
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
	mu      sync.Mutex
	errs    []error
	syncers []*cwzap.Syncer // whose reports come here
}

func (l *errorLog) handle(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

// attach makes all wait for the reports s has made.
func (l *errorLog) attach(s *cwzap.Syncer) *cwzap.Syncer {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.syncers = append(l.syncers, s)
	return s
}

// all returns the errors the handler got, once the attached Syncers have
// delivered every report they made: reports reach the handler from a
// goroutine of the Syncer's, after the call that made them returns.
func (l *errorLog) all() []error {
	l.mu.Lock()
	syncers := slices.Clone(l.syncers)
	l.mu.Unlock()
	for _, s := range syncers {
		s.WaitReports()
	}
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
	f.syncer = f.errs.attach(s)
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

// putTimes is an aws.HTTPClient between the SDK and an endpoint that
// keeps when each PutLogEvents request left: on a bubble's clock, when the
// Syncer put, to the nanosecond. sent gets the same times, for a test to
// wait for the next put as an event.
type putTimes struct {
	next aws.HTTPClient
	sent chan time.Time // buffered for every put a test makes (fewer than 1000)

	mu sync.Mutex
	at []time.Time
}

// newPutTimes returns the times of srv's puts and a client that makes
// them.
func newPutTimes(srv *cwlogstest.Server) (*putTimes, *cloudwatchlogs.Client) {
	cfg := srv.Config()
	p := &putTimes{next: cfg.HTTPClient, sent: make(chan time.Time, 1000)}
	cfg.HTTPClient = p
	return p, cloudwatchlogs.NewFromConfig(cfg)
}

func (p *putTimes) Do(req *http.Request) (*http.Response, error) {
	if req.Header.Get("X-Amz-Target") == _putTarget {
		now := time.Now()
		p.mu.Lock()
		p.at = append(p.at, now)
		p.mu.Unlock()
		p.sent <- now
	}
	return p.next.Do(req)
}

func (p *putTimes) all() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.at)
}

func checkStatsAddUp(t *testing.T, st cwzap.Stats) {
	t.Helper()
	if st.Written != st.Delivered+st.Fallback+st.Dropped {
		t.Errorf("stats do not add up: %+v", st)
	}
}

func TestSyncerDeliversEveryEntryExactlyOnce(t *testing.T) {
	synctest.Test(t, testSyncerDeliversEveryEntryExactlyOnce)
}

func testSyncerDeliversEveryEntryExactlyOnce(t *testing.T) {
	f := bubbleFixture(t, cwzap.WithMaxBatchEvents(500), cwzap.WithConcurrency(4))
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
	synctest.Test(t, testSyncerCloseRefusesWrites)
}

func testSyncerCloseRefusesWrites(t *testing.T) {
	ours := goleak.IgnoreCurrent()
	f := bubbleFixture(t)
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
	goleak.VerifyNone(t, append(ignoreHTTP, ours)...)
}

// A second Close, made while the first waits for a put, returns only once
// the first is done: here the put never answers, so the first hands the
// event to the fallback writer at its deadline. In a bubble: the first
// Close is under way once every goroutine waits, its put in.
func TestSyncerSecondCloseWaitsForTheFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout = 500 * time.Millisecond
		f := bubbleFixture(t, cwzap.WithSyncTimeout(timeout))
		f.createStream(t)
		f.srv.SetFaults(cwlogstest.Faults{Latency: time.Hour})
		f.syncer.Write([]byte("held"))
		first := make(chan error, 1)
		start := time.Now()
		go func() { first <- f.syncer.Close() }()
		synctest.Wait()
		if n := f.srv.Calls("PutLogEvents"); n != 1 {
			t.Fatalf("%d puts once the first Close waits, want its one", n)
		}
		if err := f.syncer.Close(); err != nil {
			t.Errorf("second Close = %v, want nil", err)
		}
		if took := time.Since(start); took < timeout/2 {
			t.Errorf("second Close returned after %v, before the first reached its deadline (%v)", took, timeout)
		}
		if st := f.syncer.Stats(); st.Fallback != 1 || len(f.fallback.Lines()) != 1 {
			t.Errorf("when the second Close returned: stats %+v, fallback %q; want the first Close done, the event in the fallback", st, f.fallback.Lines())
		}
		var de *cwzap.DeliveryError
		if err := <-first; !errors.As(err, &de) || de.Late != 1 {
			t.Errorf("first Close = %v, want the event late", err)
		}
	})
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

// In a bubble goleak's waits between its looks are the bubble's: each
// lets every goroutine that is ending end first.
func TestSyncerLeavesNoGoroutineWhenIdle(t *testing.T) {
	synctest.Test(t, testSyncerLeavesNoGoroutineWhenIdle)
}

func testSyncerLeavesNoGoroutineWhenIdle(t *testing.T) {
	ours := goleak.IgnoreCurrent()
	f := bubbleFixture(t, cwzap.WithMaxBatchEvents(10), cwzap.WithConcurrency(3))
	for i := range 95 {
		f.syncer.Write(fmt.Appendf(nil, "%d", i))
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, append(ignoreHTTP, ours)...)
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

// Entries one goroutine logs within one millisecond are stored in the
// order it logged them, in batches of every size up to a full one, also
// when an entry of an earlier millisecond arrives among them (another
// goroutine's, stamped before it was written), so that the batch is
// sorted before it is sent.
func TestSyncerKeepsTheOrderWithinAMillisecond(t *testing.T) {
	for _, n := range []int{13, 100, 1000, cwzap.MaxBatchEvents} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			f := newFixture(t)
			f.createStream(t)
			now := time.Now().Truncate(time.Millisecond)
			core := cwzap.NewCore(f.syncer, zap.InfoLevel, cwzap.WithFormat(cwzap.FormatMini))
			logger := zap.New(core, zap.WithClock(&stepClock{now: now}))
			for i := range n - 1 {
				if i == n/2 {
					earlier := zapcore.Entry{Level: zap.InfoLevel, Time: now.Add(-time.Millisecond), Message: "earlier"}
					if err := core.Write(earlier, nil); err != nil {
						t.Fatal(err)
					}
				}
				logger.Info(strconv.Itoa(i))
			}
			if err := f.syncer.Sync(); err != nil {
				t.Fatal(err)
			}
			events := f.srv.Events(f.group, f.stream)
			if len(events) != n || events[0].Message != "earlier" || events[0].Timestamp != now.UnixMilli()-1 {
				t.Fatalf("%d events stored, the first %+v; want %d, the earlier entry first", len(events), events[:min(len(events), 1)], n)
			}
			for i, e := range events[1:] {
				if e.Message != strconv.Itoa(i) || e.Timestamp != now.UnixMilli() {
					t.Fatalf("stored event %d is %q at %d, want %q at %d: entries of one millisecond out of the order logged", i+1, e.Message, e.Timestamp, strconv.Itoa(i), now.UnixMilli())
				}
			}
			if st := f.syncer.Stats(); st.Batches != 1 {
				t.Errorf("%d puts, want the %d events in one", st.Batches, n)
			}
		})
	}
}

// reflectedJSON is a value whose MarshalJSON returns its own text, as
// json.RawMessage does: encoding/json checks that it is JSON, not that it
// is UTF-8.
type reflectedJSON string

func (r reflectedJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// plainSyncer hides that it is a *Syncer from NewCore: a Core writing to
// it encodes each entry in the plain form and hands it to WriteEntry.
type plainSyncer struct{ *cwzap.Syncer }

// A Core writing to a Syncer stores what the plain encoder writes for the
// same entry, handed to WriteEntry: the same events (an entry split into
// parts at the same size), the same fallback text for an event the service
// refuses, and the same counts. Entries at and just over MaxEventBytes,
// and with every kind of text that escaping changes, in fields, context
// and metrics.
func TestSyncerCoreStoresWhatThePlainEncoderWrites(t *testing.T) {
	synctest.Test(t, testSyncerCoreStoresWhatThePlainEncoderWrites)
}

func testSyncerCoreStoresWhatThePlainEncoderWrites(t *testing.T) {
	srv := memoryServer(t)
	wire := newFixtureOn(t, srv)
	plain := &fixture{srv: srv, fallback: &lockedBuffer{}, errs: &errorLog{}, group: wire.group, stream: wire.stream + "-plain"}
	ps, err := cwzap.NewSyncer(plain.group, plain.stream, cwzap.WithClient(srv.Client()), cwzap.WithFallback(plain.fallback),
		cwzap.WithErrorHandler(plain.errs.handle), cwzap.WithFlushInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	plain.syncer = ps
	ctx := []zapcore.Field{
		zap.Error(errors.New("ctx\"err\n")),
		zap.String("c\"\xff", "\x01\\"),
		zap.Reflect("cr", reflectedJSON("[\"\xc0\"]")),
	}
	core := cwzap.NewCore(wire.syncer, zap.DebugLevel).With(ctx)
	plainCore := cwzap.NewCore(plainSyncer{ps}, zap.DebugLevel).With(ctx)
	var measured bytes.Buffer
	measure := cwzap.NewCore(zapcore.AddSync(&measured), zap.DebugLevel).With(ctx)

	now := time.Now().Truncate(time.Millisecond)
	odd := []zapcore.Field{
		zap.String("q\"k\xff", "v\"\\\x00\x1f\n\t\xfe\u2028é"),
		zap.ByteString("b", []byte("\xc0\xaf\"")),
		zap.Any("m", map[string]any{"k\"": []any{"\\", 1.5, nil}}),
		zap.Error(errors.New("e\"1\nline")),
		zap.Reflect("raw", reflectedJSON(`{"s":"a`+"\xff\xfe"+`b\"c"}`)),
	}
	// sized returns fields whose entry text (without its newline) has n
	// bytes: the odd fields, then a blob of quotes and letters that fills
	// the rest.
	sized := func(ent zapcore.Entry, extra []zapcore.Field, n int) []zapcore.Field {
		fields := append(append([]zapcore.Field{}, extra...), zap.String("blob", ""))
		measured.Reset()
		if err := measure.Write(ent, fields); err != nil {
			t.Fatal(err)
		}
		fill := n - (measured.Len() - 1)
		// Each quote is 2 bytes in the text: pad with letters after them.
		q := fill / 4
		fields[len(fields)-1] = zap.String("blob", strings.Repeat(`"`, q)+strings.Repeat("x", fill-2*q))
		return fields
	}
	ent := func(msg string, at time.Time) zapcore.Entry {
		return zapcore.Entry{Level: zap.WarnLevel, Time: at, Message: msg, LoggerName: "svc\"x", Stack: "stack\n\t\"at\"\\"}
	}
	type entry struct {
		ent    zapcore.Entry
		fields []zapcore.Field
	}
	var entries []entry
	for _, n := range []int{cwzap.MaxEventBytes - 1, cwzap.MaxEventBytes, cwzap.MaxEventBytes + 1} {
		e := ent("at "+strconv.Itoa(n), now)
		entries = append(entries, entry{e, sized(e, odd, n)})
		e = ent("metric at "+strconv.Itoa(n), now)
		entries = append(entries, entry{e, sized(e, append([]zapcore.Field{cwzap.Metric("lat", 1, cwzap.UnitCount)}, odd...), n)})
	}
	entries = append(entries,
		entry{ent("odd", now), odd},
		entry{ent("{\"json\" : \"m\\\"\\u0001\" , \"a\":[1, 2]}", now), odd},
		entry{ent("too old", now.Add(-15*24*time.Hour)), odd}, // refused by the service: to the fallback
	)
	for _, e := range entries {
		for _, c := range []zapcore.Core{core, plainCore} {
			if ce := c.Check(e.ent, nil); ce != nil {
				ce.Write(e.fields...)
			}
		}
	}
	wire.syncer.Sync()
	ps.Sync()
	// Batches of about 1 MB each are put in parallel: compare the events
	// in an order of their own, without the ids of split entries.
	entryID := regexp.MustCompile(`"entry":"[^"]*"`)
	got, want := wire.messages(t), plain.messages(t)
	for _, msgs := range [][]string{got, want} {
		for i, m := range msgs {
			msgs[i] = entryID.ReplaceAllString(m, "")
		}
		slices.Sort(msgs)
	}
	// Five large entries whole (the one with metrics over the limit
	// loses its directive and fits), one in two parts, two small ones.
	if len(got) != 9 || len(want) != 9 {
		t.Errorf("the Core stored %d events; the plain encoder and WriteEntry %d; want 9", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if g, w := got[i], want[i]; g != w {
			t.Errorf("event %d:\n got %.300q…\nwant %.300q…", i, g, w)
		}
	}
	if g, w := wire.fallback.String(), plain.fallback.String(); g != w {
		t.Errorf("fallback writer:\n got %q\nwant %q", g, w)
	}
	gs, ws := wire.syncer.Stats(), ps.Stats()
	if gs.Written != ws.Written || gs.Delivered != ws.Delivered || gs.Fallback != ws.Fallback || gs.Rejected != 1 {
		t.Errorf("stats: the Core's %+v; the plain path's %+v", gs, ws)
	}
	checkStatsAddUp(t, gs)
}

// When the buffer is full, and once the Syncer is closed, the fallback
// writer gets from a Core the text the plain encoder writes, and the
// counts are those of the plain path, under each overflow policy.
func TestSyncerCoreOverflowsAsThePlainPath(t *testing.T) {
	for _, policy := range []cwzap.OverflowPolicy{cwzap.OverflowFallback, cwzap.OverflowDrop} {
		t.Run(fmt.Sprint(policy), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testSyncerCoreOverflowsAsThePlainPath(t, policy) })
		})
	}
}

func testSyncerCoreOverflowsAsThePlainPath(t *testing.T, policy cwzap.OverflowPolicy) {
	srv := memoryServer(t)
	srv.SetFaults(cwlogstest.Faults{Outage: true})
	newSyncer := func(stream string, fallback *lockedBuffer) *cwzap.Syncer {
		s, err := cwzap.NewSyncer("/test/app", stream, cwzap.WithClient(srv.Client()), cwzap.WithFallback(fallback),
			cwzap.WithErrorHandler(func(error) {}), cwzap.WithFlushInterval(time.Hour),
			cwzap.WithMaxBatchBytes(4096), cwzap.WithBufferLimit(8192), cwzap.WithOverflow(policy),
			cwzap.WithPutTimeout(time.Hour), cwzap.WithSyncTimeout(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	wireFB, plainFB := &lockedBuffer{}, &lockedBuffer{}
	ws, ps := newSyncer("wire", wireFB), newSyncer("plain", plainFB)
	core := cwzap.NewCore(ws, zap.InfoLevel)
	enc := cwzap.NewEncoder(cwzap.EncoderConfig{})
	now := time.Now().Truncate(time.Millisecond)
	write := func(i int) {
		e := zapcore.Entry{Level: zap.InfoLevel, Time: now, Message: "entry \"" + strconv.Itoa(i) + "\"\n"}
		fields := []zapcore.Field{zap.String("k\"\\", "v\x01\xff\"\\"), zap.Reflect("r", reflectedJSON(`["\u0001\"",`+"\"\xfe\"]"))}
		if ce := core.Check(e, nil); ce != nil {
			ce.Write(fields...)
		}
		buf, _ := enc.EncodeEntry(e, fields)
		ps.WriteEntry(e.Time, buf.Bytes())
		buf.Free()
	}
	for i := range 100 { // a little over 10 KB of events: the buffer overflows
		write(i)
	}
	srv.SetFaults(cwlogstest.Faults{})
	ws.Close()
	ps.Close()
	write(100) // to a closed Syncer: the fallback writer
	if g, w := wireFB.String(), plainFB.String(); g != w || !strings.Contains(g, `"message":"entry \"100\"\n"`) {
		t.Errorf("fallback writer:\n got %q\nwant %q", g, w)
	}
	gs, pst := ws.Stats(), ps.Stats()
	gs.Retries, pst.Retries = 0, 0 // whether a put was tried before the outage ended is up to the scheduler
	if gs != pst || gs.Written != 101 || gs.Fallback+gs.Dropped < 2 {
		t.Errorf("stats: the Core's %+v; the plain path's %+v", gs, pst)
	}
	checkStatsAddUp(t, gs)
}
