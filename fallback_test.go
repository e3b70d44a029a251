package cwzap_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// blockedWriter blocks every Write until release is closed, as stderr
// piped into a reader that stopped does.
type blockedWriter struct {
	lockedBuffer
	release chan struct{}
	calls   atomic.Int64
}

func (w *blockedWriter) Write(p []byte) (int, error) {
	w.calls.Add(1)
	<-w.release
	return w.lockedBuffer.Write(p)
}

// During an outage with the buffer full, events go to the fallback writer;
// when that writer blocks too, callers are held at most the sync deadline
// once, then the events are dropped, counted, and reported once.
func TestAStuckFallbackWriterHoldsNoCaller(t *testing.T) {
	synctest.Test(t, testAStuckFallbackWriterHoldsNoCaller)
}

func testAStuckFallbackWriterHoldsNoCaller(t *testing.T) {
	const n, deadline = 2000, 300 * time.Millisecond
	w := &blockedWriter{release: make(chan struct{})}
	errs := &errorLog{}
	srv := memoryServer(t)
	srv.SetFaults(cwlogstest.Faults{Outage: true})
	s, err := cwzap.NewSyncer("/test/app", "stuck-fallback",
		cwzap.WithClient(srv.Client()),
		cwzap.WithFallback(w),
		cwzap.WithErrorHandler(errs.handle),
		cwzap.WithBufferLimit(1), // raised to the least: two batches
		cwzap.WithMaxBatchEvents(10),
		cwzap.WithFlushInterval(time.Hour),
		cwzap.WithPutTimeout(time.Hour),
		cwzap.WithSyncTimeout(deadline))
	if err != nil {
		t.Fatal(err)
	}
	errs.attach(s)
	logger := zap.New(cwzap.NewCore(s, zap.InfoLevel))

	// The first caller whose line the writer does not take waits for it
	// the sync deadline; the writer is then known to be stuck, and no one
	// waits again. (A caller held by the writer for good deadlocks the
	// bubble; each held a deadline, n of them take n × 300 ms.)
	start := time.Now()
	for i := range n {
		logger.Info("overflowing", zap.Int("i", i), zap.String("pad", strings.Repeat("p", 20_000)))
	}
	if took := time.Since(start); took != deadline {
		t.Errorf("%d entries took %v, want one sync deadline (%v): callers wait on the stuck writer", n, took, deadline)
	}
	if w.calls.Load() == 0 {
		t.Fatal("the fallback writer was never called: the test proves nothing")
	}
	stuck := 0
	for _, e := range errs.all() {
		if strings.Contains(e.Error(), "fallback writer took no event") {
			stuck++
		}
	}
	if stuck != 1 {
		t.Errorf("%d reports of the stuck writer, want 1: %v", stuck, errs.all())
	}
	close(w.release)
	srv.SetFaults(cwlogstest.Faults{})
	err = s.Close()
	st := s.Stats()
	checkStatsAddUp(t, st)
	var de *cwzap.DeliveryError
	if st.Dropped == 0 || !errors.As(err, &de) || de.Dropped != int(st.Dropped) {
		t.Errorf("stats = %+v, Close = %v; want the dropped events counted and reported", st, err)
	}
	if got := uint64(len(w.Lines())); got != st.Fallback {
		t.Errorf("fallback writer holds %d lines, Stats.Fallback = %d", got, st.Fallback)
	}
}

// slowWriter is a fallback writer that keeps up, slowly: each buffer it
// is given takes each, and each line in it perLine, as a terminal over a
// slow link or a slow disk would, but never so slowly that it looks stuck.
// Under testing/synctest the time is the bubble's.
type slowWriter struct {
	lockedBuffer
	each, perLine time.Duration
}

func (w *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(w.each + time.Duration(bytes.Count(p, []byte{'\n'}))*w.perLine)
	return w.lockedBuffer.Write(p)
}

// The last of Close: it waits while a slow fallback writer takes what is
// left of an outage, but not past its deadline plus WithSyncTimeout. The
// writer here needs about 3 s for all of it, 50 ms for each buffer of
// 32 KB, which is longer; every event still reaches it once, and Stats
// add up.
func TestCloseKeepsItsBoundWithASlowFallbackWriter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, timeout = 150_000, 2 * time.Second
		w := &slowWriter{each: 50 * time.Millisecond}
		f := bubbleFixture(t, cwzap.WithSyncTimeout(timeout), cwzap.WithPutTimeout(time.Hour), cwzap.WithFallback(w))
		f.srv.SetFaults(cwlogstest.Faults{Outage: true})
		for i := range n {
			f.syncer.Write(fmt.Appendf(nil, "pending %06d", i))
		}
		start := time.Now()
		err := f.syncer.Close()
		if took := time.Since(start); took > 2*timeout {
			t.Errorf("Close returned after %v, past its deadline %v plus WithSyncTimeout", took, timeout)
		}
		if lateOf(err) != n {
			t.Errorf("Close = %v; want all %d events late", err, n)
		}
		// The handover Close stopped waiting for writes on.
		time.Sleep(time.Minute)
		st := f.syncer.Stats()
		checkStatsAddUp(t, st)
		if lines := w.Lines(); uint64(len(lines)) != st.Fallback || st.Fallback+st.Dropped != n {
			t.Errorf("the writer took %d lines; stats %+v; want every event in it once, or dropped", len(lines), st)
		}
	})
}
