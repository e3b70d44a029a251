package cwzap

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"time"
)

// Sending: a sealed batch is queued, taken by one of up to WithConcurrency
// sender goroutines, put through the robust put (statemachine.go), and
// settled: every event delivered, rejected or in the fallback writer.

// sealLocked moves the open batch to the queue and starts a sender if one
// is needed.
func (s *Syncer) sealLocked() {
	b := s.open
	if b == nil {
		return
	}
	s.open = nil
	s.timer.Stop()
	s.lastArena, s.lastEvents = len(b.arena), b.len()
	s.targetBatchLocked(b)
	s.sealed++
	b.seq = s.sealed
	s.queue = append(s.queue, b)
	for s.senders < s.opts.concurrency && s.senders < len(s.queue) {
		s.senders++
		s.wg.Add(1)
		go s.send()
	}
}

// flushDelay returns the age at which a batch is sent: d, give or take a
// random tenth, so that a fleet started together does not put in
// lockstep.
func flushDelay(d time.Duration) time.Duration {
	return d - d/10 + rand.N(d/5+1)
}

// flushAged runs on the flush timer.
func (s *Syncer) flushAged() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open == nil {
		return
	}
	// A timer that fired just as a new batch opened: wait out its own age.
	if left := time.Until(s.openDue); left > s.opts.flushInterval/10 {
		s.timer.Reset(left)
		return
	}
	s.sealLocked()
}

// send is a sender goroutine: it puts queued batches until none is left.
func (s *Syncer) send() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.senders--
			s.mu.Unlock()
			return
		}
		b := s.queue[0]
		n := copy(s.queue, s.queue[1:])
		s.queue[n] = nil
		s.queue = s.queue[:n]
		// A sync deadline cancels the put through b.cancel.
		ctx, cancel := context.WithCancelCause(s.ctx)
		b.cancel = cancel
		s.flying = append(s.flying, b)
		s.mu.Unlock()

		s.deliver(ctx, b)

		s.mu.Lock()
		b.cancel(nil)
		b.cancel = nil
		s.flying = slices.DeleteFunc(s.flying, func(f *batch) bool { return f == b })
		s.settleLocked(b)
		s.mu.Unlock()
	}
}

func (s *Syncer) deliver(ctx context.Context, b *batch) {
	b.sort()
	ctx, cancel := context.WithTimeoutCause(ctx, s.opts.putTimeout, &putTimeoutError{s.opts.putTimeout})
	defer cancel()
	if b.tgt2 == nil {
		s.putSpan(ctx, &span{b: b, lo: 0, hi: b.len(), tgt: b.tgt})
		return
	}
	// One put per day: the events of the next day follow, sorted.
	k := b.nextDay()
	s.putSpan(ctx, &span{b: b, lo: 0, hi: k, tgt: b.tgt})
	s.putSpan(ctx, &span{b: b, lo: k, hi: b.len(), tgt: b.tgt2})
}

// nextDay returns the index of the first event of the batch's second
// day (tgt2), or its length when it has one day. The batch must be sorted.
func (b *batch) nextDay() int {
	if b.tgt2 == nil {
		return b.len()
	}
	k, _ := slices.BinarySearchFunc(b.events, b.tgt2.day, func(e event, day int64) int {
		return cmp.Compare(dayOf(e.ts), day)
	})
	return k
}

// putSpan runs the put machine on one span of a batch and accounts for
// every event of it.
func (s *Syncer) putSpan(ctx context.Context, sp *span) {
	res := sp.tgt.st.run(ctx, sp)
	s.stats.retries.Add(uint64(res.retries))
	n := sp.len()
	switch res.state {
	case stateDone:
		s.stats.batches.Add(1)
		rej := res.rejected.count(n)
		s.stats.delivered.Add(uint64(n - rej))
		if rej == 0 {
			return
		}
		s.stats.rejected.Add(uint64(rej))
		s.toFallbackEvents(sp.b, sp.lo, sp.lo+res.rejected.old)
		s.toFallbackEvents(sp.b, sp.lo+res.rejected.newFrom, sp.hi)
		s.report(sp.tgt, &DeliveryError{Events: rej, Rejected: rej})
	case stateSplit:
		mid := sp.lo + n/2
		s.putSpan(ctx, &span{b: sp.b, lo: sp.lo, hi: mid, tgt: sp.tgt})
		s.putSpan(ctx, &span{b: sp.b, lo: mid, hi: sp.hi, tgt: sp.tgt})
	default:
		s.toFallbackEvents(sp.b, sp.lo, sp.hi)
		if cause := context.Cause(ctx); errors.Is(cause, ErrDeadline) {
			s.mu.Lock()
			if sp.b.lateErr == nil { // Close ended the put, not a Sync
				sp.b.lateErr = cause
			}
			s.mu.Unlock()
			s.late(sp.b, sp.tgt, n)
			return
		}
		s.report(sp.tgt, &DeliveryError{Events: n, Failed: n, Err: res.err})
	}
}

// report records an incident for the next Sync and tells the error handler,
// naming the stream of t.
func (s *Syncer) report(t *target, e *DeliveryError) {
	s.record(e)
	e.Group, e.Stream = t.st.group, t.st.name
	s.onError(e)
}

// record adds an incident to what the next Sync returns.
func (s *Syncer) record(e *DeliveryError) {
	s.mu.Lock()
	s.lost.add(e)
	s.mu.Unlock()
}

// settleLocked records that every event of b is accounted for.
func (s *Syncer) settleLocked(b *batch) {
	s.heldN -= b.len()
	b.releaseLocked()
	if b.seq == s.settled+1 {
		s.settled++
		for i := 0; i < len(s.ahead); {
			if s.ahead[i] == s.settled+1 {
				s.settled++
				s.ahead[i] = s.ahead[len(s.ahead)-1]
				s.ahead = s.ahead[:len(s.ahead)-1]
				i = 0
				continue
			}
			i++
		}
	} else {
		s.ahead = append(s.ahead, b.seq)
	}
	kept := s.waiters[:0]
	for _, w := range s.waiters {
		if w.seq <= s.settled {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	s.waiters = kept
	if s.space != nil {
		close(s.space)
		s.space = nil
	}
	if cap(b.arena) <= s.arenaCap {
		b.reset()
		s.free = append(s.free, b)
	} else {
		s.held -= b.mem()
	}
	if s.settled == s.sealed && s.open == nil {
		s.dropFreeLocked(1) // idle: keep one batch for the next event
	}
}
