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
// runs the long variants: 200,000 entries per fault instead of 10,000, and
// ten times the entries in the memory test.

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

var _soak = flag.Bool("cwzap.soak", false, "run the long reliability variants (200,000 entries per fault, ten times the entries in the memory test)")

const _putTarget = "Logs_20140328.PutLogEvents"

// ledger is an aws.HTTPClient between the SDK and a cwlogstest server. It
// remembers the events of every PutLogEvents call that got no HTTP answer
// (dropped connection, deadline): the client cannot know whether those were
// stored, so they are the only events that may legitimately be stored twice.
// It also lets a test pause the puts (pause), so that it can snapshot and
// delete a group or stream with no put in flight, and wait for the next
// answered put (answered).
type ledger struct {
	next     aws.HTTPClient
	gate     putGate
	slowOver time.Duration
	answered chan struct{} // a value after puts that returned, while none waits unread

	puts       atomic.Int64
	unanswered atomic.Int64 // puts that got no answer
	slow       atomic.Int64 // puts that took slowOver or longer

	mu      sync.Mutex
	maybe   map[int]int // id → unanswered puts that carried it
	badBody error       // a put body that did not parse
}

func newLedger(srv *cwlogstest.Server) (*ledger, *cloudwatchlogs.Client) {
	cfg := srv.Config()
	l := &ledger{next: cfg.HTTPClient, maybe: map[int]int{}, answered: make(chan struct{}, 1)}
	cfg.HTTPClient = l
	return l, cloudwatchlogs.NewFromConfig(cfg)
}

func (l *ledger) Do(req *http.Request) (*http.Response, error) {
	if req.Header.Get("X-Amz-Target") != _putTarget {
		return l.next.Do(req)
	}
	l.gate.enter()
	defer l.gate.exit()
	defer func() {
		select {
		case l.answered <- struct{}{}:
		default:
		}
	}()
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
		if req.Header.Get("Content-Encoding") == "gzip" {
			body = gunzipped(body)
		}
		l.recordUnanswered(body)
	}
	return resp, err
}

// gunzipped returns the content of a gzip body, or the body itself when
// it is not gzip (and then does not parse as JSON either).
func gunzipped(body []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return body
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return body
	}
	return b
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
func (l *ledger) pause(f func()) { l.gate.pause(f) }

// putGate lets puts through together, and pause hold them off while it
// runs. Its waits are on channels, not a lock, so that in a bubble a put
// held off, or a pause waiting for a slow put, lets the fake clock move.
type putGate struct {
	mu     sync.Mutex    // guards the fields below; held only to read or set them
	n      int           // puts in flight
	paused chan struct{} // closed when the pause under way ends; nil when none is
	idle   chan struct{} // closed when n drops to 0 for the pause waiting; nil when none waits
}

func (g *putGate) enter() {
	for {
		g.mu.Lock()
		p := g.paused
		if p == nil {
			g.n++
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		<-p
	}
}

func (g *putGate) exit() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n--; g.n == 0 && g.idle != nil {
		close(g.idle)
		g.idle = nil
	}
}

// pause runs f once no put is in flight, holding new ones off; one
// goroutine pauses at a time.
func (g *putGate) pause(f func()) {
	g.mu.Lock()
	g.paused = make(chan struct{})
	idle := make(chan struct{})
	if g.n == 0 {
		close(idle)
	} else {
		g.idle = idle
	}
	g.mu.Unlock()
	<-idle
	f()
	g.mu.Lock()
	close(g.paused)
	g.paused = nil
	g.mu.Unlock()
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
	n := 10_000
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
			synctest.Test(t, func(t *testing.T) { runFaultCase(t, tt, n, slowDelay) })
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
	// Goroutines of the bubble from before the test: the test's own.
	ours := goleak.IgnoreCurrent()
	start := time.Now()
	srv := memoryServer(t)
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
	errs.attach(s)
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
			// A bound on a failure: the puts take seconds of the bubble's time.
			deadline := time.After(time.Minute)
			for _, d := range dels {
				for srv.EventCount() < int(d.at*float64(n)) {
					select {
					case <-led.answered:
					case <-deadline:
						delErr <- fmt.Errorf("endpoint never stored %.0f%% of the entries", 100*d.at)
						return
					}
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
	goleak.VerifyNone(t, append(ignoreHTTP, ours)...)
	t.Logf("%-24s delivered %6d  fallback %5d  dropped %d  duplicates %4d (endpoint+fallback %d)  retries %4d  puts %5d  unanswered %3d  slow %3d  batches %5d  took %v",
		tt.name, st.Delivered, st.Fallback, st.Dropped, len(dups), len(cross), st.Retries,
		led.puts.Load(), led.unanswered.Load(), led.slow.Load(), st.Batches, faultTime.Round(time.Millisecond))
}

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
