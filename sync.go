package cwzap

import (
	"context"
	"slices"
	"time"
)

// The end of work: Sync, Close and purges wait for the events written
// before them, all under one deadline. When it passes, what they were
// waiting for goes to the fallback writer, so nothing is left in memory
// for a process about to exit or be frozen.

// Sync is the purge: it sends the open batch and returns once every event
// written before it is delivered or in the fallback writer. It waits at
// most WithSyncTimeout (default 10 s) in all, however many batches are
// pending: then it cancels their puts, writes their events to the fallback
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

// purge is the Core's Sync for purges: bounded like Sync, but it leaves the
// record of undelivered events for the caller's next Sync.
func (s *Syncer) purge() {
	s.syncContext(context.Background(), false)
}

// _abandonGrace is how long a caller past its deadline waits for the
// fallback writer to take more events before it gives up on a stuck one.
const _abandonGrace = 100 * time.Millisecond

func (s *Syncer) syncContext(ctx context.Context, take bool) (err error) {
	start := time.Now()
	deadline := start.Add(s.opts.syncTimeout)
	var cause error = &deadlineError{timeout: s.opts.syncTimeout}
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, cause = d, &deadlineError{ctxErr: context.DeadlineExceeded}
	}
	s.mu.Lock()
	s.sealLocked()
	target := s.sealed
	if s.settled < target {
		ch := s.waitLocked(target)
		s.mu.Unlock()
		// The handover can take at most half the time left, so a Sync
		// that is done by then never estimates it.
		half, cancelHalf := context.WithDeadlineCause(ctx, start.Add(deadline.Sub(start)/2), cause)
		defer cancelHalf()
		select {
		case <-ch:
		case <-half.Done():
			// Give up early enough to hand what is pending to the
			// fallback writer by the deadline.
			s.mu.Lock()
			early := deadline.Add(-s.handoverLocked(deadline))
			s.mu.Unlock()
			giveUp, cancel := context.WithDeadlineCause(ctx, early, cause)
			defer cancel()
			select {
			case <-ch:
			case <-giveUp.Done():
				s.abandon(target, giveUp)
				s.awaitHandover(ch, deadline, deadline.Sub(start))
			}
		}
		s.mu.Lock()
		s.unwaitLocked(ch)
		s.claimLateLocked(target)
	}
	if take {
		err = s.takeLostLocked()
	}
	s.mu.Unlock()
	return err
}

// awaitHandover waits for the abandoned batches to reach the fallback
// writer: until the deadline, then on only while the writer keeps taking
// events, and at most a twelfth of the call's time beyond it, so that a
// slow machine finishes the handover and a stuck writer or a Client that
// ignores cancellation does not hold the caller.
func (s *Syncer) awaitHandover(settled <-chan struct{}, deadline time.Time, total time.Duration) {
	s.waitWhileWriting(settled, deadline, deadline.Add(total/12))
}

// waitWhileWriting waits for done: until first, then on while the
// fallback writer keeps taking events, checked every _abandonGrace, and
// never past limit (none when zero).
func (s *Syncer) waitWhileWriting(done <-chan struct{}, first, limit time.Time) {
	t := time.NewTimer(max(time.Until(first), 0) + _abandonGrace)
	defer t.Stop()
	last := s.fbWritten.Load()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		now := s.fbWritten.Load()
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

// handoverLocked estimates how long writing every pending event to the
// fallback writer takes, at most half the time left: the larger of what
// the last large write took an event, eight times what unescaping a
// sample of a queued batch takes now (which reflects the machine's load
// and the race detector as they are; a handover spans many time slices
// and the sample one, so on a loaded machine it takes several times
// longer an event), and a floor. Starting early costs little: in a normal
// build a sample event takes well under a microsecond.
func (s *Syncer) handoverLocked(deadline time.Time) time.Duration {
	perEvent := time.Duration(s.fbCost.Load())
	if len(s.queue) > 0 {
		// Queued batches are not read by senders yet: no race with sort.
		b := s.queue[len(s.queue)-1]
		if n := min(b.len(), _sampleEvents); n > 0 {
			start := time.Now()
			for _, e := range b.events[:n] {
				s.sample = appendMessage(s.sample[:0], b.arena[e.off:e.end])
			}
			perEvent = max(perEvent, 8*time.Since(start)/time.Duration(n))
			if cap(s.sample) > _maxPooled {
				s.sample = nil
			}
		}
	}
	perEvent = max(perEvent, _handoverPerEvent)
	return min(time.Duration(s.heldN)*perEvent, time.Until(deadline)/2)
}

// _sampleEvents is how many events handoverLocked unescapes to time the
// handover: about a millisecond under the race detector.
const _sampleEvents = 256

// abandon gives up on every batch up to seq target when a sync deadline
// passes: puts in flight are cancelled, and a goroutine hands the queued
// batches to the fallback writer; each batch's events are recorded as late
// when they are written. It returns the number of events that were pending.
func (s *Syncer) abandon(target uint64, ctx context.Context) int {
	cause := context.Cause(ctx)
	if _, ok := cause.(*deadlineError); !ok {
		cause = &deadlineError{ctxErr: cause}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pending := 0
	for _, b := range s.flying {
		if b.seq <= target {
			pending += b.len()
			if !b.abandoned {
				b.abandoned, b.lateErr = true, cause
				b.cancel(cause)
			}
		}
	}
	var queued []*batch
	kept := s.queue[:0]
	for _, b := range s.queue {
		if b.seq > target {
			kept = append(kept, b)
			continue
		}
		b.abandoned, b.lateErr = true, cause
		queued = append(queued, b)
		pending += b.len()
	}
	clear(s.queue[len(kept):])
	s.queue = kept
	if len(queued) == 0 {
		return pending
	}
	s.flying = append(s.flying, queued...)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for _, b := range queued {
			b.sort() // no sender has it: in order, and split by day
			s.toFallbackEvents(b, 0, b.len())
			k := b.nextDay()
			s.late(b, b.tgt, k)
			if k < b.len() {
				s.late(b, b.tgt2, b.len()-k)
			}
			s.mu.Lock()
			s.flying = slices.DeleteFunc(s.flying, func(f *batch) bool { return f == b })
			s.settleLocked(b)
			s.mu.Unlock()
		}
	}()
	return pending
}

// late records n events of abandoned batch b, now in the fallback writer,
// for the next Sync, unless a caller whose wait ran out claimed the batch,
// and tells the error handler.
func (s *Syncer) late(b *batch, t *target, n int) {
	s.mu.Lock()
	cause := b.lateErr
	if !b.claimed {
		s.lost.add(&DeliveryError{Events: n, Late: n, LateErr: cause})
	}
	group, stream := t.st.group, t.st.name
	s.mu.Unlock()
	s.onError(&DeliveryError{Group: group, Stream: stream, Events: n, Late: n, LateErr: cause})
}

// claimLateLocked records the abandoned batches up to seq target whose
// handover has not finished, so that the caller's error counts them now.
func (s *Syncer) claimLateLocked(target uint64) {
	for _, b := range s.flying {
		if b.seq <= target && b.abandoned && !b.claimed {
			b.claimed = true
			s.lost.add(&DeliveryError{Events: b.len(), Late: b.len(), LateErr: b.lateErr})
		}
	}
}

// waitLocked registers a wait for every batch up to seq to settle.
func (s *Syncer) waitLocked(seq uint64) chan struct{} {
	ch := make(chan struct{})
	s.waiters = append(s.waiters, waiter{seq: seq, ch: ch})
	return ch
}

// unwaitLocked removes a wait that may still be registered.
func (s *Syncer) unwaitLocked(ch chan struct{}) {
	for i, w := range s.waiters {
		if w.ch == ch {
			s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
			return
		}
	}
}

// takeLostLocked returns what did not reach CloudWatch since the last call,
// and starts a new record.
func (s *Syncer) takeLostLocked() error {
	if s.lost.Events == 0 {
		return nil
	}
	e := s.lost
	s.lost = DeliveryError{Group: e.Group, Stream: e.Stream}
	return &e
}

// Close syncs, then refuses further writes: they return ErrClosed and their
// events go to the fallback writer. Like Sync it waits at most
// WithSyncTimeout; then every put still in flight is cancelled and what is
// left goes to the fallback writer. It returns once every goroutine of the
// Syncer has ended, or a moment later than its deadline if a fallback
// writer or Client is stuck, with the same error as Sync. Calling it again
// returns nil once the first Close is done.
func (s *Syncer) Close() error {
	return s.CloseContext(context.Background())
}

// CloseContext is Close bounded by ctx as well: the earlier of ctx's end
// and WithSyncTimeout wins. It returns the same error as Sync; the events
// still pending at that deadline are in the fallback writer, counted in
// the error's Late.
func (s *Syncer) CloseContext(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		select {
		case <-s.closeDone:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	}
	s.closed = true
	s.closing.Store(true)
	if s.space != nil {
		close(s.space) // wake blocked writers: they now see closed
		s.space = nil
	}
	s.mu.Unlock()

	s.syncContext(ctx, false)
	// Nothing waits for a put any more.
	s.cancel(&deadlineError{closing: true})
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	// The last chance to write what is left: wait while the fallback
	// writer takes events, but not for a stuck one or a Client that
	// ignores cancellation.
	s.waitWhileWriting(done, time.Now(), time.Time{})
	s.timer.Stop()
	s.mu.Lock()
	s.claimLateLocked(s.sealed)
	err := s.takeLostLocked()
	s.mu.Unlock()
	close(s.closeDone)
	return err
}
