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

// A deadline is the one deadline of a Sync, Close or purge: WithSyncTimeout
// from its start, or its context's when that is earlier.
type deadline struct {
	start, at time.Time
	cause     error // what gives up on the puts when it passes
}

func (s *Syncer) deadlineOf(ctx context.Context) deadline {
	d := deadline{start: time.Now()}
	d.at, d.cause = d.start.Add(s.syncTimeout), &deadlineError{timeout: s.syncTimeout}
	if at, ok := ctx.Deadline(); ok && at.Before(d.at) {
		d.at, d.cause = at, &deadlineError{ctxErr: context.DeadlineExceeded}
	}
	return d
}

// reserve returns the part kept at the end of a wait of length wait for
// the handover: what writing every pending event to the fallback writer is
// expected to take, from the time an event took in the last large
// handover, at least a tenth of the wait and at most half of it. Puts are
// given up on that long before the deadline, so that their events reach
// the fallback writer by then.
func (s *Syncer) reserve(wait time.Duration) time.Duration {
	expected := time.Duration(s.ledger.pending()) * s.fb.perEvent()
	return min(max(expected, wait/10), wait/2)
}

func (s *Syncer) syncContext(ctx context.Context, take bool) error {
	d := s.deadlineOf(ctx)
	s.await(ctx, d, s.acc.seal())
	s.rep.flush() // the end of work ends every episode of reports
	if !take {
		return nil
	}
	return s.ledger.take()
}

// await waits until every batch up to seq upTo is settled, or the
// deadline: it gives up on the puts of those still pending when only the
// handover reserve is left, or when ctx ends. In an outage, when an
// earlier deadline gave up on events and no put has succeeded since, it
// gives up after a quarter of the wait, unless a put succeeds meanwhile:
// so a program that syncs and then closes against an endpoint that is
// down waits about one WithSyncTimeout, not two.
//
// Once it gave up, it waits for the handover to have written what it gave
// up on, until the deadline and then on while the fallback writer still
// takes events, up to the reserve past it: so that when it returns, the
// Syncer is done with the fallback writer for what it waited for, unless
// the writer is stuck.
func (s *Syncer) await(ctx context.Context, d deadline, upTo uint64) {
	wait := d.at.Sub(d.start)
	limit := d.at.Add(s.reserve(wait))
	if ch := s.ledger.wait(upTo); ch != nil {
		giveUp := d.at.Add(-s.reserve(wait))
		var moved <-chan struct{}
		if s.ledger.stalled.Load() {
			moved = s.ledger.progress()
			if quarter := d.start.Add(wait / 4); quarter.Before(giveUp) {
				giveUp = quarter
			}
		}
		for !waitUntil(ctx.Done(), moved, ch, giveUp) {
			if moved != nil && isClosed(moved) {
				// A put succeeded: the endpoint answers, the full wait is back.
				moved, giveUp = nil, d.at.Add(-s.reserve(wait))
				continue
			}
			cause := d.cause
			if ctx.Err() != nil && time.Now().Before(giveUp) {
				cause = &deadlineError{ctxErr: context.Cause(ctx)}
			}
			s.giveUp(upTo, cause)
			s.waitWhileWriting(ch, d.at, limit) // the handover
			break
		}
		s.ledger.unwait(ch)
	}
	// What the handover queued for the fallback writer is written by then.
	s.waitWhileWriting(s.fb.idle(), d.at, limit)
}

// giveUp hands every batch up to seq upTo that is not settled to the
// fallback writer, and counts and reports its events as late, once for
// the deadline however many batches they were in.
func (s *Syncer) giveUp(upTo uint64, cause error) {
	h := s.disp.abandon(upTo, cause)
	s.late(h, cause)
}

// late counts what a deadline gave up on for the next Sync (as one
// incident of the names NewSyncer got), and reports it, one report a
// stream, naming the last failed attempt of each: why its events were
// still pending.
func (s *Syncer) late(h handover, cause error) {
	if h.events == 0 {
		return
	}
	s.ledger.stalled.Store(true)
	s.ledger.handedOver(h.events)
	sum := DeliveryError{Events: h.events, Late: h.events, LateErr: cause}
	for _, share := range h.streams {
		st := share.st
		e := &DeliveryError{Group: st.group, Stream: st.name, Events: share.events, Late: share.events, LateErr: cause, Err: st.lastError()}
		if e.Err != nil {
			sum.Err = e.Err
		}
		s.rep.report(reportLate, st.path(), e)
	}
	s.ledger.record(&sum)
}

// waitUntil waits for done until t, or until stop or wake is closed (nil
// for never), and reports whether done was closed.
func waitUntil(stop, wake, done <-chan struct{}, t time.Time) bool {
	if isClosed(done) {
		return true
	}
	outside("waiting for delivery")
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
	case <-stop:
	case <-wake:
	}
	return false
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// _abandonGrace is how often the last of Close checks that the fallback
// writer still takes events.
const _abandonGrace = 100 * time.Millisecond

// waitWhileWriting waits for done: until first, then on while the
// fallback writer keeps taking events, checked every _abandonGrace, and
// never past limit. So a slow machine finishes a handover, and a stuck
// writer or a Client that ignores cancellation does not hold the caller.
func (s *Syncer) waitWhileWriting(done <-chan struct{}, first, limit time.Time) {
	if waitUntil(nil, nil, done, first) {
		return
	}
	for last := s.fb.written.Load(); time.Now().Before(limit); {
		next := time.Now().Add(_abandonGrace)
		if next.After(limit) {
			next = limit
		}
		if waitUntil(nil, nil, done, next) {
			return
		}
		now := s.fb.written.Load()
		if now == last {
			return
		}
		last = now
	}
}

// Close syncs, then refuses further writes: they return ErrClosed and their
// events go to the fallback writer. Like Sync it waits at most
// WithSyncTimeout for puts (not at all in an outage that a deadline
// already gave up on); then every put still in flight is cancelled and
// what is left goes to the fallback writer. It returns once every
// goroutine of the Syncer has ended, the fallback writer has taken
// everything and the error handler has heard every report, or, with a
// stuck writer or handler or a Client that ignores cancellation, at the
// deadline, plus at most the handover reserve (a tenth to a half of
// WithSyncTimeout) while the writer still takes events; lines the writer
// never took are counted as dropped. It releases the connections of the
// client NewSyncer built. It returns the same error as Sync. Calling it
// again returns nil once the first Close is done.
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
	d := s.deadlineOf(ctx)
	s.acc.close()
	s.await(ctx, d, s.acc.seal())
	// Nothing waits for a put any more: what is left goes to the fallback
	// writer now, even if its put never returns.
	cause := &deadlineError{closing: true}
	s.late(s.disp.stop(cause), cause)
	limit := d.at.Add(s.reserve(d.at.Sub(d.start)))
	s.waitWhileWriting(s.disp.done(), d.at, limit)
	s.waitWhileWriting(s.fb.idle(), d.at, limit)
	if n := s.fb.discard(); n > 0 {
		s.ledger.discarded(n)
	}
	s.acc.stop()
	if s.spool != nil {
		s.spool.close(limit)
	}
	s.rep.flush()
	waitUntil(nil, nil, s.rep.idle(), limit)
	s.release()
	return s.ledger.take()
}
