package cwzap

import (
	"context"
	"time"
)

// The end of work: Sync, Close and purges wait for the events written
// before them, all under one deadline. When it passes, what they were
// waiting for goes to the fallback writer, so nothing is left in memory
// for a process about to exit or be frozen.

// Sync is the purge: it sends the open batch and returns once every event
// written before it is delivered or in the fallback writer. It waits at
// most WithSyncTimeout (default 10 s) in all, however many batches are
// pending: then it cancels their puts, hands their events to the fallback
// writer, and says so in its error.
//
// It returns a *DeliveryError adding up every event that did not reach
// CloudWatch since the previous Sync, SyncContext, Close or CloseContext
// returned: failed for good, rejected by the service, still pending at a
// deadline, or overflowing the buffer. Purges made by the Core (entries
// above ErrorLevel or carrying Purge) do not take that record, so the next
// Sync still reports it. With several goroutines calling Sync at once,
// each incident is reported to one of them. zap's Logger.Sync calls it.
func (s *Syncer) Sync() error {
	return s.syncContext(context.Background(), true)
}

// SyncContext is Sync bounded by ctx as well: the earlier of ctx's end and
// WithSyncTimeout wins. It returns the same error as Sync; the events it
// was waiting for that were still pending when that deadline passed are
// in the fallback writer (or about to be), counted in the error's Late.
func (s *Syncer) SyncContext(ctx context.Context) error {
	return s.syncContext(ctx, true)
}

// Flush sends the open batch and waits until every event written before
// it is delivered or settled otherwise, or until ctx ends. Unlike
// SyncContext it gives nothing up when ctx ends: the events still pending
// stay in the Syncer and are sent on, and Flush returns ctx's error. It is
// for a caller that will come back for them, such as a Lambda extension
// that defers a flush to a later invocation; the end of work is still
// Sync or Close. It leaves the record of undelivered events for the next
// Sync.
func (s *Syncer) Flush(ctx context.Context) error {
	ch := s.ledger.wait(s.acc.seal())
	if ch == nil {
		return nil
	}
	defer s.ledger.unwait(ch)
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// purge is the Core's Sync for purges: bounded like Sync, but it leaves the
// record of undelivered events for the caller's next Sync.
func (s *Syncer) purge() {
	s.syncContext(context.Background(), false)
}

// _abandonGrace is how long a caller past its deadline waits for the
// fallback writer to take more events before it gives up on a stuck one.
const _abandonGrace = 100 * time.Millisecond

func (s *Syncer) syncContext(ctx context.Context, take bool) error {
	start := time.Now()
	deadline := start.Add(s.syncTimeout)
	var cause error = &deadlineError{timeout: s.syncTimeout}
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, cause = d, &deadlineError{ctxErr: context.DeadlineExceeded}
	}
	upTo := s.acc.seal()
	if ch := s.ledger.wait(upTo); ch != nil {
		// The handover is estimated, at most, once half the time has
		// passed, so a Sync that is done by then never estimates it.
		half, cancelHalf := context.WithDeadlineCause(ctx, start.Add(deadline.Sub(start)/2), cause)
		defer cancelHalf()
		select {
		case <-ch:
		case <-half.Done():
			// Give up early enough to hand what is pending to the
			// fallback writer by the deadline.
			giveUp, cancel := context.WithDeadlineCause(ctx, deadline.Add(-s.handover(deadline)), cause)
			defer cancel()
			select {
			case <-ch:
			case <-giveUp.Done():
				gone := s.disp.abandon(upTo, deadlineCause(giveUp))
				s.waitWhileWriting(ch, deadline, deadline.Add(deadline.Sub(start)/12))
				s.ledger.claimLate(gone, deadlineCause(giveUp))
			}
		}
		s.ledger.unwait(ch)
	}
	// What went to the fallback writer is written by then, as far as the
	// deadline allows.
	s.waitWhileWriting(s.fb.idle(), deadline, deadline.Add(deadline.Sub(start)/12))
	if !take {
		return nil
	}
	return s.ledger.take()
}

// deadlineCause returns the cause ctx ended with, as a deadline error.
func deadlineCause(ctx context.Context) error {
	cause := context.Cause(ctx)
	if _, ok := cause.(*deadlineError); !ok {
		cause = &deadlineError{ctxErr: cause}
	}
	return cause
}

// waitWhileWriting waits for done: until first, then on while the
// fallback writer keeps taking events, checked every _abandonGrace, and
// never past limit (none when zero). So a slow machine finishes a
// handover, and a stuck writer or a Client that ignores cancellation does
// not hold the caller.
func (s *Syncer) waitWhileWriting(done <-chan struct{}, first, limit time.Time) {
	select {
	case <-done:
		return
	default:
	}
	t := time.NewTimer(max(time.Until(first), 0) + _abandonGrace)
	defer t.Stop()
	last := s.fb.written.Load()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		now := s.fb.written.Load()
		if now == last || (!limit.IsZero() && !time.Now().Before(limit)) {
			return
		}
		last = now
		next := _abandonGrace
		if !limit.IsZero() {
			next = min(next, time.Until(limit))
		}
		t.Reset(next)
	}
}

// handover estimates how long writing every pending event to the
// fallback writer takes, at most two thirds of the time left: the larger
// of what the last large handover took an event, twelve times what
// unescaping a sample of a queued batch takes now (which reflects the machine's load and the race
// detector as they are; a handover spans many time slices and the sample
// one, so on a loaded machine it takes several times longer an event),
// and a floor. Starting early costs little: in a normal build a sample
// event takes well under a microsecond.
func (s *Syncer) handover(deadline time.Time) time.Duration {
	perEvent := time.Duration(s.fb.cost.Load())
	var scratch []byte
	if sampled, _ := s.disp.sampleCost(scratch); sampled > 0 {
		perEvent = max(perEvent, 12*sampled)
	}
	perEvent = max(perEvent, _handoverPerEvent)
	return min(time.Duration(s.ledger.pending())*perEvent, 2*time.Until(deadline)/3)
}

// Close syncs, then refuses further writes: they return ErrClosed and their
// events go to the fallback writer. Like Sync it waits at most
// WithSyncTimeout; then every put still in flight is cancelled and what is
// left goes to the fallback writer. It returns once every goroutine of the
// Syncer has ended and the fallback writer has taken everything, or, with
// a stuck writer or a Client that ignores cancellation, once neither
// moves for a moment, and never more than another WithSyncTimeout after
// its deadline; lines the writer never took are counted as dropped. It
// returns the same error as Sync. Calling it again returns nil once the
// first Close is done.
func (s *Syncer) Close() error {
	return s.CloseContext(context.Background())
}

// CloseContext is Close bounded by ctx as well: the earlier of ctx's end
// and WithSyncTimeout wins. It returns the same error as Sync; the events
// still pending at that deadline are in the fallback writer, counted in
// the error's Late.
func (s *Syncer) CloseContext(ctx context.Context) error {
	if !s.closed.CompareAndSwap(false, true) {
		select {
		case <-s.closeDone:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	}
	defer close(s.closeDone)
	s.acc.close()
	s.syncContext(ctx, false)
	// Nothing waits for a put any more: what is left goes to the fallback
	// writer now, even if its put never returns.
	cause := &deadlineError{closing: true}
	gone := s.disp.stop(cause)
	// The last chance to write what is left: wait while the fallback
	// writer takes events, but not for a stuck one or a Client that
	// ignores cancellation, and at most another WithSyncTimeout.
	limit := time.Now().Add(s.syncTimeout)
	s.waitWhileWriting(s.disp.done(), time.Now(), limit)
	s.ledger.claimLate(gone, cause)
	s.waitWhileWriting(s.fb.idle(), time.Now(), limit)
	if n := s.fb.discard(); n > 0 {
		s.ledger.discarded(n)
	}
	s.acc.stop()
	if s.spool != nil {
		deadline := time.Now().Add(s.syncTimeout)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		s.spool.close(deadline)
	}
	return s.ledger.take()
}
