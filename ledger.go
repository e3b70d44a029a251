package cwzap

import "sync/atomic"

// Stats counts what happened to the events a Syncer accepted. Once Sync has
// returned, and while no other goroutine writes, Written == Delivered +
// Fallback + Dropped.
type Stats struct {
	Written   uint64 // events accepted by Write/WriteEntry (after splitting oversize entries)
	Delivered uint64 // accepted by CloudWatch
	Fallback  uint64 // sent to the fallback writer instead: failed for good, rejected, late at a sync deadline, written after Close, or overflowing
	Dropped   uint64 // discarded under the Drop overflow policy, or because the fallback writer was stuck
	Rejected  uint64 // of Fallback: refused by the service (too old, too new, expired)
	Batches   uint64 // successful PutLogEvents calls
	Retries   uint64 // PutLogEvents calls repeated after a retryable error
}

// A ledger owns the outcome of every event: the counters behind Stats,
// the record of what did not reach CloudWatch since the last Sync, which
// batches are settled (by seq, though puts finish out of order), and the
// Syncs waiting for them. It writes what was not delivered to the
// fallback writer, reports it, and marks settled batches in the spool
// (WithSpool).
//
// The dispatcher calls settle and settleLate; the Syncer calls the rest.
// mu guards the fields below it; the fallback writer is called without it.
type ledger struct {
	group   string // as NewSyncer got them, {date} unexpanded
	stream  string
	fb      *fallback
	rep     *reporter
	spool   *spool // WithSpool; nil for none
	stats   counters
	stalled atomic.Bool // a deadline gave up on events, and no put has succeeded since

	mu      rankedMutex
	settled uint64        // every batch up to this seq is settled
	ahead   []uint64      // settled seqs above settled
	waiters []waiter      // Syncs waiting for a seq to settle
	lost    DeliveryError // what did not reach CloudWatch since the last Sync returned
	moved   chan struct{} // closed when a put succeeds while stalled; nil when nobody waits
}

type counters struct {
	written, delivered, fallback, dropped, rejected, batches, retries atomic.Uint64
}

type waiter struct {
	seq uint64
	ch  chan struct{}
}

func newLedger(group, stream string, fb *fallback, rep *reporter, sp *spool) *ledger {
	return &ledger{
		group:  group,
		stream: stream,
		fb:     fb,
		rep:    rep,
		spool:  sp,
		mu:     rankedMutex{rank: rankLedger},
		lost:   DeliveryError{Group: group, Stream: stream},
	}
}

// snapshot returns the counters, read one by one.
func (l *ledger) snapshot() Stats {
	return Stats{
		Written:   l.stats.written.Load(),
		Delivered: l.stats.delivered.Load(),
		Fallback:  l.stats.fallback.Load(),
		Dropped:   l.stats.dropped.Load(),
		Rejected:  l.stats.rejected.Load(),
		Batches:   l.stats.batches.Load(),
		Retries:   l.stats.retries.Load(),
	}
}

// pending returns how many accepted events are not yet settled.
func (l *ledger) pending() int {
	done := l.stats.delivered.Load() + l.stats.fallback.Load() + l.stats.dropped.Load()
	return int(l.stats.written.Load() - min(done, l.stats.written.Load()))
}

func (l *ledger) accepted()     { l.stats.written.Add(1) }
func (l *ledger) retried(n int) { l.stats.retries.Add(uint64(n)) }
func (l *ledger) record(e *DeliveryError) {
	l.mu.Lock()
	l.lost.add(e)
	l.mu.Unlock()
}

// direct settles one event that never reached a batch: written after
// Close, or overflowing; drop discards it (OverflowDrop).
func (l *ledger) direct(raw []byte, drop bool) {
	if drop {
		l.stats.dropped.Add(1)
		return
	}
	l.toFallback(raw)
}

// overflowed records one event that found the buffer full, and reports
// it: the first of an episode at once, the rest added up.
func (l *ledger) overflowed(raw []byte, drop, first bool, limit int) {
	e := DeliveryError{Events: 1, Overflow: 1}
	if drop {
		e.Dropped = 1
	}
	l.record(&e)
	if first {
		what := "events go to the fallback writer"
		if drop {
			what = "dropping events"
		}
		l.rep.report(reportOverflow, "", &overflowError{group: l.group, stream: l.stream, limit: limit, what: what})
	} else {
		e.Group, e.Stream = l.group, l.stream
		l.rep.report(reportOverflow, "", &e)
	}
	l.direct(raw, drop)
}

// toFallback writes one event to the fallback writer, or counts it as
// dropped when the writer is stuck.
func (l *ledger) toFallback(raw []byte) {
	if l.fb.line(raw) {
		l.stats.fallback.Add(1)
		return
	}
	l.stuck(1)
}

// toFallbackEvents writes events [lo, hi) of b to the fallback writer, or
// counts them as dropped when the writer is stuck.
//
// The events count as Fallback from the start, as the fallback has them
// from then on: written, or, if the writer is stuck, moved to Dropped. So
// Stats add up while a long handover is still writing. A deadline counts
// those it hands over when it gives up (handedOver), so that Stats add up
// when it returns, before its handover has written them.
func (l *ledger) toFallbackEvents(b *batch, lo, hi int, counted bool) {
	if hi <= lo {
		return
	}
	if !counted {
		l.stats.fallback.Add(uint64(hi - lo))
	}
	if n := l.fb.events(b, lo, hi); n < hi-lo {
		l.discarded(hi - lo - n)
	}
}

// handedOver counts n events a deadline hands to the fallback writer.
func (l *ledger) handedOver(n int) { l.stats.fallback.Add(uint64(n)) }

// stuck counts n events the fallback writer did not take in time, and
// reports them.
func (l *ledger) stuck(n int) {
	l.stats.dropped.Add(uint64(n))
	e := &DeliveryError{Dropped: n}
	l.record(e)
	l.rep.report(reportStuck, "", &stuckError{timeout: l.fb.timeout, n: n})
}

// discarded moves n events the fallback writer never took, though they
// were handed to it, from Fallback to Dropped: Close gave up on a stuck
// writer.
func (l *ledger) discarded(n int) {
	l.stats.fallback.Add(^uint64(n - 1))
	l.stuck(n)
}

// settle accounts for every event of a batch its put settles: delivered,
// or rejected or failed for good (to the fallback writer).
func (l *ledger) settle(b *batch, results []spanResult) {
	for _, r := range results {
		n := r.hi - r.lo
		stream := r.tgt.st.path()
		switch r.res.state {
		case stateDone:
			l.stats.batches.Add(1)
			if l.stalled.Swap(false) {
				l.mu.Lock()
				wake(&l.moved)
				l.mu.Unlock()
			}
			l.rep.end(reportFailed, stream)
			rej := r.res.rejected.count(n)
			l.stats.delivered.Add(uint64(n - rej))
			if rej == 0 {
				continue
			}
			l.stats.rejected.Add(uint64(rej))
			l.toFallbackEvents(b, r.lo, r.lo+r.res.rejected.old, false)
			l.toFallbackEvents(b, r.lo+r.res.rejected.newFrom, r.hi, false)
			l.incident(reportRejected, r.tgt, &DeliveryError{Events: rej, Rejected: rej})
		default:
			l.toFallbackEvents(b, r.lo, r.hi, false)
			l.incident(reportFailed, r.tgt, &DeliveryError{Events: n, Failed: n, Err: r.res.err})
		}
	}
	l.settled1(b)
}

// settleLate accounts for a batch a deadline gave up on, its put still
// running or never started: every event goes to the fallback writer. The
// deadline counted and reported them (Syncer.late).
func (l *ledger) settleLate(b *batch) {
	l.toFallbackEvents(b, 0, b.len(), true)
	l.settled1(b)
}

// incident records e, an incident of the stream of t, for the next Sync
// and reports it.
func (l *ledger) incident(k reportKind, t *target, e *DeliveryError) {
	l.record(e)
	e.Group, e.Stream = t.st.group, t.st.name
	l.rep.report(k, t.st.path(), e)
}

// settled1 records that every event of b is accounted for, and wakes the
// Syncs waiting for it.
func (l *ledger) settled1(b *batch) {
	l.mu.Lock()
	if b.seq == l.settled+1 {
		l.settled++
		for i := 0; i < len(l.ahead); {
			if l.ahead[i] == l.settled+1 {
				l.settled++
				l.ahead[i] = l.ahead[len(l.ahead)-1]
				l.ahead = l.ahead[:len(l.ahead)-1]
				i = 0
				continue
			}
			i++
		}
	} else {
		l.ahead = append(l.ahead, b.seq)
	}
	if l.spool != nil {
		l.spool.settle(b.seq, l.settled) // before any Sync waiting for b returns
	}
	kept := l.waiters[:0]
	for _, w := range l.waiters {
		if w.seq <= l.settled {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	clear(l.waiters[len(kept):])
	l.waiters = kept
	l.mu.Unlock()
}

// progress returns a channel closed once a put succeeds, while stalled.
func (l *ledger) progress() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stalled.Load() {
		return _closed
	}
	if l.moved == nil {
		l.moved = make(chan struct{})
	}
	return l.moved
}

// wait returns a channel closed once every batch up to seq is settled, or
// nil when they are already.
func (l *ledger) wait(seq uint64) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if seq <= l.settled {
		return nil
	}
	ch := make(chan struct{})
	l.waiters = append(l.waiters, waiter{seq: seq, ch: ch})
	return ch
}

// unwait removes a wait that may still be registered.
func (l *ledger) unwait(ch chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, w := range l.waiters {
		if w.ch == ch {
			l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			return
		}
	}
}

// take returns what did not reach CloudWatch since the last call, and
// starts a new record.
func (l *ledger) take() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost.Events == 0 {
		return nil
	}
	e := l.lost
	l.lost = DeliveryError{Group: e.Group, Stream: e.Stream}
	return &e
}
