package cwzaplambda

// The fleet under Wrap: many instances, each with its own Syncer and the
// extension's real flusher, invoked at a steady rate and logging into one
// application-wide stream of an endpoint whose put rate is the account's
// PutLogEvents quota scaled to the fleet. The extension's side runs as
// Lambda would run it: after each handler, settle (flush or defer) before
// the next invocation; the environment is frozen between invocations, so
// the Syncers have no timer flush of their own.

import (
	"context"
	"flag"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
	"go.uber.org/zap"
)

const (
	_fleetModelled = 10_000 // instances the fleet stands for
	// _accountQuota is PutLogEvents' default quota: 5,000 transactions per
	// second per account and Region (PutLogEvents, CloudWatch Logs API
	// Reference).
	_accountQuota  = 5_000
	_fleetEntries  = 5               // entries per invocation
	_fleetTimeout  = 3 * time.Second // the function's timeout: each flush's deadline
	_fleetGroup    = "/app/fleet"
	_fleetStream   = "application"
	_fleetShutdown = 10 * time.Second // each instance's final Close, as bench/'s fleet
)

var (
	fleetWriters = flag.Int("fleet.writers", 1_000, "BenchmarkFleetWrap: instances simulated, each standing for _fleetModelled/writers")
	fleetFor     = flag.Duration("fleet.for", 3*time.Second, "BenchmarkFleetWrap: how long each scenario invokes; README figures use 30s")
)

// BenchmarkFleetWrap runs, at 0.25, 1 and 4 invocations per second per
// instance, *fleetWriters instances under Wrap's extension, with deferral
// off (WithMaxDeferral(0): one flush per invocation) and on (the
// default), for *fleetFor each. One op is one scenario; it fails unless
// every entry is stored once or in the fallback once. It prints a table
// after all scenarios.
//
//	go test -run '^$' -bench FleetWrap -benchtime 1x -fleet.for 30s
func BenchmarkFleetWrap(b *testing.B) {
	var rows []wrapFleetRow
	for _, rate := range []float64{0.25, 1, 4} {
		for _, deferral := range []time.Duration{0, DefaultMaxDeferral} {
			b.Run(fmt.Sprintf("rate=%g/deferral=%v", rate, deferral), func(b *testing.B) {
				var r wrapFleetRow
				for range b.N {
					r = wrapFleet(b, *fleetWriters, rate, deferral, *fleetFor, _fleetTimeout)
				}
				r.report(b)
				rows = append(rows, r)
			})
		}
	}
	printWrapFleet(rows)
}

// TestFleetWrap runs a small fleet at eight times its quota under -race,
// with deferral off and on, and checks what each does with the quota.
// Off, every invocation's flush puts its own entries: each put carries
// one invocation. On, once a flush of an instance is throttled, the
// instance defers every later invocation of the run, which is shorter than
// the deferral: only the flushes the quota let through unthrottled (one
// token each), and one throttled flush an instance, put their own
// entries, and the other invocations' entries ride in a later put. The
// function's timeout is 1 s, so that a flush holds its instance at most
// half a second (its margin) and invocations stay closer together than
// half the deferral. It runs in a bubble, on an in-memory endpoint: the
// invocations' pace, the quota's token bucket, the puts' backoff and every
// deadline are the bubble's time, so the fleet does the same whatever the
// machine.
func TestFleetWrap(t *testing.T) {
	const writers, rate, window = 40, 4, 2 * time.Second
	for _, deferral := range []time.Duration{0, DefaultMaxDeferral} {
		t.Run(fmt.Sprintf("deferral=%v", deferral), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ts := cwlogstest.NewUnstartedServer()
				ts.InMemory = true
				ts.Start()
				defer ts.Close()
				r := runWrapFleet(t, ts, ts.Client(), writers, rate, deferral, window, time.Second)
				checkWrapFleet(t, r, deferral)
			})
		})
	}
}

// checkWrapFleet checks what a fleet did with its quota.
func checkWrapFleet(t *testing.T, r wrapFleetRow, deferral time.Duration) {
	t.Helper()
	st := r.total
	if r.invocations == 0 || st.Written != uint64(r.invocations*_fleetEntries) {
		t.Errorf("%d invocations, %d written", r.invocations, st.Written)
	}
	if r.calls <= int(st.Batches) {
		t.Errorf("%d puts, none throttled: the fleet did not reach its quota of %d puts/s", r.calls, r.quota)
	}
	// Invocations whose entries rode in another invocation's put.
	shared := int(st.Delivered)/_fleetEntries - int(st.Batches)
	if deferral == 0 {
		if shared != 0 {
			t.Errorf("deferral off: %d entries in %d puts: some put carried more than one invocation", st.Delivered, st.Batches)
		}
		return
	}
	// Flushes that put their own entries: at most the quota's tokens
	// over the run and one throttled flush an instance. Of the rest,
	// an instance's last deferred invocations go at Close (one put
	// each, not counted as shared), and some may be in the fallback.
	tokens := r.quota + int(math.Ceil(float64(r.quota)*r.elapsed.Seconds()))
	want := max(1, r.invocations-tokens-2*r.writers-int(st.Fallback)/_fleetEntries)
	if shared < want {
		t.Errorf("%d of %d invocations rode in a later put (%d entries in %d puts), want at least %d: the quota allowed %d unthrottled puts in %v",
			shared, r.invocations, st.Delivered, st.Batches, want, tokens, r.elapsed.Round(time.Millisecond))
	}
	t.Logf("%d invocations, %d puts (%d calls), %d rode in a later put (at least %d), %d in the fallback, in %v",
		r.invocations, st.Batches, r.calls, shared, want, st.Fallback/_fleetEntries, r.elapsed.Round(time.Millisecond))
}

type wrapFleetRow struct {
	writers, quota int
	rate           float64
	deferral       time.Duration
	window         time.Duration
	invocations    int
	putsOK, throt  int           // in the window
	calls          int           // PutLogEvents calls, the whole run
	elapsed        time.Duration // the whole run, the instances' Close included
	total          cwzap.Stats
	delay, billed  []time.Duration
	stored, lost   int
	fallback, both int
}

// wrapFleet runs the fleet on a loopback endpoint, with an HTTP client
// whose pool holds a connection for every instance; timeout is the
// function's, each invocation's deadline.
func wrapFleet(tb testing.TB, writers int, rate float64, deferral, window, timeout time.Duration) wrapFleetRow {
	tb.Helper()
	ts := cwlogstest.NewServer()
	defer ts.Close()
	tr := &http.Transport{Proxy: nil, MaxIdleConns: 2 * writers, MaxIdleConnsPerHost: 2 * writers}
	defer tr.CloseIdleConnections()
	cfg := ts.Config()
	cfg.HTTPClient = &http.Client{Transport: tr}
	return runWrapFleet(tb, ts, cloudwatchlogs.NewFromConfig(cfg), writers, rate, deferral, window, timeout)
}

// runWrapFleet runs the fleet on ts, each instance's Syncer putting
// through client.
func runWrapFleet(tb testing.TB, ts *cwlogstest.Server, client *cloudwatchlogs.Client, writers int, rate float64, deferral, window, timeout time.Duration) wrapFleetRow {
	tb.Helper()
	r := wrapFleetRow{writers: writers, quota: max(1, _accountQuota*writers/_fleetModelled), rate: rate,
		deferral: deferral, window: window}
	ctx := context.Background()
	admin := ts.Client()
	if _, err := admin.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(_fleetGroup)}); err != nil {
		tb.Fatal(err)
	}
	if _, err := admin.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName: aws.String(_fleetGroup), LogStreamName: aws.String(_fleetStream)}); err != nil {
		tb.Fatal(err)
	}
	var fb fallbackLines
	flushers := make([]*flusher, writers)
	for w := range flushers {
		ws, err := cwzap.NewSyncer(_fleetGroup, _fleetStream, cwzap.WithClient(client), cwzap.WithFallback(&fb),
			cwzap.WithErrorHandler(func(error) {}), cwzap.WithFlushInterval(time.Hour)) // frozen between invocations
		if err != nil {
			tb.Fatal(err)
		}
		f := newIdleFlusher(ws, buildOptions([]Option{WithMaxDeferral(deferral)}))
		f.hs.setMode(modeExtension)
		flushers[w] = f
	}
	ts.SetFaults(cwlogstest.Faults{PutsPerSecond: r.quota})

	period := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	end := start.Add(window)
	invs := make([]int, writers)
	var mu sync.Mutex // guards r.billed
	var wg sync.WaitGroup
	for w, f := range flushers {
		wg.Go(func() {
			logger := zap.New(cwzap.NewCore(f.ws, zap.InfoLevel))
			h := wrap(f, func(ctx context.Context, n int) (int, error) {
				for i := range _fleetEntries {
					logger.Info("handled", zap.Int("writer", w), zap.Int("inv", n), zap.Int("i", i))
				}
				return n, nil
			})
			var billed []time.Duration
			next := start.Add(period * time.Duration(w) / time.Duration(writers))
			for ; next.Before(end); invs[w]++ {
				time.Sleep(time.Until(next))
				id := fmt.Sprintf("w%d-%d", w, invs[w])
				deadline := time.Now().Add(timeout)
				ctx, cancel := context.WithDeadline(context.Background(), deadline)
				h(lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: id}), invs[w])
				cancel()
				t0 := time.Now()
				f.settle(id, deadline) // the extension, before the freeze
				billed = append(billed, time.Since(t0))
				next = later(next.Add(period), time.Now())
			}
			// Shut down as bench/'s fleet does: a Close bounded by 10 s.
			cctx, cancel := context.WithTimeout(context.Background(), _fleetShutdown)
			f.ws.CloseContext(cctx)
			cancel()
			mu.Lock()
			r.billed = append(r.billed, billed...)
			mu.Unlock()
		})
	}
	time.Sleep(time.Until(end))
	var batches int
	for _, f := range flushers {
		batches += int(f.ws.Stats().Batches)
	}
	r.putsOK, r.throt = batches, ts.Calls("PutLogEvents")-batches
	wg.Wait()
	r.elapsed = time.Since(start)
	r.calls = ts.Calls("PutLogEvents")
	for _, f := range flushers {
		st := f.ws.Stats()
		r.total.Written += st.Written
		r.total.Delivered += st.Delivered
		r.total.Fallback += st.Fallback
		r.total.Dropped += st.Dropped
		r.total.Batches += st.Batches
		r.total.Retries += st.Retries
	}
	for _, n := range invs {
		r.invocations += n
	}
	r.check(tb, ts, &fb, invs)
	return r
}

var _fleetEntry = regexp.MustCompile(`"message":"handled","writer":(\d+),"inv":(\d+),"i":(\d+)`)

// check fails tb unless every entry written is stored once or in the
// fallback once (or both, when a put's answer came after its deadline),
// and records the delivery delays.
func (r *wrapFleetRow) check(tb testing.TB, ts *cwlogstest.Server, fb *fallbackLines, invs []int) {
	tb.Helper()
	key := func(msg string) (int, bool) {
		m := _fleetEntry.FindStringSubmatch(msg)
		if m == nil {
			return 0, false
		}
		w, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		i, _ := strconv.Atoi(m[3])
		if w >= len(invs) || n >= invs[w] {
			return 0, false
		}
		return (w*100_000+n)*_fleetEntries + i, true
	}
	stored, fell := map[int]int{}, map[int]int{}
	for _, e := range ts.Events(_fleetGroup, _fleetStream) {
		k, ok := key(e.Message)
		if !ok {
			tb.Errorf("unexpected event %q", e.Message)
			continue
		}
		stored[k]++
		r.delay = append(r.delay, time.Duration(e.IngestionTime-e.Timestamp)*time.Millisecond)
	}
	fb.mu.Lock()
	for _, line := range fb.lines {
		if k, ok := key(line); ok {
			fell[k]++
		}
	}
	r.fallback = len(fb.lines)
	fb.mu.Unlock()
	r.stored = len(stored)
	for w, n := range invs {
		for inv := range n {
			for i := range _fleetEntries {
				k := (w*100_000+inv)*_fleetEntries + i
				s, f := stored[k], fell[k]
				switch {
				case s == 0 && f == 0:
					r.lost++
				case s > 1 || f > 1:
					tb.Errorf("writer %d invocation %d entry %d: stored %d times, in the fallback %d times", w, inv, i, s, f)
				case s == 1 && f == 1:
					r.both++
				}
			}
		}
	}
	if st := r.total; r.lost != 0 || st.Written != st.Delivered+st.Fallback+st.Dropped {
		tb.Errorf("%d entries lost; Written %d, Delivered %d, Fallback %d, Dropped %d", r.lost, st.Written, st.Delivered, st.Fallback, st.Dropped)
	}
}

func (r *wrapFleetRow) report(b *testing.B) {
	secs := r.window.Seconds()
	b.ReportMetric(float64(r.invocations)/secs, "inv/s")
	b.ReportMetric(float64(r.putsOK)/secs, "puts/s")
	b.ReportMetric(float64(r.throt)/secs, "throttled/s")
	b.ReportMetric(ms(quantile(r.delay, 0.5)), "delay-p50-ms")
	b.ReportMetric(ms(quantile(r.delay, 0.99)), "delay-p99-ms")
	b.ReportMetric(ms(quantile(r.billed, 0.5)), "billed-p50-ms")
	b.ReportMetric(ms(quantile(r.billed, 0.99)), "billed-p99-ms")
	b.ReportMetric(float64(r.total.Written), "written")
	b.ReportMetric(float64(r.total.Fallback), "fallback")
	b.ReportMetric(float64(r.lost), "lost")
}

func printWrapFleet(rows []wrapFleetRow) {
	if len(rows) == 0 {
		return
	}
	r0 := rows[0]
	fmt.Printf("\nfleet under Wrap: %d instances for %d, quota %d puts/s, %v per scenario, %d entries per invocation, %v timeout\n\n",
		r0.writers, _fleetModelled, r0.quota, r0.window, _fleetEntries, _fleetTimeout)
	fmt.Println("| inv/s per instance | deferral | inv/s | puts/s (quota) | throttled/s | delay p50 | delay p99 | billed by the flush p50 | p99 | written | fallback | fallback % | lost |")
	fmt.Println("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range rows {
		d := "off"
		if r.deferral > 0 {
			d = "≤ " + r.deferral.String()
		}
		secs := r.window.Seconds()
		fmt.Printf("| %g | %s | %.0f | %.0f (%d) | %.0f | %s | %s | %s | %s | %d | %d | %.2f %% | %d |\n",
			r.rate, d, float64(r.invocations)/secs, float64(r.putsOK)/secs, r.quota, float64(r.throt)/secs,
			fmtMs(quantile(r.delay, 0.5)), fmtMs(quantile(r.delay, 0.99)),
			fmtMs(quantile(r.billed, 0.5)), fmtMs(quantile(r.billed, 0.99)),
			r.total.Written, r.total.Fallback, 100*float64(r.total.Fallback)/float64(max(1, r.total.Written)), r.lost)
	}
	fmt.Println()
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fmtMs(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "< 1 ms"
	case d >= time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// fallbackLines keeps the lines written to it: the fallback writer.
type fallbackLines struct {
	mu    sync.Mutex // guards lines
	lines []string
}

func (c *fallbackLines) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for line := range strings.SplitSeq(strings.TrimSuffix(string(p), "\n"), "\n") {
		c.lines = append(c.lines, line)
	}
	return len(p), nil
}
