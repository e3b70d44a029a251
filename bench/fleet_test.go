package bench

// Fleet: many Lambda-like writers, each with its own Syncer, logging into
// one application-wide stream of an endpoint whose put rate is the
// account's PutLogEvents quota scaled down by the fleet's own factor. See
// the "Fleet" section of README.md. The same fleet under cwzaplambda's
// Wrap, whose extension paces its flushes by the quota, is
// BenchmarkFleetWrap in cwzaplambda/pacer_bench_test.go: it drives the
// extension's unexported flusher, which this module cannot reach.

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

const (
	_fleetModelled = 10_000 // instances the fleet stands for
	// _accountQuota is PutLogEvents' default quota: 5,000 transactions per
	// second per account and Region, shared by every stream (the old five
	// per second per stream is gone). PutLogEvents, CloudWatch Logs API
	// Reference.
	_accountQuota = 5_000
	_fleetEntries = 5 // entries logged per invocation
	_fleetGroup   = "/app/fleet"
	_fleetStream  = "application"
	_fleetMessage = "handled"
)

var (
	fleetWriters = flag.Int("fleet.writers", 1_000, "BenchmarkFleet: writers (Syncers), each standing for _fleetModelled/writers instances")
	fleetFor     = flag.Duration("fleet.for", 3*time.Second, "BenchmarkFleet: how long each scenario invokes; README figures use 30s")
)

// fleetRates are the invocations per second of one instance: below the
// quota with one put per invocation, twice it, eight times it.
var fleetRates = []float64{0.25, 1, 4}

// BenchmarkFleet runs, for each invocation rate and each way of flushing,
// *fleetWriters writers that each invoke at that rate for *fleetFor, log
// _fleetEntries entries per invocation and then either call Sync (flush
// per invocation, as a Lambda function without cwzaplambda must) or leave
// delivery to the Syncer's age-based flush (WithFlushInterval, default
// 5 s). The endpoint accepts _accountQuota*writers/_fleetModelled puts per
// second and throttles beyond, so demand and quota keep their real ratio.
// A writer's next invocation starts on schedule, or when its Sync returns
// if that is later. After its last invocation each writer closes its
// Syncer, as an instance shut down.
//
// One op is one scenario. It fails unless, summed over the writers,
// Written == Delivered + Fallback + Dropped and every entry written is
// stored exactly once or in the fallback writer. After all scenarios it
// prints a table (see fleetRow).
func BenchmarkFleet(b *testing.B) {
	var rows []fleetRow
	for _, rate := range fleetRates {
		for _, perInvocation := range []bool{true, false} {
			name := fmt.Sprintf("rate=%g/flush=%s", rate, map[bool]string{true: "sync", false: "age"}[perInvocation])
			b.Run(name, func(b *testing.B) {
				var r fleetRow
				for range b.N {
					r = fleetScenario(b, *fleetWriters, rate, perInvocation, *fleetFor)
				}
				r.report(b)
				rows = append(rows, r)
			})
		}
	}
	printFleetTable(rows)
}

// fleetRow is one scenario's result. "Window" figures count from the
// first invocation until *fleetFor has passed; the rest include each
// writer's Close after its last invocation, when the fleet flushes at once.
type fleetRow struct {
	writers, quota int
	rate           float64
	perInvocation  bool
	window         time.Duration
	invocations    int // started in the window
	putsOK, throt  int // successful and throttled puts in the window
	total          cwzap.Stats
	throttled      int // whole run
	drain          time.Duration
	delay, syncs   hist
	stored, lost   int
	dups           int // stored or in the fallback more than once
	both           int // stored and in the fallback
}

// fleetScenario runs the fleet on a loopback endpoint.
func fleetScenario(b testing.TB, writers int, rate float64, perInvocation bool, window time.Duration) fleetRow {
	b.Helper()
	ts := fleetEndpoint(b, false)
	defer ts.Close()
	// One keep-alive connection per writer, as each instance has its own.
	tr := &http.Transport{Proxy: nil, MaxIdleConns: 2 * writers, MaxIdleConnsPerHost: 2 * writers}
	defer tr.CloseIdleConnections()
	cfg := ts.Config()
	cfg.HTTPClient = &http.Client{Transport: tr}
	return runFleet(b, ts, cloudwatchlogs.NewFromConfig(cfg), writers, rate, perInvocation, window)
}

// runFleet runs the fleet on ts, each writer's Syncer putting through
// client.
func runFleet(b testing.TB, ts *cwlogstest.Server, client *cloudwatchlogs.Client, writers int, rate float64, perInvocation bool, window time.Duration) fleetRow {
	b.Helper()
	r := fleetRow{writers: writers, quota: max(1, _accountQuota*writers/_fleetModelled), rate: rate,
		perInvocation: perInvocation, window: window}
	var fb lineCollector
	var errs errorCounter
	syncers := make([]*cwzap.Syncer, writers)
	for w := range syncers {
		s, err := cwzap.NewSyncer(_fleetGroup, _fleetStream, cwzap.WithClient(client),
			cwzap.WithFallback(&fb), cwzap.WithErrorHandler(errs.handle))
		if err != nil {
			b.Fatal(err)
		}
		syncers[w] = s
	}
	ts.SetFaults(cwlogstest.Faults{PutsPerSecond: r.quota})

	period := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	end := start.Add(window)
	invs := make([]int, writers) // invocations of each writer
	var mu sync.Mutex            // guards r.syncs
	var wg sync.WaitGroup
	for w, s := range syncers {
		wg.Go(func() {
			logger := zap.New(cwzap.NewCore(s, zap.InfoLevel))
			syncs := new(hist)
			// Writers start spread over one period, as a warm fleet runs.
			next := start.Add(period * time.Duration(w) / time.Duration(writers))
			for ; next.Before(end); invs[w]++ {
				time.Sleep(time.Until(next))
				for i := range _fleetEntries {
					logger.Info(_fleetMessage, zap.Int("writer", w), zap.Int("inv", invs[w]), zap.Int("i", i))
				}
				if perInvocation {
					t0 := time.Now()
					_ = logger.Sync() // what fails is in the fallback counts
					syncs.add(time.Since(t0))
				}
				// A busy instance takes its next invocation when it is free.
				next = later(next.Add(period), time.Now())
			}
			// The instance is shut down after its last invocation.
			_ = s.Close()
			mu.Lock()
			r.syncs.merge(syncs)
			mu.Unlock()
		})
	}
	time.Sleep(time.Until(end))
	var inWindow cwzap.Stats
	for _, s := range syncers {
		inWindow.Batches += s.Stats().Batches
	}
	calls := ts.Calls("PutLogEvents")
	r.putsOK, r.throt = int(inWindow.Batches), calls-int(inWindow.Batches)
	wg.Wait()
	for _, s := range syncers {
		st := s.Stats()
		r.total.Written += st.Written
		r.total.Delivered += st.Delivered
		r.total.Fallback += st.Fallback
		r.total.Dropped += st.Dropped
		r.total.Batches += st.Batches
		r.total.Retries += st.Retries
	}
	r.drain = time.Since(end)
	r.throttled = ts.Calls("PutLogEvents") - int(r.total.Batches)
	for _, n := range invs {
		r.invocations += n
	}
	r.check(b, ts, &fb, invs)
	return r
}

// fleetEndpoint starts an endpoint that keeps events, with the fleet's
// group and stream created, as an application's infrastructure would; in
// memory (cwlogstest's InMemory) for a test in a testing/synctest bubble.
func fleetEndpoint(b testing.TB, inMemory bool) *cwlogstest.Server {
	b.Helper()
	ts := cwlogstest.NewUnstartedServer()
	ts.InMemory = inMemory
	ts.Start()
	client := ts.Client()
	ctx := context.Background()
	if _, err := client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(_fleetGroup)}); err != nil {
		ts.Close()
		b.Fatal(err)
	}
	if _, err := client.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName: aws.String(_fleetGroup), LogStreamName: aws.String(_fleetStream),
	}); err != nil {
		ts.Close()
		b.Fatal(err)
	}
	return ts
}

// TestFleet runs a small fleet at four times its quota under -race, with
// both ways of flushing, and checks what each does with the quota. A Sync
// per invocation puts that invocation's entries alone, so the fleet is
// throttled: each put carries one invocation. Left to the age flush, an
// instance's entries wait for WithFlushInterval (5 s), longer than the
// run: each instance makes one put, at its Close, of all its invocations.
// It runs in a bubble, on an in-memory endpoint: the invocations' pace, the
// quota's token bucket, the puts' backoff and the Sync deadlines are the
// bubble's time, so the fleet does the same whatever the machine.
func TestFleet(t *testing.T) {
	const writers, rate, window = 40, 4, time.Second
	for _, perInvocation := range []bool{true, false} {
		t.Run(fmt.Sprintf("per invocation=%v", perInvocation), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ts := fleetEndpoint(t, true)
				defer ts.Close()
				r := runFleet(t, ts, ts.Client(), writers, rate, perInvocation, window)
				st := r.total
				if r.invocations < writers || st.Written != uint64(r.invocations*_fleetEntries) {
					t.Errorf("%d invocations, %d written; want at least one invocation of %d entries a writer, all written", r.invocations, st.Written, _fleetEntries)
				}
				if perInvocation {
					if st.Delivered != _fleetEntries*st.Batches || r.throttled == 0 {
						t.Errorf("Sync per invocation: %d entries in %d puts, %d throttled; want one invocation a put, and puts over the quota of %d/s throttled",
							st.Delivered, st.Batches, r.throttled, r.quota)
					}
					return
				}
				// Nothing holds an invocation: every writer keeps its pace.
				if st.Batches > writers || r.invocations != writers*rate {
					t.Errorf("age flush: %d puts for %d invocations of %d instances; want one put an instance, at its Close",
						st.Batches, r.invocations, writers)
				}
			})
		})
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// check fails b unless the counters add up and each entry written (writer
// w's invocations 0 to invs[w]-1, _fleetEntries each) is stored once or
// written to the fallback writer once. An entry may be both, when a Sync
// deadline cancelled its put just as the endpoint stored it (the README's
// "at least once"): counted in r.both, and then the Syncer counts it as
// Fallback only. It records each stored event's delivery delay: the
// endpoint's ingestion time (stamped when it stores the event) minus the
// event's timestamp (the entry's time), both in milliseconds from this
// process's clock.
func (r *fleetRow) check(b testing.TB, ts *cwlogstest.Server, fb *lineCollector, invs []int) {
	b.Helper()
	st := r.total
	if st.Written != st.Delivered+st.Fallback+st.Dropped {
		b.Errorf("Written %d != Delivered %d + Fallback %d + Dropped %d", st.Written, st.Delivered, st.Fallback, st.Dropped)
	}
	stored, fell := make([][]uint8, len(invs)), make([][]uint8, len(invs))
	for w, n := range invs {
		stored[w], fell[w] = make([]uint8, n*_fleetEntries), make([]uint8, n*_fleetEntries)
	}
	mark := func(seen [][]uint8, msg string) bool {
		w, inv, i, ok := parseFleetEntry(msg)
		if !ok || w >= len(invs) || inv >= invs[w] {
			b.Errorf("unexpected event %q", msg)
			return false
		}
		seen[w][inv*_fleetEntries+i]++
		return true
	}
	events := ts.Events(_fleetGroup, _fleetStream)
	r.stored = len(events)
	for _, e := range events {
		if mark(stored, e.Message) {
			r.delay.add(time.Duration(e.IngestionTime-e.Timestamp) * time.Millisecond)
		}
	}
	fb.mu.Lock()
	for _, line := range fb.lines {
		mark(fell, line)
	}
	fallback := len(fb.lines)
	fb.mu.Unlock()
	for w := range stored {
		for k, s := range stored[w] {
			f := fell[w][k]
			switch {
			case s == 0 && f == 0:
				r.lost++
			case s > 1 || f > 1:
				r.dups++
			case s == 1 && f == 1:
				r.both++
			}
		}
	}
	if r.lost != 0 || r.dups != 0 || uint64(r.stored-r.both) != st.Delivered || uint64(fallback) != st.Fallback {
		b.Errorf("stored %d (Delivered %d), fallback lines %d (Fallback %d): %d lost, %d duplicates, %d both stored and in the fallback",
			r.stored, st.Delivered, fallback, st.Fallback, r.lost, r.dups, r.both)
	}
}

// parseFleetEntry reads writer, inv and i from the known tail of a fleet
// entry, {…,"message":"handled","writer":W,"inv":N,"i":I}.
func parseFleetEntry(msg string) (w, inv, i int, ok bool) {
	_, rest, ok := strings.Cut(msg, `,"message":"`+_fleetMessage+`","writer":`)
	if !ok {
		return 0, 0, 0, false
	}
	rest, ok = strings.CutSuffix(rest, "}")
	f := strings.Split(rest, ",")
	if !ok || len(f) != 3 {
		return 0, 0, 0, false
	}
	invS, ok1 := strings.CutPrefix(f[1], `"inv":`)
	iS, ok2 := strings.CutPrefix(f[2], `"i":`)
	w, err := strconv.Atoi(f[0])
	inv, err1 := strconv.Atoi(invS)
	i, err2 := strconv.Atoi(iS)
	if !ok1 || !ok2 || err != nil || err1 != nil || err2 != nil || w < 0 || inv < 0 || i < 0 || i >= _fleetEntries {
		return 0, 0, 0, false
	}
	return w, inv, i, true
}

// lineCollector keeps the lines written to it: the fallback writer.
type lineCollector struct {
	mu    sync.Mutex // guards lines
	lines []string
}

func (c *lineCollector) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for line := range strings.SplitSeq(strings.TrimSuffix(string(p), "\n"), "\n") {
		c.lines = append(c.lines, line)
	}
	return len(p), nil
}

func (r *fleetRow) report(b *testing.B) {
	secs := r.window.Seconds()
	b.ReportMetric(r.demand(), "demand/quota")
	b.ReportMetric(float64(r.invocations)/secs, "inv/s")
	b.ReportMetric(float64(r.putsOK)/secs, "puts/s")
	b.ReportMetric(float64(r.throt)/secs, "throttled/s")
	b.ReportMetric(float64(r.throttled), "throttled")
	b.ReportMetric(float64(r.total.Retries), "retries")
	b.ReportMetric(ms(r.delay.quantile(0.50)), "delay-p50-ms")
	b.ReportMetric(ms(r.delay.quantile(0.99)), "delay-p99-ms")
	if r.perInvocation {
		b.ReportMetric(ms(r.syncs.quantile(0.50)), "sync-p50-ms")
		b.ReportMetric(ms(r.syncs.quantile(0.99)), "sync-p99-ms")
	}
	b.ReportMetric(float64(r.total.Written), "written")
	b.ReportMetric(float64(r.total.Fallback), "fallback")
	b.ReportMetric(float64(r.lost), "lost")
	b.ReportMetric(float64(r.both), "both")
	b.ReportMetric(float64(r.drain.Milliseconds()), "drain-ms")
}

// demand is the puts per second the fleet would make unthrottled, over
// the quota: one per invocation, or with age-based flushing at most one per
// flush interval per writer.
func (r *fleetRow) demand() float64 {
	perWriter := r.rate
	if !r.perInvocation {
		perWriter = min(r.rate, 1/cwzap.DefaultFlushInterval.Seconds())
	}
	return float64(r.writers) * perWriter / float64(r.quota)
}

func ms(ns uint64) float64 { return float64(ns) / float64(time.Millisecond) }

// printFleetTable prints the rows as the README's Markdown table.
func printFleetTable(rows []fleetRow) {
	if len(rows) == 0 {
		return
	}
	r0 := rows[0]
	fmt.Fprintf(os.Stdout, "\nfleet: %d writers for %d instances, quota %d puts/s, %v per scenario, %d entries per invocation\n\n",
		r0.writers, _fleetModelled, r0.quota, r0.window, _fleetEntries)
	fmt.Println("| inv/s per instance | flush | demand / quota | inv/s | puts/s | throttled/s | retries | delay p50 | delay p99 | Sync p50 | Sync p99 | written | fallback | both | lost |")
	fmt.Println("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range rows {
		flush, s50, s99 := "age (5 s)", "—", "—"
		if r.perInvocation {
			flush = "per invocation"
			s50, s99 = fmtMs(r.syncs.quantile(0.5)), fmtMs(r.syncs.quantile(0.99))
		}
		secs := r.window.Seconds()
		fmt.Printf("| %g | %s | %.2f | %.0f | %.0f | %.0f | %d | %s | %s | %s | %s | %d | %d | %d | %d |\n",
			r.rate, flush, r.demand(), float64(r.invocations)/secs,
			float64(r.putsOK)/secs, float64(r.throt)/secs, r.total.Retries,
			fmtMs(r.delay.quantile(0.5)), fmtMs(r.delay.quantile(0.99)), s50, s99,
			r.total.Written, r.total.Fallback, r.both, r.lost)
	}
	fmt.Println()
}

func fmtMs(ns uint64) string {
	d := time.Duration(ns)
	if d < time.Millisecond {
		return "< 1 ms"
	}
	if d >= time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}
