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
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// TestMemoryBoundedThroughAnOutage logs, during an outage, four times what
// the buffer holds, in rounds; between rounds, with no entry in motion, it
// measures the live heap. It is driven by amounts, not time: however fast
// the machine, the buffer fills, overflows, and stays within its limit. In
// a bubble, the outage lasts no time of the bubble's, and the drain after
// it waits for the retries' backoff on the fake clock.
func TestMemoryBoundedThroughAnOutage(t *testing.T) {
	synctest.Test(t, testMemoryBoundedThroughAnOutage)
}

func testMemoryBoundedThroughAnOutage(t *testing.T) {
	const (
		limit      = 16 << 20
		goroutines = 8
		rounds     = 16
	)
	pad := strings.Repeat("p", 1000)
	// An entry takes over 1,100 bytes of arena: 4× the limit in entries.
	total := 4 * limit / 1100
	if *_soak {
		total *= 10
	}
	per := total / goroutines / rounds
	srv := memoryServer(t)
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
	// The limit counts log data; the memory behind it is larger by the
	// request body's framing and escaping and the index (about a fifth),
	// and by the puts in flight: this endpoint runs in the same process
	// and holds each request while it answers. Bounded, whatever is
	// logged: at most two and a half times the limit.
	bound := base + 5*limit/2
	mb := func(b uint64) float64 { return float64(b) / (1 << 20) }
	t.Logf("logged %d in an outage: delivered %d after it (%.1f MiB of events), fallback %d, drained in %v; HeapInuse: baseline %.1f MiB, max live +%.1f MiB, max raw +%.1f MiB; bound +%.1f MiB",
		logged, st.Delivered, mb(st.Delivered*eventBytes(t, srv)), st.Fallback, time.Since(start).Round(time.Millisecond),
		mb(base), mb(maxLive-base), mb(maxRaw-base), mb(bound-base))
	if maxLive > bound {
		t.Errorf("live heap reached %.1f MiB over a baseline of %.1f MiB with a %.0f MiB buffer limit: more than 2.5 times the limit",
			mb(maxLive-base), mb(base), mb(limit))
	}
	// What the buffer held through the outage was delivered after it: at
	// least 80 % of the limit in log data, as CloudWatch counts it, and no
	// more than the limit, which bounds exactly that.
	var logData uint64
	for _, e := range srv.AllEvents() {
		logData += uint64(len(e.Message) + cwzap.EventOverhead)
	}
	if logData < limit*8/10 || logData > limit {
		t.Errorf("the buffer held %.2f MiB of log data, want 80 %% to 100 %% of its %.0f MiB limit", mb(logData), mb(limit))
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

// The first overflow of an episode goes to the error handler at once,
// the rest of it as one sum when the episode ends, and all of it to
// Sync's error: an outage holds the batches the buffer has room for, so
// every later event overflows, in one episode that lasts until a batch
// opens again.
func TestSyncerReportsAnOverflowEpisodeOnce(t *testing.T) {
	f := newFixture(t, cwzap.WithBufferLimit(cwzap.MaxBatchBytes))
	f.createStream(t)
	f.srv.SetFaults(cwlogstest.Faults{Outage: true})
	line := bytes.Repeat([]byte("y"), 10_000)
	const n = 300 // about three batches' worth
	for range n {
		f.syncer.Write(line)
	}
	f.srv.SetFaults(cwlogstest.Faults{})
	err := f.syncer.Sync()
	st := f.syncer.Stats()
	var de *cwzap.DeliveryError
	if !errors.As(err, &de) || de.Overflow != int(st.Fallback) || de.Events != de.Overflow {
		t.Errorf("Sync = %v; want a DeliveryError counting the %d overflowing events", err, st.Fallback)
	}
	checkStatsAddUp(t, st)
	if st.Fallback < 10 || st.Delivered+st.Fallback != n {
		t.Errorf("stats %+v: want the batches held through the outage delivered and the rest in the fallback", st)
	}
	f.syncer.Close() // the handler has heard everything once Close returns
	reports := f.errs.all()
	var sum *cwzap.DeliveryError
	if len(reports) != 2 || !errors.Is(reports[0], cwzap.ErrBufferFull) || errors.As(reports[0], &sum) ||
		!errors.As(reports[1], &sum) || sum.Overflow != int(st.Fallback)-1 {
		t.Errorf("the error handler heard %q; want the episode's first overflow, then the other %d as one sum", reports, st.Fallback-1)
	}
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
		t.Run(tt.give.String(), inBubble(func(t *testing.T) {
			// Puts take 100 ms of the bubble's time: a writer that
			// blocks waits for one, however slow the machine.
			f := bubbleFixture(t,
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
		}))
	}
}
