package bench

// Delivery: end-to-end throughput of logger.Info → cwzap Core → Syncer →
// PutLogEvents against an in-process cwlogstest endpoint, the raw SDK
// baseline on the same endpoint, and the callers' latency while every put
// takes 200 ms. See the "Delivery" section of README.md.

import (
	"bytes"
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

const (
	_workers     = 8 // logging goroutines, in every delivery and overload scenario
	_inFlight    = cwzap.DefaultConcurrency
	_benchGroup  = "bench"
	_benchStream = "delivery"
	_message     = "request done"
)

// newEndpoint starts a cwlogstest server that counts events without
// keeping them, with the bench group and stream already created, so that
// neither contender pays for creating them. The caller closes it.
func newEndpoint(tb testing.TB, faults cwlogstest.Faults) *cwlogstest.Server {
	tb.Helper()
	ts := cwlogstest.NewUnstartedServer()
	ts.DiscardEvents = true
	ts.Start()
	ctx := context.Background()
	client := ts.Client()
	if _, err := client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(_benchGroup)}); err != nil {
		ts.Close()
		tb.Fatal(err)
	}
	if _, err := client.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName: aws.String(_benchGroup), LogStreamName: aws.String(_benchStream),
	}); err != nil {
		ts.Close()
		tb.Fatal(err)
	}
	ts.SetFaults(faults)
	return ts
}

// serviceBytes returns the bytes the endpoint accepted as the service
// counts them for the batch limit: message bytes plus 26 per event.
func serviceBytes(tb testing.TB, ts *cwlogstest.Server) int64 {
	tb.Helper()
	return ts.StoredBytes(_benchGroup, _benchStream) + int64(ts.EventCount())*cwzap.EventOverhead
}

// reportFill reports fill%: the average service-counted bytes per
// PutLogEvents call as a percentage of the 1,048,576-byte batch limit. It
// averages over every put, the last (partial) one included, so it reaches
// the saturation value only when a run sends many batches.
func reportFill(b *testing.B, ts *cwlogstest.Server) {
	puts := ts.Calls("PutLogEvents")
	if puts == 0 {
		return
	}
	fill := float64(serviceBytes(b, ts)) / float64(puts) / cwzap.MaxBatchBytes
	b.ReportMetric(100*fill, "fill%")
	b.ReportMetric(float64(puts), "puts")
}

// cpuTime returns the CPU time (user + system) the process has used so
// far. The endpoint runs in the process, so it counts both sides; on a
// shared machine it varies less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// logAll logs b.N entries of ten fields through syncer from the
// goroutines of split, timed, then syncs; it returns the process's CPU
// time and the heap allocations it took.
func logAll(b *testing.B, syncer *cwzap.Syncer) (cpu time.Duration, allocs uint64) {
	return logAllOn(b, syncer, _workers)
}

// logAllOn is logAll on the given number of goroutines.
func logAllOn(b *testing.B, syncer *cwzap.Syncer, workers int) (cpu time.Duration, allocs uint64) {
	logger := zap.New(cwzap.NewCore(syncer, zap.InfoLevel))
	fields := tenFields()
	b.ReportAllocs()
	m0 := mallocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	splitOn(workers, b.N, func(_, count int) {
		for range count {
			logger.Info(_message, fields...)
		}
	})
	if err := logger.Sync(); err != nil {
		b.Error(err)
	}
	b.StopTimer()
	return cpuTime() - cpu0, mallocs() - m0
}

// putRaw sends b.N events with the raw SDK, timed: one full batch of
// distinct message strings, put by _inFlight goroutines (the last put a
// prefix of it), as the SDK only reads its input. It returns the process's
// CPU time, the allocations and the puts that failed.
func putRaw(b *testing.B, client *cloudwatchlogs.Client) (cpu time.Duration, allocs uint64, failed int64) {
	full := fullBatch(encodedMessages(cwzap.MaxBatchEvents), time.Now().UnixMilli())
	per := len(full)
	nBatches := (b.N + per - 1) / per
	var next, fails atomic.Int64
	ctx := context.Background()

	b.ReportAllocs()
	m0 := mallocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	var wg sync.WaitGroup
	for range _inFlight {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= nBatches {
					return
				}
				_, err := client.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
					LogGroupName:  aws.String(_benchGroup),
					LogStreamName: aws.String(_benchStream),
					LogEvents:     full[:min(per, b.N-i*per)],
				})
				if err != nil {
					fails.Add(1)
					b.Error(err)
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	return cpuTime() - cpu0, mallocs() - m0, fails.Load()
}

// mallocs returns the number of heap allocations so far. Per event they
// are a fraction, which allocs/op rounds to 0; allocs/event keeps it.
func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// countingWriter counts the lines written to it and discards them; it is
// the fallback writer of every scenario.
type countingWriter struct{ lines atomic.Uint64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.lines.Add(uint64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}

// errorCounter is an error handler that counts instead of printing.
type errorCounter struct{ n atomic.Uint64 }

func (e *errorCounter) handle(error) { e.n.Add(1) }

// split runs f on _workers goroutines, giving each its share of n and its
// index, and waits for them.
func split(n int, f func(worker, count int)) { splitOn(_workers, n, f) }

// splitOn is split on the given number of goroutines.
func splitOn(workers, n int, f func(worker, count int)) {
	var wg sync.WaitGroup
	for w := range workers {
		count := n / workers
		if w < n%workers {
			count++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(w, count)
		}()
	}
	wg.Wait()
}

// checkAccounting fails b unless every event written is accounted for and
// the counters agree with the fallback writer and the endpoint.
func checkAccounting(b *testing.B, st cwzap.Stats, fb *countingWriter, ts *cwlogstest.Server) {
	b.Helper()
	if st.Written != st.Delivered+st.Fallback+st.Dropped {
		b.Errorf("Written %d != Delivered %d + Fallback %d + Dropped %d", st.Written, st.Delivered, st.Fallback, st.Dropped)
	}
	if got := fb.lines.Load(); got != st.Fallback {
		b.Errorf("fallback writer got %d lines, Stats.Fallback = %d", got, st.Fallback)
	}
	if got := uint64(ts.EventCount()); got != st.Delivered {
		b.Errorf("endpoint counted %d events, Stats.Delivered = %d", got, st.Delivered)
	}
}

// BenchmarkEndToEnd measures delivered events per second. One op is one
// event. Both contenders use the same endpoint code, the same SDK client
// configuration (SDK retries off) and 4 puts in flight.
//
// cwzap: _workers goroutines call logger.Info (a message and ten scalar
// fields) through zap.New(cwzap.NewCore(syncer)); logger.Sync() ends the
// timed region, so every event counted has been accepted by the endpoint.
// The Syncer runs with OverflowBlock, so that a producer faster than the
// endpoint is slowed down instead of diverting events to the fallback
// writer: the rate measured is the delivered rate (the benchmark fails if
// any event misses the endpoint).
//
// rawSDK: the same messages, encoded beforehand by the same encoder,
// grouped into full batches as []types.InputLogEvent and sent with the
// SDK's PutLogEvents by 4 goroutines.
func BenchmarkEndToEnd(b *testing.B) {
	b.Run("cwzap", benchCwzap)
	b.Run("rawSDK", benchRawSDK)
}

func benchCwzap(b *testing.B) {
	ts := newEndpoint(b, cwlogstest.Faults{})
	defer ts.Close()
	var fb countingWriter
	var errs errorCounter
	syncer, err := cwzap.NewSyncer(_benchGroup, _benchStream,
		cwzap.WithClient(ts.Client()),
		cwzap.WithConcurrency(_inFlight),
		cwzap.WithOverflow(cwzap.OverflowBlock),
		cwzap.WithFallback(&fb),
		cwzap.WithErrorHandler(errs.handle))
	if err != nil {
		b.Fatal(err)
	}
	defer syncer.Close()
	cpu, allocs := logAll(b, syncer)

	st := syncer.Stats()
	checkAccounting(b, st, &fb, ts)
	if st.Delivered != uint64(b.N) || errs.n.Load() != 0 {
		b.Errorf("delivered %d of %d events (fallback %d, errors %d)", st.Delivered, b.N, st.Fallback, errs.n.Load())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(allocs)/float64(b.N), "allocs/event")
	reportFill(b, ts)
}

// encodedMessages returns n messages encoded by cwzap's Core, exactly as
// benchCwzap's logger writes them (without the trailing newline).
func encodedMessages(n int) []string {
	var out capture
	logger := zap.New(cwzap.NewCore(zapcore.AddSync(&out), zap.InfoLevel))
	fields := tenFields()
	for range n {
		logger.Info(_message, fields...)
	}
	return out.msgs
}

// capture keeps each write as one message.
type capture struct{ msgs []string }

func (c *capture) Write(p []byte) (int, error) {
	c.msgs = append(c.msgs, string(bytes.TrimSuffix(p, []byte{'\n'})))
	return len(p), nil
}

// fullBatch returns as many of msgs as fit one PutLogEvents call (at most
// MaxBatchEvents events and MaxBatchBytes service-counted bytes), stamped ts.
func fullBatch(msgs []string, ts int64) []types.InputLogEvent {
	var evs []types.InputLogEvent
	size := 0
	for _, m := range msgs {
		if len(evs) == cwzap.MaxBatchEvents || size+len(m)+cwzap.EventOverhead > cwzap.MaxBatchBytes {
			break
		}
		size += len(m) + cwzap.EventOverhead
		evs = append(evs, types.InputLogEvent{Message: aws.String(m), Timestamp: aws.Int64(ts)})
	}
	return evs
}

func benchRawSDK(b *testing.B) {
	ts := newEndpoint(b, cwlogstest.Faults{})
	defer ts.Close()
	client := ts.Client(func(o *cloudwatchlogs.Options) { o.RetryMaxAttempts = 1 })
	cpu, allocs, failed := putRaw(b, client)

	if got := ts.EventCount(); got != b.N {
		b.Errorf("endpoint counted %d of %d events (%d puts failed)", got, b.N, failed)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(allocs)/float64(b.N), "allocs/event")
	reportFill(b, ts)
}

// BenchmarkCallerLatency measures how long logger.Info takes while the
// endpoint answers every put after 200 ms. One op is one scenario: _workers
// goroutines each log _latencyEvents entries as fast as they can, then
// logger.Sync waits for delivery. Every call's duration is recorded; the
// percentiles over all scenarios are reported in ns. The events fit the
// default buffer limit, so no caller should wait for the network.
func BenchmarkCallerLatency(b *testing.B) {
	const latency = 200 * time.Millisecond
	if b.N > _maxLatencyScenarios {
		b.Fatalf("b.N = %d: each op is a 1-second scenario whose latencies are all kept; use -benchtime Nx with N <= %d", b.N, _maxLatencyScenarios)
	}
	lat := make([][]time.Duration, _workers)
	for w := range lat {
		lat[w] = make([]time.Duration, 0, b.N*_latencyEvents)
	}
	b.ReportAllocs()
	for range b.N {
		b.StopTimer()
		ts := newEndpoint(b, cwlogstest.Faults{Latency: latency})
		var fb countingWriter
		var errs errorCounter
		syncer, err := cwzap.NewSyncer(_benchGroup, _benchStream,
			cwzap.WithClient(ts.Client()),
			cwzap.WithFallback(&fb),
			cwzap.WithErrorHandler(errs.handle))
		if err != nil {
			b.Fatal(err)
		}
		logger := zap.New(cwzap.NewCore(syncer, zap.InfoLevel))
		fields := tenFields()
		b.StartTimer()

		split(_workers*_latencyEvents, func(w, count int) {
			l := lat[w]
			for range count {
				t0 := time.Now()
				logger.Info(_message, fields...)
				l = append(l, time.Since(t0))
			}
			lat[w] = l
		})
		if err := logger.Sync(); err != nil {
			b.Error(err)
		}

		b.StopTimer()
		st := syncer.Stats()
		checkAccounting(b, st, &fb, ts)
		if st.Delivered != st.Written || errs.n.Load() != 0 {
			b.Errorf("delivered %d of %d events (fallback %d, errors %d)", st.Delivered, st.Written, st.Fallback, errs.n.Load())
		}
		if err := syncer.Close(); err != nil {
			b.Error(err)
		}
		ts.Close()
		b.StartTimer()
	}
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	for _, p := range []struct {
		q    float64
		unit string
	}{{0.50, "p50-ns"}, {0.99, "p99-ns"}, {0.999, "p999-ns"}} {
		b.ReportMetric(float64(quantile(all, p.q)), p.unit)
	}
	b.ReportMetric(float64(all[len(all)-1]), "max-ns")
}

// _latencyEvents is how many entries each goroutine of BenchmarkCallerLatency
// logs per scenario: 80,000 in all, about 28 MiB, under the 64 MiB buffer.
const _latencyEvents = 10_000

// _maxLatencyScenarios bounds b.N for BenchmarkCallerLatency (the latencies
// of every scenario are kept: 640 KB per scenario).
const _maxLatencyScenarios = 100

// quantile returns the q-quantile of sorted (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
