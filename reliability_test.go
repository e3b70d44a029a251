package cwzap_test

// Reliability tests: the promise that every event Write or WriteEntry
// accepted ends delivered, in the fallback writer, or counted as dropped,
// under every fault cwlogstest can inject; memory through an outage; hostile
// input; and credentials that never reach an error or the fallback writer.
//
// The default run is sized for CI (`go test -race ./...`). The flag
//
//	go test -race -run 'Reliab|Memory' -cwzap.soak -timeout 30m .
//
// runs the long variants: 200,000 entries per fault instead of 20,000, and a
// 30 s outage instead of 3 s in the memory test.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

var _soak = flag.Bool("cwzap.soak", false, "run the long reliability variants (200,000 entries per fault, a 30 s outage in the memory test)")

const _putTarget = "Logs_20140328.PutLogEvents"

// ledger is an aws.HTTPClient between the SDK and a cwlogstest server. It
// remembers the events of every PutLogEvents call that got no HTTP answer
// (dropped connection, deadline): the client cannot know whether those were
// stored, so they are the only events that may legitimately be stored twice.
// It also lets a test pause the puts (pause), so that it can snapshot and
// delete a group or stream with no put in flight.
type ledger struct {
	next     aws.HTTPClient
	gate     sync.RWMutex // puts hold it for reading; pause for writing
	slowOver time.Duration

	puts       atomic.Int64
	unanswered atomic.Int64 // puts that got no answer
	slow       atomic.Int64 // puts that took slowOver or longer

	mu      sync.Mutex
	maybe   map[int]int // id → unanswered puts that carried it
	badBody error       // a put body that did not parse
}

func newLedger(srv *cwlogstest.Server) (*ledger, *cloudwatchlogs.Client) {
	cfg := srv.Config()
	l := &ledger{next: cfg.HTTPClient, maybe: map[int]int{}}
	cfg.HTTPClient = l
	return l, cloudwatchlogs.NewFromConfig(cfg)
}

func (l *ledger) Do(req *http.Request) (*http.Response, error) {
	if req.Header.Get("X-Amz-Target") != _putTarget {
		return l.next.Do(req)
	}
	l.gate.RLock()
	defer l.gate.RUnlock()
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	l.puts.Add(1)
	start := time.Now()
	resp, err := l.next.Do(req)
	if l.slowOver > 0 && time.Since(start) >= l.slowOver {
		l.slow.Add(1)
	}
	if err != nil {
		l.unanswered.Add(1)
		l.recordUnanswered(body)
	}
	return resp, err
}

func (l *ledger) recordUnanswered(body []byte) {
	var in struct {
		LogEvents []struct{ Message string } `json:"logEvents"`
	}
	err := json.Unmarshal(body, &in)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.badBody = err
		return
	}
	for _, e := range in.LogEvents {
		if id, err := entryID(e.Message); err == nil {
			l.maybe[id]++
		}
	}
}

// pause runs f with no PutLogEvents call in flight.
func (l *ledger) pause(f func()) {
	l.gate.Lock()
	defer l.gate.Unlock()
	f()
}

func (l *ledger) maybeStored(id int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.maybe[id]
}

// entryID returns the id field of an event written by the Core; the event
// must be a valid JSON object.
func entryID(msg string) (int, error) {
	var v struct {
		ID *int `json:"id"`
	}
	if err := json.Unmarshal([]byte(msg), &v); err != nil {
		return 0, fmt.Errorf("not JSON: %w", err)
	}
	if v.ID == nil {
		return 0, errors.New("no id field")
	}
	return *v.ID, nil
}

// faultCase is one row of the fault matrix.
type faultCase struct {
	name       string
	giveFaults cwlogstest.Faults
	// giveOutage turns Outage on from the start for this long, then
	// giveFaults apply.
	giveOutage time.Duration
	// giveDeleteGroupAt and giveDeleteStreamAt delete the group or the
	// stream once the endpoint has stored this fraction of the entries.
	giveDeleteGroupAt  []float64
	giveDeleteStreamAt []float64
	// wantDuplicatesOK: the fault loses answers of processed puts, so an
	// event of such a put may be stored more than once.
	wantDuplicatesOK bool
	wantRetries      bool // the fault must make the Syncer retry
	wantUnanswered   bool // the fault must leave puts without an answer
	wantSlow         bool // the fault must make puts slow
}

func TestReliabilityFaultMatrix(t *testing.T) {
	n := 20_000
	if *_soak {
		n = 200_000
	}
	const slowDelay = 150 * time.Millisecond
	tests := []faultCase{
		{name: "throttle", giveFaults: cwlogstest.Faults{Throttle: 0.3, Seed: 1}, wantRetries: true},
		{name: "unavailable 503", giveFaults: cwlogstest.Faults{Unavailable: 0.3, Seed: 2}, wantRetries: true},
		{name: "internal failure 500", giveFaults: cwlogstest.Faults{InternalFailure: 0.3, Seed: 3}, wantRetries: true},
		{name: "drop before processing", giveFaults: cwlogstest.Faults{Drop: 0.3, Seed: 4}, wantRetries: true, wantUnanswered: true},
		{name: "drop after processing", giveFaults: cwlogstest.Faults{DropAfter: 0.3, Seed: 5}, wantDuplicatesOK: true, wantRetries: true, wantUnanswered: true},
		{name: "slow answers", giveFaults: cwlogstest.Faults{Slow: 0.3, SlowDelay: slowDelay, Seed: 6}, wantSlow: true},
		{name: "group deleted mid-run", giveDeleteGroupAt: []float64{0.3, 0.6}},
		{name: "stream deleted mid-run", giveDeleteStreamAt: []float64{0.3, 0.6}},
		{name: "outage window", giveOutage: 800 * time.Millisecond, wantRetries: true},
		{
			name: "all mixed at 30%",
			giveFaults: cwlogstest.Faults{
				Throttle: 0.05, Unavailable: 0.05, InternalFailure: 0.05, Drop: 0.05,
				DropAfter: 0.05, Slow: 0.05, SlowDelay: slowDelay, Seed: 7,
			},
			giveOutage:         300 * time.Millisecond,
			giveDeleteGroupAt:  []float64{0.4},
			giveDeleteStreamAt: []float64{0.7},
			wantDuplicatesOK:   true,
			wantRetries:        true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runFaultCase(t, tt, n, slowDelay)
		})
	}
}

func runFaultCase(t *testing.T, tt faultCase, n int, slowDelay time.Duration) {
	const (
		goroutines = 8
		group      = "/reliability/app"
		stream     = "matrix"
		recovery   = 100
	)
	start := time.Now()
	srv := cwlogstest.NewServer()
	t.Cleanup(func() { closeServer(srv) })
	led, client := newLedger(srv)
	led.slowOver = slowDelay
	fallback := &lockedBuffer{}
	errs := &errorLog{}
	s, err := cwzap.NewSyncer(group, stream,
		cwzap.WithClient(client),
		cwzap.WithFallback(fallback),
		cwzap.WithErrorHandler(errs.handle),
		// Small batches, so that every fault is hit many times, and room
		// for all of them: overflow is the memory test's subject, and an
		// event that overflows is not reported to the error handler.
		cwzap.WithMaxBatchEvents(250),
		cwzap.WithMaxBatchBytes(128<<10),
		cwzap.WithBufferLimit(256<<20),
		cwzap.WithPutTimeout(4*time.Second),
		cwzap.WithConcurrency(4),
		cwzap.WithFlushInterval(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	logger := zap.New(cwzap.NewCore(s, zap.InfoLevel))

	var bg sync.WaitGroup
	if tt.giveOutage > 0 {
		srv.SetFaults(cwlogstest.Faults{Outage: true})
		bg.Add(1)
		go func() {
			defer bg.Done()
			time.Sleep(tt.giveOutage) // the fault window, not an assertion
			srv.SetFaults(tt.giveFaults)
		}()
	} else {
		srv.SetFaults(tt.giveFaults)
	}

	// Deletions: each waits until the endpoint holds a share of the
	// entries, then snapshots the stream and deletes with no put in flight,
	// so that the events it held are still counted.
	type deletion struct {
		at    float64
		group bool
	}
	var dels []deletion
	for _, at := range tt.giveDeleteGroupAt {
		dels = append(dels, deletion{at, true})
	}
	for _, at := range tt.giveDeleteStreamAt {
		dels = append(dels, deletion{at, false})
	}
	sort.Slice(dels, func(i, j int) bool { return dels[i].at < dels[j].at })
	var snapshot []cwlogstest.Event
	delErr := make(chan error, 1)
	if len(dels) > 0 {
		bg.Add(1)
		go func() {
			defer bg.Done()
			deadline := time.Now().Add(60 * time.Second)
			for _, d := range dels {
				for srv.EventCount() < int(d.at*float64(n)) {
					if time.Now().After(deadline) {
						delErr <- fmt.Errorf("endpoint never stored %.0f%% of the entries", 100*d.at)
						return
					}
					time.Sleep(time.Millisecond)
				}
				led.pause(func() {
					snapshot = append(snapshot, srv.Events(group, stream)...)
					if d.group {
						srv.DeleteLogGroup(group)
					} else {
						srv.DeleteLogStream(group, stream)
					}
				})
			}
		}()
	}

	per := n / goroutines
	logConcurrently(logger, goroutines, per, func(child *zap.Logger, g, i int) {
		child.Info("reliability entry", zap.Int("id", g*per+i), zap.String("pad", "0123456789abcdef0123456789abcdef"))
	})
	bg.Wait()
	select {
	case err := <-delErr:
		t.Fatal(err)
	default:
	}
	n = per * goroutines
	syncErr := logger.Sync()
	st := s.Stats()

	// The counters add up, and every fallback event was reported.
	checkStatsAddUp(t, st)
	if st.Written != uint64(n) || st.Dropped != 0 {
		t.Errorf("stats = %+v, want %d written and none dropped", st, n)
	}
	reported := 0
	for _, err := range errs.all() {
		var de *cwzap.DeliveryError
		if errors.As(err, &de) {
			reported += de.Events
		}
	}
	if uint64(reported) != st.Fallback {
		t.Errorf("error handler reported %d undelivered events, Stats.Fallback = %d (did the buffer overflow?)", reported, st.Fallback)
	}
	if st.Fallback > 0 {
		t.Logf("Sync: %v", syncErr)
	}
	if (syncErr != nil) != (st.Fallback > 0) {
		t.Errorf("Sync = %v with %d events in the fallback", syncErr, st.Fallback)
	}

	// Every id exactly once in endpoint ∪ fallback.
	endpoint := append(snapshot, srv.Events(group, stream)...)
	lines := fallback.Lines()
	if uint64(len(lines)) != st.Fallback {
		t.Errorf("fallback holds %d lines, Stats.Fallback = %d", len(lines), st.Fallback)
	}
	inEndpoint := make([]int, n)
	inFallback := make([]int, n)
	tally := func(where string, msgs []string, counts []int) {
		for _, m := range msgs {
			id, err := entryID(m)
			if err != nil || id < 0 || id >= n {
				t.Fatalf("%s holds an event that is not one of ours (%v): %.200q", where, err, m)
			}
			counts[id]++
		}
	}
	msgs := make([]string, len(endpoint))
	for i, e := range endpoint {
		msgs[i] = e.Message
	}
	tally("endpoint", msgs, inEndpoint)
	tally("fallback", lines, inFallback)
	var missing, dups, cross, unexplained []int
	for id := range n {
		total := inEndpoint[id] + inFallback[id]
		switch {
		case total == 0:
			missing = append(missing, id)
		case total > 1:
			dups = append(dups, id)
			if inEndpoint[id] > 0 && inFallback[id] > 0 {
				cross = append(cross, id)
			}
			if !tt.wantDuplicatesOK || total-1 > led.maybeStored(id) {
				unexplained = append(unexplained, id)
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d entries lost (neither delivered nor in the fallback), first %v", len(missing), head(missing))
	}
	if len(unexplained) > 0 {
		t.Errorf("%d entries stored more than once without a put that lost its answer, first %v", len(unexplained), head(unexplained))
	}
	if !tt.wantDuplicatesOK {
		if uint64(len(endpoint)) != st.Delivered {
			t.Errorf("endpoint holds %d events, Stats.Delivered = %d", len(endpoint), st.Delivered)
		}
	} else if uint64(len(endpoint)) < st.Delivered {
		t.Errorf("endpoint holds %d events, fewer than Stats.Delivered = %d", len(endpoint), st.Delivered)
	}
	led.mu.Lock()
	if led.badBody != nil {
		t.Errorf("a put body did not parse: %v", led.badBody)
	}
	led.mu.Unlock()

	// The fault was hit.
	if tt.wantRetries && st.Retries == 0 {
		t.Errorf("no retries under %s: stats %+v", tt.name, st)
	}
	if tt.wantUnanswered && led.unanswered.Load() == 0 {
		t.Errorf("no put lost its answer under %s", tt.name)
	}
	if tt.wantSlow && led.slow.Load() == 0 {
		t.Errorf("no put was slow under %s", tt.name)
	}
	if g := len(tt.giveDeleteGroupAt); g > 0 && srv.Calls("CreateLogGroup") < 1+g {
		t.Errorf("CreateLogGroup called %d times, want at least %d (once, then after each deletion)", srv.Calls("CreateLogGroup"), 1+g)
	}
	// The first put finds no group: CreateLogStream fails, then succeeds
	// after CreateLogGroup; each deletion costs at least one more.
	if d := len(tt.giveDeleteGroupAt) + len(tt.giveDeleteStreamAt); d > 0 && srv.Calls("CreateLogStream") < 2+d {
		t.Errorf("CreateLogStream called %d times, want at least %d (twice, then after each deletion)", srv.Calls("CreateLogStream"), 2+d)
	}
	faultTime := time.Since(start)

	// Recovery: with the faults off, the next entries are all delivered.
	srv.SetFaults(cwlogstest.Faults{})
	before := s.Stats()
	for i := range recovery {
		logger.Info("after the fault", zap.Int("id", n+i))
	}
	if err := logger.Sync(); err != nil {
		t.Errorf("Sync after the fault ended: %v", err)
	}
	after := s.Stats()
	if after.Delivered-before.Delivered != recovery || after.Fallback != before.Fallback {
		t.Errorf("after the fault: stats %+v → %+v, want %d more delivered and no more fallback", before, after, recovery)
	}
	got := map[int]int{}
	for _, e := range srv.Events(group, stream) {
		if id, err := entryID(e.Message); err == nil && id >= n {
			got[id]++
		}
	}
	for i := range recovery {
		if got[n+i] != 1 {
			t.Errorf("recovery entry %d stored %d times, want 1", n+i, got[n+i])
			break
		}
	}

	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	goleak.VerifyNone(t, ignoreHTTP...)
	t.Logf("%-24s delivered %6d  fallback %5d  dropped %d  duplicates %4d (endpoint+fallback %d)  retries %4d  puts %5d  unanswered %3d  slow %3d  batches %5d  took %v",
		tt.name, st.Delivered, st.Fallback, st.Dropped, len(dups), len(cross), st.Retries,
		led.puts.Load(), led.unanswered.Load(), led.slow.Load(), st.Batches, faultTime.Round(time.Millisecond))
}

// closeServer closes srv after the idle connections of its HTTP client. A
// connection the client dialled but never used is in StateNew on the
// server, and http.Server.Shutdown waits up to 5 s for such a connection,
// so srv.Close alone can take that long.
// logConcurrently logs per entries from each of goroutines goroutines, each
// with its own child logger (field "g"), and returns when all are done.
func logConcurrently(logger *zap.Logger, goroutines, per int, entry func(child *zap.Logger, g, i int)) {
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			child := logger.With(zap.Int("g", g))
			for i := range per {
				entry(child, g, i)
			}
		}()
	}
	wg.Wait()
}

func closeServer(srv *cwlogstest.Server) {
	if c, ok := srv.Config().HTTPClient.(*http.Client); ok {
		c.CloseIdleConnections()
	}
	srv.Close()
}

func head(ids []int) []int {
	return ids[:min(len(ids), 10)]
}

// countingWriter is a fallback writer that keeps nothing but a count, so
// that the memory test measures the Syncer and not its fallback.
type countingWriter struct {
	lines atomic.Int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.lines.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}

// TestMemoryBoundedThroughAnOutage logs, during an outage, four times what
// the buffer holds, in rounds; between rounds, with no entry in motion, it
// measures the live heap. It is driven by amounts, not time: however fast
// the machine, the buffer fills, overflows, and stays within its limit.
func TestMemoryBoundedThroughAnOutage(t *testing.T) {
	const (
		limit      = 16 << 20
		goroutines = 8
		rounds     = 16
	)
	pad := strings.Repeat("p", 200)
	// An entry takes over 300 bytes of arena: 4× the limit in entries.
	total := 4 * limit / 300
	if *_soak {
		total *= 10
	}
	per := total / goroutines / rounds
	srv := cwlogstest.NewServer()
	defer closeServer(srv)
	fallback := &countingWriter{}
	var reports atomic.Int64
	s, err := cwzap.NewSyncer("/reliability/memory", "outage",
		cwzap.WithClient(srv.Client()),
		cwzap.WithBufferLimit(limit),
		cwzap.WithOverflow(cwzap.OverflowFallback),
		cwzap.WithFallback(fallback),
		cwzap.WithErrorHandler(func(error) { reports.Add(1) }),
		cwzap.WithFlushInterval(100*time.Millisecond),
		// The batches stay in memory through the outage, however long the
		// rounds take, so the buffer is full from then on: the worst case.
		cwzap.WithPutTimeout(time.Hour),
		cwzap.WithSyncTimeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	logger := zap.New(cwzap.NewCore(s, zap.InfoLevel))
	srv.SetFaults(cwlogstest.Faults{Outage: true})

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse

	// After each round, HeapInuse as it is (garbage included: what the
	// process holds under load), then after a collection (the live heap,
	// what the bound is about).
	var maxRaw, maxLive uint64
	for round := range rounds {
		logConcurrently(logger, goroutines, per, func(child *zap.Logger, _, i int) {
			child.Info("memory entry", zap.Int("i", round*per+i), zap.String("pad", pad))
		})
		runtime.ReadMemStats(&ms)
		maxRaw = max(maxRaw, ms.HeapInuse)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		maxLive = max(maxLive, ms.HeapInuse)
	}
	logged := uint64(goroutines * rounds * per)
	held := s.Stats()
	srv.SetFaults(cwlogstest.Faults{})
	start := time.Now()
	syncErr := logger.Sync()
	st := s.Stats()

	checkStatsAddUp(t, st)
	if st.Written != logged {
		t.Errorf("Written = %d, logged %d", st.Written, logged)
	}
	if held.Delivered != 0 {
		t.Errorf("%d events delivered during the outage", held.Delivered)
	}
	if st.Fallback == 0 {
		t.Errorf("nothing overflowed to the fallback after logging 4× the buffer in an outage: %+v", st)
	}
	if uint64(fallback.lines.Load()) != st.Fallback {
		t.Errorf("fallback got %d lines, Stats.Fallback = %d", fallback.lines.Load(), st.Fallback)
	}
	if st.Delivered == 0 {
		t.Errorf("the buffered events were not delivered after the outage: %+v (Sync: %v)", st, syncErr)
	}
	if !errors.Is(syncErr, cwzap.ErrBufferFull) {
		t.Errorf("Sync = %v, want ErrBufferFull for the overflow", syncErr)
	}
	bound := base + limit + limit/10
	mb := func(b uint64) float64 { return float64(b) / (1 << 20) }
	t.Logf("logged %d in an outage: delivered %d after it (%.1f MiB of events), fallback %d, drained in %v; HeapInuse: baseline %.1f MiB, max live +%.1f MiB, max raw +%.1f MiB; bound +%.1f MiB",
		logged, st.Delivered, mb(st.Delivered*eventBytes(t, srv)), st.Fallback, time.Since(start).Round(time.Millisecond),
		mb(base), mb(maxLive-base), mb(maxRaw-base), mb(bound-base))
	if maxLive > bound {
		t.Errorf("live heap reached %.1f MiB over a baseline of %.1f MiB with a %.0f MiB buffer limit: more than the limit + 10%%",
			mb(maxLive-base), mb(base), mb(limit))
	}
}

// eventBytes returns the average message size of the events stored in srv.
func eventBytes(t *testing.T, srv *cwlogstest.Server) uint64 {
	events := srv.AllEvents()
	if len(events) == 0 {
		return 0
	}
	var n int
	for _, e := range events {
		n += len(e.Message)
	}
	return uint64(n / len(events))
}

// fixedClock makes a zap.Logger stamp entries with one time.
type fixedClock time.Time

func (c fixedClock) Now() time.Time                         { return time.Time(c) }
func (c fixedClock) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }

type panicStringer struct{}

func (panicStringer) String() string { panic("stringer boom") }

// deliveredOne logs through fn, syncs, and returns the one event stored.
func deliveredOne(t *testing.T, fn func(*zap.Logger)) (*fixture, string) {
	t.Helper()
	f := newFixture(t)
	logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel))
	fn(logger)
	if err := logger.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	events := f.srv.Events(f.group, f.stream)
	if len(events) != 1 {
		t.Fatalf("endpoint holds %d events, want 1", len(events))
	}
	msg := events[0].Message
	if !json.Valid([]byte(msg)) || !utf8.ValidString(msg) {
		t.Fatalf("event is not valid JSON in UTF-8: %.300q", msg)
	}
	st := f.syncer.Stats()
	checkStatsAddUp(t, st)
	if st.Delivered != 1 || st.Fallback != 0 {
		t.Errorf("stats = %+v, want one event delivered", st)
	}
	return f, msg
}

// reassemble checks the parts of one split entry and returns its text.
func reassemble(t *testing.T, events []cwlogstest.Event) string {
	t.Helper()
	type part struct {
		Timestamp, Level, Location string
		Part, Parts                int
		Chunk                      string
	}
	parts := make([]part, len(events))
	for i, e := range events {
		if len(e.Message) > cwzap.MaxEventBytes {
			t.Fatalf("a part is %d bytes, over the %d-byte event limit", len(e.Message), cwzap.MaxEventBytes)
		}
		if !utf8.ValidString(e.Message) {
			t.Fatalf("a part is not valid UTF-8")
		}
		if err := json.Unmarshal([]byte(e.Message), &parts[i]); err != nil {
			t.Fatalf("a part is not JSON: %v: %.200q", err, e.Message)
		}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Part < parts[j].Part })
	var whole strings.Builder
	for i, p := range parts {
		if p.Part != i+1 || p.Parts != len(parts) || p.Level != "INFO" || p.Timestamp == "" {
			t.Fatalf("part %d of %d has head %d/%d %q %q", i+1, len(parts), p.Part, p.Parts, p.Level, p.Timestamp)
		}
		whole.WriteString(p.Chunk)
	}
	return whole.String()
}

func TestHostileInput(t *testing.T) {
	t.Run("empty entry", func(t *testing.T) {
		f, msg := deliveredOne(t, func(l *zap.Logger) { l.Info("") })
		var v map[string]any
		json.Unmarshal([]byte(msg), &v)
		if m, ok := v["message"]; !ok || m != "" || v["level"] != "INFO" {
			t.Errorf("event = %s, want the layout with an empty message", msg)
		}
		// A raw empty write stores nothing and counts nothing.
		if n, err := f.syncer.Write(nil); n != 0 || err != nil {
			t.Errorf("Write(nil) = %d, %v", n, err)
		}
		if st := f.syncer.Stats(); st.Written != 1 {
			t.Errorf("an empty raw write was counted: %+v", st)
		}
	})

	for _, size := range []int{1 << 20, 10 << 20} {
		t.Run(fmt.Sprintf("%d MB message", size>>20), func(t *testing.T) {
			f := newFixture(t)
			logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel))
			unit := "日本語 \"quoted\" back\\slash \n\t\x01 end. "
			big := strings.Repeat(unit, size/len(unit)+1)[:size]
			big = strings.ToValidUTF8(big, "")
			logger.Info(big, zap.Int("id", 42))
			if err := logger.Sync(); err != nil {
				t.Fatalf("Sync: %v", err)
			}
			events := f.srv.Events(f.group, f.stream)
			wantParts := size / cwzap.MaxEventBytes
			if len(events) <= wantParts {
				t.Fatalf("got %d events, want more than %d parts", len(events), wantParts)
			}
			whole := reassemble(t, events)
			var entry struct {
				Message string
				ID      int
			}
			if err := json.Unmarshal([]byte(whole), &entry); err != nil {
				t.Fatalf("reassembled entry is not JSON: %v", err)
			}
			if entry.Message != big || entry.ID != 42 {
				t.Errorf("reassembled entry differs from the original (%d bytes of message, want %d)", len(entry.Message), len(big))
			}
			st := f.syncer.Stats()
			checkStatsAddUp(t, st)
			if st.Written != uint64(len(events)) || st.Delivered != st.Written {
				t.Errorf("stats = %+v, want %d parts written and delivered", st, len(events))
			}
		})
	}

	t.Run("10000 fields", func(t *testing.T) {
		fields := make([]zap.Field, 10_000)
		for i := range fields {
			fields[i] = zap.Int(fmt.Sprintf("f%05d", i), i)
		}
		_, msg := deliveredOne(t, func(l *zap.Logger) { l.Info("many fields", fields...) })
		var v map[string]any
		json.Unmarshal([]byte(msg), &v)
		if len(v) != 10_000+4 {
			t.Errorf("event has %d keys, want 10,004", len(v))
		}
		for _, i := range []int{0, 4_999, 9_999} {
			if got := v[fmt.Sprintf("f%05d", i)]; got != float64(i) {
				t.Errorf("field f%05d = %v", i, got)
			}
		}
	})

	t.Run("nested 1000 deep", func(t *testing.T) {
		var nest func(d int) zapcore.ObjectMarshalerFunc
		nest = func(d int) zapcore.ObjectMarshalerFunc {
			return func(enc zapcore.ObjectEncoder) error {
				if d == 0 {
					enc.AddString("leaf", "bottom")
					return nil
				}
				return enc.AddObject("n", nest(d-1))
			}
		}
		_, msg := deliveredOne(t, func(l *zap.Logger) { l.Info("deep", zap.Object("n", nest(999))) })
		var v map[string]any
		json.Unmarshal([]byte(msg), &v)
		depth := 0
		cur := v
		for {
			next, ok := cur["n"].(map[string]any)
			if !ok {
				break
			}
			depth++
			cur = next
		}
		if depth != 1000 || cur["leaf"] != "bottom" {
			t.Errorf("nesting depth %d with leaf %v, want 1000 and \"bottom\"", depth, cur["leaf"])
		}
	})

	t.Run("panicking MarshalLogObject", func(t *testing.T) {
		boom := zapcore.ObjectMarshalerFunc(func(enc zapcore.ObjectEncoder) error {
			enc.AddString("before", "x")
			panic("object boom")
		})
		_, msg := deliveredOne(t, func(l *zap.Logger) { l.Info("obj", zap.Object("obj", boom), zap.Int("id", 1)) })
		var v map[string]any
		json.Unmarshal([]byte(msg), &v)
		if e, _ := v["objError"].(string); !strings.Contains(e, "object boom") {
			t.Errorf("event = %s, want objError with the panic text", msg)
		}
		if v["id"] != float64(1) {
			t.Errorf("the fields after the panic were lost: %s", msg)
		}
	})

	t.Run("panicking Stringer", func(t *testing.T) {
		_, msg := deliveredOne(t, func(l *zap.Logger) { l.Info("str", zap.Stringer("s", panicStringer{}), zap.Int("id", 2)) })
		var v map[string]any
		json.Unmarshal([]byte(msg), &v)
		if e, _ := v["sError"].(string); !strings.Contains(e, "stringer boom") {
			t.Errorf("event = %s, want sError with the panic text", msg)
		}
		if v["id"] != float64(2) {
			t.Errorf("the fields after the panic were lost: %s", msg)
		}
	})

	t.Run("timestamps out of range", func(t *testing.T) {
		f := newFixture(t)
		core := cwzap.NewCore(f.syncer, zap.InfoLevel)
		now := time.Now()
		zap.New(core, zap.WithClock(fixedClock(now.Add(-15*24*time.Hour)))).Info("old", zap.Int("id", 1))
		zap.New(core).Info("now", zap.Int("id", 2))
		zap.New(core, zap.WithClock(fixedClock(now.Add(3*time.Hour)))).Info("ahead", zap.Int("id", 3))
		err := f.syncer.Sync()
		var de *cwzap.DeliveryError
		if !errors.As(err, &de) || de.Rejected == 0 {
			t.Errorf("Sync = %v, want a DeliveryError for rejected events", err)
		}
		st := f.syncer.Stats()
		checkStatsAddUp(t, st)
		if st.Written != 3 || st.Delivered != 1 || st.Rejected != 2 || st.Fallback != 2 {
			t.Errorf("stats = %+v, want 3 written, 1 delivered, 2 rejected into the fallback", st)
		}
		var ids []int
		for _, line := range f.fallback.Lines() {
			id, err := entryID(line)
			if err != nil {
				t.Errorf("fallback line is not the entry: %v: %q", err, line)
			}
			ids = append(ids, id)
		}
		sort.Ints(ids)
		if fmt.Sprint(ids) != "[1 3]" {
			t.Errorf("fallback holds ids %v, want [1 3]", ids)
		}
		if events := f.srv.Events(f.group, f.stream); len(events) != 1 {
			t.Errorf("endpoint holds %d events, want 1", len(events))
		} else if id, _ := entryID(events[0].Message); id != 2 {
			t.Errorf("endpoint holds %q, want the entry on time", events[0].Message)
		}
	})

	t.Run("invalid UTF-8", func(t *testing.T) {
		f, msg := deliveredOne(t, func(l *zap.Logger) {
			l.Info("bad \xff message \xc3\x28", zap.String("k\xfeey", "v\xffal"), zap.Int("id", 3))
		})
		var v map[string]any
		json.Unmarshal([]byte(msg), &v)
		if m, _ := v["message"].(string); !strings.Contains(m, "\ufffd") || !strings.HasPrefix(m, "bad ") {
			t.Errorf("message = %q, want the bad bytes as U+FFFD", m)
		}
		if val, ok := v["k\ufffdey"].(string); !ok || !strings.Contains(val, "\ufffd") {
			t.Errorf("event = %s, want key k\\ufffdey with a repaired value", msg)
		}
		// Raw text through the Syncer is repaired too.
		if _, err := f.syncer.Write([]byte("raw \xff\xfe text")); err != nil {
			t.Fatal(err)
		}
		if err := f.syncer.Sync(); err != nil {
			t.Fatal(err)
		}
		events := f.srv.Events(f.group, f.stream)
		// A run of invalid bytes may become one U+FFFD or one each.
		if got := events[len(events)-1].Message; !utf8.ValidString(got) || !strings.HasPrefix(got, "raw \ufffd") || !strings.HasSuffix(got, "\ufffd text") {
			t.Errorf("raw event stored as %q, want \"raw \ufffd text\" in valid UTF-8", got)
		}
	})
}

// credentialSpy checks that the credentials are really used, so that the
// test of their absence in the output is not vacuous.
type credentialSpy struct {
	next           aws.HTTPClient
	sawKey, sawTok atomic.Bool
	keyID, token   string
}

func (c *credentialSpy) Do(req *http.Request) (*http.Response, error) {
	if strings.Contains(req.Header.Get("Authorization"), c.keyID) {
		c.sawKey.Store(true)
	}
	if req.Header.Get("X-Amz-Security-Token") == c.token {
		c.sawTok.Store(true)
	}
	return c.next.Do(req)
}

func TestCredentialsNeverLeak(t *testing.T) {
	const (
		keyID  = "AKIAEXAMPLEKEYID1234"
		secret = "SECRETsecretSECRETsecret"
		token  = "SESSIONtoken"
	)
	srv := cwlogstest.NewServer()
	defer closeServer(srv)
	spy := &credentialSpy{next: srv.Config().HTTPClient, keyID: keyID, token: token}
	client := cloudwatchlogs.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, token),
		BaseEndpoint: aws.String(srv.URL),
		HTTPClient:   spy,
	})

	tests := []struct {
		name      string
		giveOpts  []cwzap.SyncerOption
		giveSetup func()
		giveWrite func(*zap.Logger)
	}{
		{
			name:      "outage until the put timeout",
			giveOpts:  []cwzap.SyncerOption{cwzap.WithPutTimeout(300 * time.Millisecond)},
			giveSetup: func() { srv.SetFaults(cwlogstest.Faults{Outage: true}) },
		},
		{
			name:      "connections dropped until the put timeout",
			giveOpts:  []cwzap.SyncerOption{cwzap.WithPutTimeout(300 * time.Millisecond)},
			giveSetup: func() { srv.SetFaults(cwlogstest.Faults{Drop: 1}) },
		},
		{
			name:     "missing group without WithCreateGroup",
			giveOpts: []cwzap.SyncerOption{cwzap.WithCreateGroup(false)},
		},
		{
			name: "rejected events",
			giveWrite: func(l *zap.Logger) {
				l.WithOptions(zap.WithClock(fixedClock(time.Now().Add(-15 * 24 * time.Hour)))).Info("old")
				l.WithOptions(zap.WithClock(fixedClock(time.Now().Add(3 * time.Hour)))).Info("ahead")
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.SetFaults(cwlogstest.Faults{})
			if tt.giveSetup != nil {
				tt.giveSetup()
			}
			defer srv.SetFaults(cwlogstest.Faults{})
			fallback := &lockedBuffer{}
			errs := &errorLog{}
			s, err := cwzap.NewSyncer(fmt.Sprintf("/creds/%d", i), "s",
				append([]cwzap.SyncerOption{
					cwzap.WithClient(client),
					cwzap.WithFallback(fallback),
					cwzap.WithErrorHandler(errs.handle),
					cwzap.WithFlushInterval(time.Hour),
				}, tt.giveOpts...)...)
			if err != nil {
				t.Fatal(err)
			}
			logger := zap.New(cwzap.NewCore(s, zap.InfoLevel))
			if tt.giveWrite != nil {
				tt.giveWrite(logger)
			} else {
				logger.Info("first", zap.Int("id", 1))
				logger.Warn("second", zap.Error(errors.New("cause")))
			}
			syncErr := logger.Sync()
			logger.Info("after the failure")
			closeErr := s.Close()
			// A write after Close goes to the fallback with ErrClosed.
			_, afterErr := s.Write([]byte("after close"))

			var texts []string
			add := func(what string, err error) {
				if err != nil {
					texts = append(texts, what+": "+err.Error(), fmt.Sprintf("%s: %+v", what, err), fmt.Sprintf("%s: %#v", what, err))
				}
			}
			add("Sync", syncErr)
			add("Close", closeErr)
			add("Write after Close", afterErr)
			for _, err := range errs.all() {
				add("error handler", err)
			}
			if syncErr == nil || len(errs.all()) == 0 || len(fallback.Lines()) == 0 {
				t.Fatalf("the failure was not reported: Sync %v, %d handler errors, %d fallback lines", syncErr, len(errs.all()), len(fallback.Lines()))
			}
			texts = append(texts, "fallback: "+strings.Join(fallback.Lines(), "\n"))
			for _, text := range texts {
				for _, secretText := range []string{keyID, secret, token} {
					if strings.Contains(text, secretText) {
						t.Errorf("%q leaked in %s", secretText, text)
					}
				}
			}
		})
	}
	if !spy.sawKey.Load() || !spy.sawTok.Load() {
		t.Errorf("the requests did not carry the credentials (key id seen %v, token seen %v)", spy.sawKey.Load(), spy.sawTok.Load())
	}
}
