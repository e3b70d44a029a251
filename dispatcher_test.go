package cwzap_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// part is one event of a split entry.
type part struct {
	Timestamp, Level, Location string
	Part, Parts                int
	Entry, Chunk               string
}

// rejoin checks the parts among events, as a reader would: each a valid
// JSON object within the event limit, the parts of each entry stored in
// order with one head; and returns the text of each entry, in the order
// their first parts were stored.
func rejoin(t *testing.T, events []cwlogstest.Event) []string {
	t.Helper()
	var order []string
	byEntry := map[string][]part{}
	for i, e := range events {
		var p part
		if len(e.Message) > cwzap.MaxEventBytes || !utf8.ValidString(e.Message) {
			t.Fatalf("event %d is %d bytes or not UTF-8", i, len(e.Message))
		}
		if err := json.Unmarshal([]byte(e.Message), &p); err != nil || p.Entry == "" {
			t.Fatalf("event %d is not a part (%v): %.100s", i, err, e.Message)
		}
		if len(byEntry[p.Entry]) == 0 {
			order = append(order, p.Entry)
		}
		byEntry[p.Entry] = append(byEntry[p.Entry], p)
	}
	var out []string
	for _, id := range order {
		parts := byEntry[id]
		var whole strings.Builder
		for k, p := range parts {
			if p.Part != k+1 || p.Parts != len(parts) {
				t.Fatalf("entry %s: stored part %d is part %d of %d: out of order", id, k+1, p.Part, p.Parts)
			}
			if p.Timestamp != parts[0].Timestamp || p.Level != parts[0].Level || p.Location != parts[0].Location {
				t.Fatalf("entry %s: part %d has another head", id, k+1)
			}
			whole.WriteString(p.Chunk)
		}
		out = append(out, whole.String())
	}
	return out
}

// The parts of an entry larger than one event travel in separate batches;
// with several puts in flight they must still be stored in order, whatever
// the entry's format, and rejoin into the entry.
func TestSplitEntriesAreStoredInOrder(t *testing.T) {
	synctest.Test(t, testSplitEntriesAreStoredInOrder)
}

func testSplitEntriesAreStoredInOrder(t *testing.T) {
	f := bubbleFixture(t, cwzap.WithConcurrency(4))
	f.createStream(t)
	// Puts overlap for a while, so that a later part could overtake.
	f.srv.SetFaults(cwlogstest.Faults{Latency: 20 * time.Millisecond})
	logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel))
	text := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel, cwzap.WithFormat(cwzap.FormatShort)))
	const entries0 = 1
	want := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			for i := range entries0 {
				body := strings.Repeat(fmt.Sprintf("writer %d entry %d é 日本 \"q\" ", g, i), 3*cwzap.MaxEventBytes/30)
				switch g {
				case 0:
					logger.Info(body)
				case 1:
					text.Info(body)
				case 2:
					f.syncer.Write([]byte(body))
				}
				mu.Lock()
				want[body] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}

	entries := rejoin(t, f.srv.Events(f.group, f.stream))
	if len(entries) != 3*entries0 {
		t.Fatalf("%d entries stored, want %d", len(entries), 3*entries0)
	}
	for _, whole := range entries {
		if !containsBody(whole, want) {
			t.Errorf("an entry does not rejoin into one written (%.80s…)", whole)
		}
	}
	checkStatsAddUp(t, f.syncer.Stats())
}

// containsBody reports whether the rejoined entry holds one of the bodies
// written: the message of the JSON layout or of a text format, or a raw
// Write itself.
func containsBody(entry string, bodies map[string]bool) bool {
	for b := range bodies {
		if strings.Contains(entry, b) {
			return true
		}
		if q, _ := json.Marshal(b); strings.Contains(entry, string(q)) {
			return true
		}
	}
	return false
}

// stuckClient is a Client whose PutLogEvents ignores its context and
// returns only once release is closed, as a broken transport might.
type stuckClient struct {
	cwzap.Client
	release chan struct{}
	calls   chan struct{} // one value per put that started
}

func (c *stuckClient) PutLogEvents(ctx context.Context, in *cloudwatchlogs.PutLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error) {
	c.calls <- struct{}{}
	<-c.release
	return c.Client.PutLogEvents(context.Background(), in, optFns...)
}

// A put that never returns cannot hold its events: once Close returns,
// whatever it reported as handed to the fallback writer is there, and
// Stats add up; when the put does answer, later, nothing is counted twice.
func TestAStuckPutIsHandedOverAtClose(t *testing.T) {
	synctest.Test(t, testAStuckPutIsHandedOverAtClose)
}

func testAStuckPutIsHandedOverAtClose(t *testing.T) {
	const n, deadline = 1000, 500 * time.Millisecond
	srv := memoryServer(t)
	client := &stuckClient{Client: srv.Client(), release: make(chan struct{}), calls: make(chan struct{}, 64)}
	fallback, errs := &lockedBuffer{}, &errorLog{}
	f := &fixture{srv: srv, group: "/test/app", stream: "stuck"}
	f.createStream(t) // the late answers are accepted at once
	s, err := cwzap.NewSyncer(f.group, f.stream,
		cwzap.WithClient(client),
		cwzap.WithFallback(fallback),
		cwzap.WithErrorHandler(errs.handle),
		cwzap.WithMaxBatchEvents(100),
		cwzap.WithSyncTimeout(deadline))
	if err != nil {
		t.Fatal(err)
	}
	errs.attach(s)
	for i := range n {
		s.Write(fmt.Appendf(nil, "stuck %d", i))
	}
	start := time.Now()
	err = s.Close()
	// At the deadline, and at most the handover reserve more while the
	// fallback writer takes events: the puts that never return hold it
	// no longer.
	if took := time.Since(start); took < deadline || took > deadline+deadline/10 {
		t.Errorf("Close returned after %v with its puts stuck, want %v to %v", took, deadline, deadline+deadline/10)
	}
	if got := lateOf(err); got != n {
		t.Errorf("Close = %v; want all %d events late", err, n)
	}
	if got := len(fallback.Lines()); got != n {
		t.Errorf("fallback holds %d lines once Close returned, want %d", got, n)
	}
	st := s.Stats()
	checkStatsAddUp(t, st)
	if st.Fallback != n {
		t.Errorf("stats = %+v, want all %d in the fallback", st, n)
	}
	if len(client.calls) == 0 {
		t.Fatal("no put started: the test proves nothing")
	}

	// The stuck puts answer now, and the events reach the service too:
	// a duplicate, as when an answer is lost, but not counted again.
	close(client.release)
	synctest.Wait()
	if got, want := srv.EventCount(), 100*len(client.calls); got != want {
		t.Fatalf("%d events stored after the release, want %d", got, want)
	}
	if got := s.Stats(); got != st {
		t.Errorf("stats moved after the late answers: %+v, then %+v", st, got)
	}
}

// A sender busy with a put that does not return leaves room for another:
// with WithConcurrency(2), a second batch is put meanwhile.
func TestABusySenderLeavesRoomForAnother(t *testing.T) {
	synctest.Test(t, testABusySenderLeavesRoomForAnother)
}

func testABusySenderLeavesRoomForAnother(t *testing.T) {
	srv := memoryServer(t)
	client := &stuckClient{Client: srv.Client(), release: make(chan struct{}), calls: make(chan struct{}, 8)}
	f := &fixture{srv: srv, group: "/test/app", stream: "busy"}
	f.createStream(t)
	s, err := cwzap.NewSyncer(f.group, f.stream, cwzap.WithClient(client), cwzap.WithConcurrency(2),
		cwzap.WithMaxBatchEvents(1), cwzap.WithFallback(&lockedBuffer{}), cwzap.WithErrorHandler(func(error) {}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Write([]byte("a")) // a full batch: its put starts and hangs
	<-client.calls
	s.Write([]byte("b"))
	synctest.Wait()
	select {
	case <-client.calls:
	default:
		close(client.release)
		t.Fatal("no second put while the first hangs, with WithConcurrency(2)")
	}
	close(client.release)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Delivered != 2 {
		t.Errorf("stats = %+v, want both delivered", st)
	}
}

// gatedWriter blocks its first Write until gate is closed.
type gatedWriter struct {
	lockedBuffer
	once sync.Once
	gate chan struct{}
}

func (w *gatedWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { <-w.gate })
	return w.lockedBuffer.Write(p)
}

// honestClient is a Client whose first put ignores its context until
// release is closed; later puts wait for their context while blocked is
// set, then go through.
type honestClient struct {
	stuckClient
	n       atomic.Int32
	blocked atomic.Bool
}

func (c *honestClient) PutLogEvents(ctx context.Context, in *cloudwatchlogs.PutLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error) {
	if c.n.Add(1) == 1 {
		return c.stuckClient.PutLogEvents(ctx, in, optFns...)
	}
	c.calls <- struct{}{}
	if c.blocked.Load() {
		<-ctx.Done()
		return nil, context.Cause(ctx)
	}
	return c.Client.PutLogEvents(ctx, in, optFns...)
}

// A deadline's handover and a put that returns on cancel race for the
// batches given up on; whichever loses must not touch a batch the other
// settled and the budget recycled: every later event is settled, and a
// later Sync returns at once.
func TestAHandoverNeverTouchesARecycledBatch(t *testing.T) {
	synctest.Test(t, testAHandoverNeverTouchesARecycledBatch)
}

func testAHandoverNeverTouchesARecycledBatch(t *testing.T) {
	srv := memoryServer(t)
	c := &honestClient{stuckClient: stuckClient{Client: srv.Client(), release: make(chan struct{}), calls: make(chan struct{}, 8)}}
	c.blocked.Store(true)
	f := &fixture{srv: srv, group: "/test/app", stream: "recycle"}
	f.createStream(t)
	w := &gatedWriter{gate: make(chan struct{})}
	const deadline = 400 * time.Millisecond
	s, err := cwzap.NewSyncer(f.group, f.stream, cwzap.WithClient(c), cwzap.WithConcurrency(2),
		cwzap.WithMaxBatchEvents(1), cwzap.WithSyncTimeout(deadline), cwzap.WithFallback(w),
		cwzap.WithPutTimeout(time.Hour), cwzap.WithErrorHandler(func(error) {}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Write([]byte("a"))
	<-c.calls
	s.Write([]byte("b"))
	<-c.calls
	s.Sync() // gives both up: the handover waits on the writer, b's put returns
	c.blocked.Store(false)
	close(w.gate)
	close(c.release)
	for range 3 {
		s.Write([]byte("later")) // may reuse a batch the race left behind
		start := time.Now()
		if err := s.Sync(); err != nil || time.Since(start) != 0 {
			t.Fatalf("Sync of a delivered event = %v after %v, want nil at once", err, time.Since(start))
		}
	}
	checkStatsAddUp(t, s.Stats())
}
