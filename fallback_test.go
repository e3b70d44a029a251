package cwzap_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
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
	const n, deadline = 2000, 300 * time.Millisecond
	w := &blockedWriter{release: make(chan struct{})}
	errs := &errorLog{}
	srv := cwlogstest.NewServer()
	defer srv.Close()
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

	// Structural: with a caller held by the writer this never ends; with
	// each held a deadline, n of them take n × 300 ms.
	done := make(chan time.Duration)
	go func() {
		start := time.Now()
		for i := range n {
			logger.Info("overflowing", zap.Int("i", i), zap.String("pad", strings.Repeat("p", 20_000)))
		}
		done <- time.Since(start)
	}()
	select {
	case took := <-done:
		if took > n*deadline/10 {
			t.Errorf("%d entries took %v: callers wait on the stuck writer", n, took)
		}
	case <-time.After(time.Minute):
		close(w.release)
		t.Fatal("logging is held by the stuck fallback writer")
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
