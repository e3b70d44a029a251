package cwzap_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// lockedBuffer is a fallback writer that tests can read while the Syncer
// writes to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := strings.TrimSuffix(b.buf.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

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

func TestSyncerBatchLimits(t *testing.T) {
	// msg returns an event of exactly n message bytes.
	msg := func(n int) []byte { return bytes.Repeat([]byte("x"), n) }
	now := time.Now()
	tests := []struct {
		name        string
		giveSizes   []int           // message bytes of each event
		giveOffsets []time.Duration // event time = now - 25h + offset; nil: all now
		wantBatches uint64
	}{
		{"10000 events fit one batch", repeat(10, cwzap.MaxBatchEvents), nil, 1},
		{"10001 events take two", repeat(10, cwzap.MaxBatchEvents+1), nil, 2},
		{"exactly the byte limit is one batch", []int{cwzap.MaxBatchBytes/2 - cwzap.EventOverhead, cwzap.MaxBatchBytes/2 - cwzap.EventOverhead}, nil, 1},
		{"one byte over the byte limit is two", []int{cwzap.MaxBatchBytes/2 - cwzap.EventOverhead, cwzap.MaxBatchBytes/2 - cwzap.EventOverhead + 1}, nil, 2},
		{"an event of the maximum size is one batch", []int{cwzap.MaxEventBytes}, nil, 1},
		{"24 hours apart is one batch", []int{10, 10}, []time.Duration{0, 24 * time.Hour}, 1},
		{"24 hours and 1 ms apart is two", []int{10, 10}, []time.Duration{0, 24*time.Hour + time.Millisecond}, 2},
		{"out of order within 24 h is sorted into one", []int{10, 10, 10}, []time.Duration{2 * time.Hour, time.Hour, 3 * time.Hour}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.createStream(t)
			for i, size := range tt.giveSizes {
				ts := now
				if tt.giveOffsets != nil {
					ts = now.Add(-25 * time.Hour).Add(tt.giveOffsets[i])
				}
				if err := f.syncer.WriteEntry(ts, msg(size)); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.syncer.Sync(); err != nil {
				t.Fatalf("Sync: %v", err)
			}
			st := f.syncer.Stats()
			if st.Batches != tt.wantBatches {
				t.Errorf("Batches = %d, want %d", st.Batches, tt.wantBatches)
			}
			// Every put was accepted: the Syncer respected the limit
			// itself rather than having a refused request split for it.
			if calls := f.srv.Calls("PutLogEvents"); uint64(calls) != tt.wantBatches {
				t.Errorf("%d PutLogEvents calls for %d batches: a request was refused", calls, tt.wantBatches)
			}
			if int(st.Delivered) != len(tt.giveSizes) || st.Fallback != 0 {
				t.Errorf("stats = %+v, want all %d delivered", st, len(tt.giveSizes))
			}
			if got := len(f.srv.Events(f.group, f.stream)); got != len(tt.giveSizes) {
				t.Errorf("endpoint holds %d events, want %d", got, len(tt.giveSizes))
			}
		})
	}
}

func repeat(v, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func TestSyncerSortsEventsInsideBatches(t *testing.T) {
	f := newFixture(t)
	base := time.Now().Add(-time.Hour)
	for _, off := range []int{5, 1, 4, 1, 3, 2} {
		f.syncer.WriteEntry(base.Add(time.Duration(off)*time.Second), fmt.Appendf(nil, "at %d", off))
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range f.srv.Events(f.group, f.stream) {
		got = append(got, e.Message)
	}
	want := []string{"at 1", "at 1", "at 2", "at 3", "at 4", "at 5"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("stored order %q, want %q", got, want)
	}
}

func TestSyncerSplitsOversizeEntries(t *testing.T) {
	f := newFixture(t)
	logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel), zap.AddCaller())
	big := strings.Repeat(`a "quoted" line with é and 日本 `, 3*cwzap.MaxEventBytes/30)
	logger.Info(big, zap.Int("n", 7))
	if err := logger.Sync(); err != nil {
		t.Fatal(err)
	}
	events := f.srv.Events(f.group, f.stream)
	if len(events) < 3 {
		t.Fatalf("got %d events, want the entry in several parts", len(events))
	}
	// Parts travel in separate batches, possibly in parallel: order them by
	// their part number, as a reader would.
	sort.Slice(events, func(i, j int) bool { return partOf(events[i].Message) < partOf(events[j].Message) })
	var whole strings.Builder
	for i, e := range events {
		if len(e.Message) > cwzap.MaxEventBytes {
			t.Fatalf("part %d is %d bytes", i+1, len(e.Message))
		}
		var part struct {
			Timestamp, Level, Location string
			Part, Parts                int
			Chunk                      string
		}
		if err := json.Unmarshal([]byte(e.Message), &part); err != nil {
			t.Fatalf("part %d is not JSON: %v", i+1, err)
		}
		if part.Part != i+1 || part.Parts != len(events) || part.Level != "INFO" || part.Timestamp == "" || !strings.Contains(part.Location, "TestSyncerSplitsOversizeEntries") {
			t.Fatalf("part %d head = %d/%d %s %s %s", i+1, part.Part, part.Parts, part.Level, part.Timestamp, part.Location)
		}
		whole.WriteString(part.Chunk)
	}
	var entry struct {
		Message string
		N       int
	}
	if err := json.Unmarshal([]byte(whole.String()), &entry); err != nil {
		t.Fatalf("reassembled entry is not JSON: %v", err)
	}
	if entry.Message != big || entry.N != 7 {
		t.Errorf("reassembled entry differs from the original")
	}
	if st := f.syncer.Stats(); st.Written != uint64(len(events)) || st.Delivered != st.Written {
		t.Errorf("stats = %+v, want %d parts written and delivered", st, len(events))
	}
}

func partOf(msg string) int {
	var v struct{ Part int }
	json.Unmarshal([]byte(msg), &v)
	return v.Part
}

func TestSyncerSplitsRequestsTheEndpointRefusesAsTooLarge(t *testing.T) {
	// Control characters escape to six bytes each, so a batch's body is far
	// larger than its service count; an endpoint capped at 512 KiB refuses
	// it (413). The Syncer halves the batch until the halves pass.
	srv := cwlogstest.NewUnstartedServer()
	srv.MaxRequestBytes = 512 << 10
	srv.Start()
	t.Cleanup(srv.Close)
	f := newFixtureOn(t, srv)
	line := bytes.Repeat([]byte{0x01}, 1000)
	for range 1000 {
		f.syncer.Write(line)
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	st := f.syncer.Stats()
	if st.Delivered != 1000 || st.Batches < 2 {
		t.Errorf("stats = %+v, want 1000 delivered in several batches", st)
	}
	if refused := f.srv.Calls("PutLogEvents") - int(st.Batches); refused < 1 {
		t.Errorf("no request was refused as too large (%d puts, %d batches): the split path went untested", f.srv.Calls("PutLogEvents"), st.Batches)
	}
	if got := len(f.srv.Events(f.group, f.stream)); got != 1000 {
		t.Errorf("endpoint holds %d events, want 1000", got)
	}
}

func TestSyncerRejectedEventsGoToFallback(t *testing.T) {
	f := newFixture(t)
	f.syncer.WriteEntry(time.Now().Add(-15*24*time.Hour), []byte("fifteen days old"))
	f.syncer.WriteEntry(time.Now(), []byte("on time"))
	f.syncer.WriteEntry(time.Now().Add(3*time.Hour), []byte("three hours ahead"))
	err := f.syncer.Sync()
	var de *cwzap.DeliveryError
	if !errors.As(err, &de) || de.Rejected == 0 {
		t.Fatalf("Sync = %v, want a DeliveryError for rejected events", err)
	}
	st := f.syncer.Stats()
	if st.Delivered != 1 || st.Rejected != 2 || st.Fallback != 2 {
		t.Errorf("stats = %+v, want 1 delivered, 2 rejected to the fallback", st)
	}
	checkStatsAddUp(t, st)
	lines := f.fallback.Lines()
	sort.Strings(lines)
	if strings.Join(lines, "|") != "fifteen days old|three hours ahead" {
		t.Errorf("fallback lines = %q", lines)
	}
	if got := f.messages(t); len(got) != 1 || got[0] != "on time" {
		t.Errorf("stream holds %q, want only the event on time", got)
	}
	// The old event can't share a batch with the others (24 h span), so
	// each batch reports its own rejection.
	reported := 0
	for _, err := range f.errs.all() {
		if errors.As(err, &de) && de.Rejected > 0 {
			reported += de.Events
		}
	}
	if reported != 2 {
		t.Errorf("error handler got %v, want reports of 2 rejected events", f.errs.all())
	}
}

func TestSyncerCreatesGroupWithRetentionKMSAndTags(t *testing.T) {
	f := newFixture(t,
		cwzap.WithRetention(7),
		cwzap.WithKMSKey("arn:aws:kms:us-east-1:111122223333:key/abc"),
		cwzap.WithTags(map[string]string{"team": "core"}))
	f.syncer.Write([]byte("hello"))
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, g := range f.srv.Groups() {
		if g.Name != f.group {
			continue
		}
		found = true
		if g.RetentionInDays != 7 || g.KMSKeyID != "arn:aws:kms:us-east-1:111122223333:key/abc" || g.Tags["team"] != "core" {
			t.Errorf("group = %+v, want retention 7, the KMS key and the tag", g)
		}
	}
	if !found {
		t.Fatalf("group %s not created", f.group)
	}
	if n := f.srv.Calls("CreateLogStream"); n != 2 {
		// The first try finds the group missing, the second succeeds.
		t.Errorf("CreateLogStream called %d times, want 2", n)
	}
}

func TestSyncerWithoutCreateGroupFailsToFallback(t *testing.T) {
	f := newFixture(t, cwzap.WithCreateGroup(false))
	f.syncer.Write([]byte("one"))
	f.syncer.Write([]byte("two"))
	err := f.syncer.Sync()
	var de *cwzap.DeliveryError
	if !errors.As(err, &de) || de.Events != 2 {
		t.Fatalf("Sync = %v, want a DeliveryError for 2 events", err)
	}
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) && !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("error %v does not say the group is missing", err)
	}
	if got := f.fallback.Lines(); strings.Join(got, ",") != "one,two" {
		t.Errorf("fallback = %q, want both events", got)
	}
	if n := f.srv.Calls("CreateLogGroup"); n != 0 {
		t.Errorf("CreateLogGroup called %d times", n)
	}
	checkStatsAddUp(t, f.syncer.Stats())
	if len(f.errs.all()) != 1 {
		t.Errorf("error handler got %d reports, want 1", len(f.errs.all()))
	}
}

func TestSyncerLegacySequenceTokens(t *testing.T) {
	srv := cwlogstest.NewUnstartedServer()
	srv.SequenceTokens = true
	srv.Start()
	t.Cleanup(srv.Close)
	f := newFixtureOn(t, srv, cwzap.WithConcurrency(1), cwzap.WithMaxBatchEvents(10))
	for i := range 35 {
		f.syncer.Write(fmt.Appendf(nil, "event %d", i))
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	// A second Syncer on the same stream starts without the token.
	s2, err := cwzap.NewSyncer(f.group, f.stream, cwzap.WithClient(srv.Client()), cwzap.WithFallback(f.fallback))
	if err != nil {
		t.Fatal(err)
	}
	s2.Write([]byte("from the second writer"))
	if err := s2.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := len(f.messages(t)); got != 36 {
		t.Errorf("stream holds %d events, want 36", got)
	}
	if srv.Calls("DescribeLogStreams") == 0 {
		t.Error("the second writer never described the stream to learn the token")
	}
	if lines := f.fallback.Lines(); len(lines) != 0 {
		t.Errorf("fallback got %q", lines)
	}
}

func TestSyncerRetriesThrottlingAndServerErrors(t *testing.T) {
	f := newFixture(t, cwzap.WithMaxBatchEvents(20))
	f.srv.SetFaults(cwlogstest.Faults{Throttle: 0.3, Unavailable: 0.2, InternalFailure: 0.1, Seed: 1})
	for i := range 400 {
		f.syncer.Write(fmt.Appendf(nil, "event %d", i))
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	st := f.syncer.Stats()
	if st.Delivered != 400 || st.Retries == 0 {
		t.Errorf("stats = %+v, want all 400 delivered after some retries", st)
	}
	if got := len(f.messages(t)); got != 400 {
		t.Errorf("stream holds %d events, want 400 (no duplicates)", got)
	}
}

func TestSyncerFailsForGoodAtThePutTimeout(t *testing.T) {
	f := newFixture(t, cwzap.WithPutTimeout(300*time.Millisecond))
	f.srv.SetFaults(cwlogstest.Faults{Outage: true})
	f.syncer.Write([]byte("lost to the outage"))
	err := f.syncer.Sync()
	if err == nil {
		t.Fatal("Sync = nil during an outage")
	}
	if got := f.fallback.Lines(); len(got) != 1 || got[0] != "lost to the outage" {
		t.Errorf("fallback = %q", got)
	}
	// Recovery: the next event goes through.
	f.srv.SetFaults(cwlogstest.Faults{})
	f.syncer.Write([]byte("after the outage"))
	if err := f.syncer.Sync(); err != nil {
		t.Fatalf("Sync after recovery: %v", err)
	}
	st := f.syncer.Stats()
	if st.Delivered != 1 || st.Fallback != 1 {
		t.Errorf("stats = %+v", st)
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

func TestSyncerOverflowPolicies(t *testing.T) {
	tests := []struct {
		give         cwzap.OverflowPolicy
		wantFallback bool
		wantDropped  bool
	}{
		{cwzap.OverflowFallback, true, false},
		{cwzap.OverflowDrop, false, true},
		{cwzap.OverflowBlock, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.give.String(), func(t *testing.T) {
			f := newFixture(t,
				cwzap.WithBufferLimit(cwzap.MaxBatchBytes),
				cwzap.WithOverflow(tt.give),
				cwzap.WithFlushInterval(2*time.Second),
				cwzap.WithConcurrency(1))
			f.srv.SetFaults(cwlogstest.Faults{Latency: 100 * time.Millisecond})
			line := bytes.Repeat([]byte("y"), 10_000)
			const n = 400 // 4 MB through a 1 MB buffer
			for range n {
				f.syncer.Write(line)
			}
			err := f.syncer.Sync()
			if overflowed := tt.wantFallback || tt.wantDropped; overflowed != errors.Is(err, cwzap.ErrBufferFull) {
				t.Errorf("Sync = %v; want ErrBufferFull: %v", err, overflowed)
			}
			if reported := len(f.errs.all()) > 0; reported != (tt.wantFallback || tt.wantDropped) {
				t.Errorf("error handler got %v", f.errs.all())
			}
			st := f.syncer.Stats()
			checkStatsAddUp(t, st)
			if st.Written != n {
				t.Errorf("Written = %d, want %d", st.Written, n)
			}
			if (st.Fallback > 0) != tt.wantFallback || (st.Dropped > 0) != tt.wantDropped {
				t.Errorf("stats = %+v: fallback used %v (want %v), dropped %v (want %v)", st, st.Fallback > 0, tt.wantFallback, st.Dropped > 0, tt.wantDropped)
			}
			if got := uint64(len(f.fallback.Lines())); got != st.Fallback {
				t.Errorf("fallback holds %d lines, Stats.Fallback = %d", got, st.Fallback)
			}
			if got := uint64(len(f.srv.Events(f.group, f.stream))); got != st.Delivered {
				t.Errorf("endpoint holds %d events, Stats.Delivered = %d", got, st.Delivered)
			}
		})
	}
}

func TestSyncerCloseContextDeadlineSendsTheRestToFallback(t *testing.T) {
	f := newFixture(t, cwzap.WithMaxBatchEvents(10))
	f.srv.SetFaults(cwlogstest.Faults{Latency: 5 * time.Second})
	for i := range 50 {
		f.syncer.Write(fmt.Appendf(nil, "%d", i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	n, err := f.syncer.CloseContext(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CloseContext = %d, %v; want the deadline error", n, err)
	}
	if elapsed := time.Since(start); elapsed > 4*time.Second {
		t.Errorf("CloseContext took %v, past its deadline", elapsed)
	}
	if n != 50 {
		t.Errorf("CloseContext reports %d undelivered, want 50", n)
	}
	st := f.syncer.Stats()
	checkStatsAddUp(t, st)
	if st.Fallback != 50 || len(f.fallback.Lines()) != 50 {
		t.Errorf("stats = %+v, fallback lines %d; want all 50 in the fallback", st, len(f.fallback.Lines()))
	}
}

func TestSyncerSyncContextDeadlineSendsPendingToFallback(t *testing.T) {
	f := newFixture(t)
	f.srv.SetFaults(cwlogstest.Faults{Latency: time.Hour})
	f.syncer.Write([]byte("slow"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	n, err := f.syncer.SyncContext(ctx)
	if n != 1 || !errors.Is(err, cwzap.ErrDeadline) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SyncContext = %d, %v; want 1 pending and the deadline", n, err)
	}
	var de *cwzap.DeliveryError
	if !errors.As(err, &de) || de.Events != 1 || de.Late != 1 {
		t.Errorf("SyncContext error = %#v, want 1 late event", err)
	}
	st := f.syncer.Stats()
	checkStatsAddUp(t, st)
	if st.Fallback != 1 || !slices.Equal(f.fallback.Lines(), []string{"slow"}) {
		t.Errorf("stats = %+v, fallback %q; want the pending event in the fallback", st, f.fallback.Lines())
	}
	// Reported once: the next Sync has nothing new to say.
	if err := f.syncer.Sync(); err != nil {
		t.Errorf("second Sync = %v, want nil", err)
	}
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
