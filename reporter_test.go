package cwzap_test

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// The error handler runs on a goroutine of the Syncer's, with no lock held:
// it may log through the very logger whose Syncer reports to it, and one
// that is slow or never returns holds no caller.

// tickClock is a zap clock whose every reading is a millisecond after the
// last: entries a millisecond apart, each written to the spool before
// the call returns.
type tickClock struct{ ms atomic.Int64 }

func (c *tickClock) Now() time.Time {
	return time.UnixMilli(c.ms.Add(1))
}

func (c *tickClock) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }

// With the spool's disk full, every entry meets the failure; a handler
// that logs it through the same logger must not hang the program (it did
// when the spool's writes and their reports ran under the accumulator's
// lock, on the caller's write path).
func TestHandlerLogsThroughTheSameLogger(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	fsys := cwzap.NewFaultFS()
	fsys.Fill(100) // the segment's header and no event
	var logger atomic.Pointer[zap.Logger]
	var handled atomic.Int64
	s, err := cwzap.NewSyncer("/test/app", "reentrant",
		cwzap.WithClient(srv.Client()),
		cwzap.WithSpool(t.TempDir()), cwzap.WithSpoolFS(fsys),
		cwzap.WithFallback(&lockedBuffer{}),
		cwzap.WithErrorHandler(func(err error) {
			handled.Add(1)
			logger.Load().Warn("cwzap reports", zap.Error(err))
		}))
	if err != nil {
		t.Fatal(err)
	}
	clock := &tickClock{}
	clock.ms.Store(time.Now().UnixMilli())
	logger.Store(zap.New(cwzap.NewCore(s, zap.InfoLevel), zap.WithClock(clock)))

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 1000 {
			logger.Load().Info("entry", zap.Int("i", i))
		}
		logger.Load().Sync()
		s.Close()
	}()
	// A bound on a failure, not a measure: the work takes milliseconds.
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("logging hung: the error handler's logging waits for the logging that called it")
	}
	if handled.Load() == 0 {
		t.Error("the error handler heard nothing of the full disk")
	}
	if n := len(srv.Events("/test/app", "reentrant")); n < 1000 {
		t.Errorf("%d events stored, want the 1000 entries and the handler's", n)
	}
}

// A handler that never returns holds neither a writer nor Sync: entries
// are accepted at once, and Sync keeps its deadline.
func TestBlockedHandlerHoldsNoCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		block := make(chan struct{})
		var calls atomic.Int64
		f := bubbleFixture(t, cwzap.WithCreateGroup(false), // every put fails for good, and is reported
			cwzap.WithErrorHandler(func(error) { calls.Add(1); <-block }))
		logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel))
		for round := range 3 {
			start := time.Now()
			for i := range 1000 {
				logger.Info("entry", zap.Int("i", i))
			}
			err := logger.Sync()
			if took := time.Since(start); took != 0 {
				t.Errorf("round %d: writing and syncing took %v with the handler blocked, want no wait", round, took)
			}
			var de *cwzap.DeliveryError
			if !errors.As(err, &de) || de.Failed != 1000 {
				t.Errorf("round %d: Sync = %v, want 1000 failed events", round, err)
			}
		}
		synctest.Wait()
		if n := calls.Load(); n != 1 {
			t.Errorf("the handler was called %d times while blocked in its first call, want 1", n)
		}
		close(block)
		synctest.Wait()
		// Three rounds: the first report, then the sum of the rest.
		if n := calls.Load(); n < 2 || n > 4 {
			t.Errorf("the handler was called %d times for 3 rounds of failures, want the first and the sums", n)
		}
	})
}

// One report per cause: a deadline that gives up on 30 batches says so
// once; failures of one stream are said once, and their sum when the end
// of work comes.
func TestReportsAreCoalesced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := bubbleFixture(t, cwzap.WithMaxBatchEvents(10), cwzap.WithPutTimeout(time.Hour), cwzap.WithSyncTimeout(time.Second))
		f.srv.SetFaults(cwlogstest.Faults{Outage: true})
		for i := range 300 {
			f.syncer.Write(fmt.Appendf(nil, "%d", i))
		}
		if err := f.syncer.Close(); lateOf(err) != 300 {
			t.Fatalf("Close = %v, want 300 late events", err)
		}
		errs := f.errs.all()
		if len(errs) != 1 || lateOf(errs[0]) != 300 {
			t.Errorf("error handler got %d reports %v, want one for the deadline with the 300 events of its 30 batches", len(errs), errs)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		f := bubbleFixture(t, cwzap.WithMaxBatchEvents(10), cwzap.WithCreateGroup(false))
		logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel))
		for i := range 300 {
			logger.Info("entry", zap.Int("i", i))
		}
		err := logger.Sync()
		var de *cwzap.DeliveryError
		if !errors.As(err, &de) || de.Failed != 300 {
			t.Fatalf("Sync = %v, want 300 failed", err)
		}
		errs := f.errs.all()
		failed := 0
		for _, err := range errs {
			if errors.As(err, &de) {
				failed += de.Failed
			}
		}
		if len(errs) != 2 || failed != 300 {
			t.Errorf("error handler got %d reports for 30 failed batches, %d events in all; want 2 (the first, then the sum) adding up to 300", len(errs), failed)
		}
	})
}

var _ zapcore.Clock = (*tickClock)(nil)
