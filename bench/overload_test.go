package bench

// Overload: what each overflow policy does when the loggers outrun an
// endpoint that accepts only a few puts per second. See the "Overload"
// section of README.md.

import (
	"fmt"
	"math"
	"math/bits"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

const (
	_overloadFor    = 2 * time.Second // how long the loggers run in each scenario
	_overloadPuts   = 5               // PutLogEvents calls per second the endpoint accepts
	_overloadBuffer = 8 << 20         // WithBufferLimit
)

// BenchmarkOverload runs, for each overflow policy, _workers goroutines
// that log as fast as they can for _overloadFor into an endpoint that
// accepts _overloadPuts puts per second (ThrottlingException beyond), with
// an 8 MiB buffer limit; then logger.Sync drains what is buffered. One op
// is one scenario. It reports, per scenario: the events written,
// delivered, sent to the fallback writer (counted as lines, then
// discarded) and dropped; the successful puts, their average fullness
// (fill%) and the retries; the Sync's duration (drain-ms); and the
// callers' latency percentiles over every call (from a histogram with 1/64
// relative precision; max is exact). It fails if the numbers don't add up:
// Written == Delivered + Fallback + Dropped, the fallback writer's lines ==
// Fallback, the endpoint's count == Delivered.
func BenchmarkOverload(b *testing.B) {
	for _, policy := range []cwzap.OverflowPolicy{cwzap.OverflowFallback, cwzap.OverflowBlock, cwzap.OverflowDrop} {
		b.Run("policy="+policy.String(), func(b *testing.B) {
			var sum cwzap.Stats
			var h hist
			var drain time.Duration
			var fill float64
			b.ReportAllocs()
			for range b.N {
				st, d, f := overloadScenario(b, policy, &h)
				sum.Written += st.Written
				sum.Delivered += st.Delivered
				sum.Fallback += st.Fallback
				sum.Dropped += st.Dropped
				sum.Retries += st.Retries
				sum.Batches += st.Batches
				drain += d
				fill += f
			}
			n := float64(b.N)
			b.ReportMetric(float64(sum.Written)/n, "written")
			b.ReportMetric(float64(sum.Delivered)/n, "delivered")
			b.ReportMetric(float64(sum.Fallback)/n, "fallback")
			b.ReportMetric(float64(sum.Dropped)/n, "dropped")
			b.ReportMetric(float64(sum.Batches)/n, "puts-ok")
			b.ReportMetric(float64(sum.Retries)/n, "retries")
			b.ReportMetric(100*fill/n, "fill%")
			b.ReportMetric(float64(drain.Milliseconds())/n, "drain-ms")
			b.ReportMetric(float64(h.quantile(0.50)), "p50-ns")
			b.ReportMetric(float64(h.quantile(0.99)), "p99-ns")
			b.ReportMetric(float64(h.quantile(0.999)), "p999-ns")
			b.ReportMetric(float64(h.max), "max-ns")
		})
	}
}

// overloadScenario runs one scenario and returns the Syncer's Stats after
// Sync, how long the Sync took, and the average fullness of the successful
// puts (service-counted bytes / MaxBatchBytes). Latencies are added to h.
func overloadScenario(b *testing.B, policy cwzap.OverflowPolicy, h *hist) (cwzap.Stats, time.Duration, float64) {
	b.Helper()
	ts := newEndpoint(b, cwlogstest.Faults{PutsPerSecond: _overloadPuts})
	defer ts.Close()
	var fb countingWriter
	var errs errorCounter
	syncer, err := cwzap.NewSyncer(_benchGroup, _benchStream,
		cwzap.WithClient(ts.Client()),
		cwzap.WithBufferLimit(_overloadBuffer),
		cwzap.WithOverflow(policy),
		cwzap.WithFallback(&fb),
		cwzap.WithErrorHandler(errs.handle))
	if err != nil {
		b.Fatal(err)
	}
	defer syncer.Close()
	logger := zap.New(cwzap.NewCore(syncer, zap.InfoLevel))
	fields := tenFields()

	var mu sync.Mutex
	deadline := time.Now().Add(_overloadFor)
	split(_workers, func(int, int) {
		var local hist
		for time.Now().Before(deadline) {
			t0 := time.Now()
			logger.Info(_message, fields...)
			local.add(time.Since(t0))
		}
		mu.Lock()
		h.merge(&local)
		mu.Unlock()
	})
	t0 := time.Now()
	if err := logger.Sync(); err != nil {
		b.Logf("sync: %v", err) // failed puts are in the fallback counts
	}
	drain := time.Since(t0)
	st := syncer.Stats()
	checkAccounting(b, st, &fb, ts)
	if policy != cwzap.OverflowDrop && st.Dropped != 0 {
		b.Errorf("policy %v dropped %d events", policy, st.Dropped)
	}
	var fill float64
	if st.Batches > 0 {
		fill = float64(serviceBytes(b, ts)) / float64(st.Batches) / cwzap.MaxBatchBytes
	}
	return st, drain, fill
}

// hist is a log-linear histogram of durations: values below 2^_subBits ns
// are exact; above, each power of two is cut into 2^(_subBits-1) buckets,
// so a value is known to within 1/64 of itself. Its zero value is ready.
type hist struct {
	n      uint64
	max    time.Duration
	counts [64 << (_subBits - 1)]uint64
}

const _subBits = 7

func (h *hist) add(d time.Duration) {
	h.n++
	h.max = max(h.max, d)
	h.counts[bucket(uint64(max(d, 0)))]++
}

func (h *hist) merge(o *hist) {
	h.n += o.n
	h.max = max(h.max, o.max)
	for i, c := range o.counts {
		h.counts[i] += c
	}
}

func bucket(v uint64) int {
	if v < 1<<_subBits {
		return int(v)
	}
	shift := bits.Len64(v) - _subBits
	return shift<<(_subBits-1) + int(v>>shift)
}

// upper returns the largest value of bucket i.
func upper(i int) uint64 {
	if i < 1<<_subBits {
		return uint64(i)
	}
	shift := i>>(_subBits-1) - 1
	mant := uint64(i - shift<<(_subBits-1))
	return (mant+1)<<shift - 1
}

// quantile returns the upper bound of the bucket holding the q-quantile
// (nearest rank), in ns.
func (h *hist) quantile(q float64) uint64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= max(rank, 1) {
			return upper(i)
		}
	}
	panic(fmt.Sprint("hist: rank ", rank, " beyond ", seen))
}

func TestHist(t *testing.T) {
	var h hist
	for v := range 100_000 {
		h.add(time.Duration(v))
	}
	for _, q := range []float64{0.001, 0.5, 0.99, 0.999, 1} {
		want := uint64(math.Ceil(q*100_000)) - 1
		got := h.quantile(q)
		if got < want || float64(got-want) > float64(want)/64+1 {
			t.Errorf("quantile(%v) = %d, want %d within 1/64", q, got, want)
		}
	}
	for _, v := range []uint64{0, 127, 128, 129, 1000, 1 << 40, math.MaxInt64} {
		if i := bucket(v); upper(i) < v || (i > 0 && upper(i-1) >= v) {
			t.Errorf("value %d: bucket %d spans (%d, %d]", v, i, upper(i-1), upper(i))
		}
	}
}
