package cwzap

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

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
// fallback writer, tells the error handler, gives settled batches back
// to the budget and their targets, and marks them settled in the spool
// (WithSpool).
//
// The dispatcher calls settle and settleLate; the Syncer calls the rest.
// mu guards the fields below it; the error handler and the fallback writer
// are called without it.
type ledger struct {
	group   string // as NewSyncer got them, {date} unexpanded
	stream  string
	fb      *fallback
	mem     *budget
	tg      *targets
	onError func(error)
	stats   counters
	spool   *spool // WithSpool; nil for none

	mu      sync.Mutex
	settled uint64        // every batch up to this seq is settled
	ahead   []uint64      // settled seqs above settled
	waiters []waiter      // Syncs waiting for a seq to settle
	lost    DeliveryError // what did not reach CloudWatch since the last Sync returned
}

type counters struct {
	written, delivered, fallback, dropped, rejected, batches, retries atomic.Uint64
}

type waiter struct {
	seq uint64
	ch  chan struct{}
}

func newLedger(group, stream string, fb *fallback, mem *budget, tg *targets, onError func(error)) *ledger {
	return &ledger{
		group:   group,
		stream:  stream,
		fb:      fb,
		mem:     mem,
		tg:      tg,
		onError: onError,
		lost:    DeliveryError{Group: group, Stream: stream},
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
// the start of an episode.
func (l *ledger) overflowed(raw []byte, drop, first bool, limit int) {
	e := DeliveryError{Events: 1, Overflow: 1}
	if drop {
		e.Dropped = 1
	}
	l.record(&e)
	if first {
		// Once per episode, so that the error handler is not flooded.
		what := "events go to the fallback writer"
		if drop {
			what = "dropping events"
		}
		l.onError(&overflowError{group: l.group, stream: l.stream, limit: limit, what: what})
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
// Stats add up while a long handover is still writing.
func (l *ledger) toFallbackEvents(b *batch, lo, hi int) {
	if hi <= lo {
		return
	}
	l.stats.fallback.Add(uint64(hi - lo))
	start := time.Now()
	n := l.fb.events(b, lo, hi)
	if n >= _costSample {
		// What the handover of an event costs, unescaping included: the
		// end of work leaves room for it (Syncer.handover).
		l.fb.cost.Store(int64(time.Since(start)) / int64(n))
	}
	if n < hi-lo {
		l.discarded(hi - lo - n)
	}
}

// stuck counts n events the fallback writer did not take in time, and
// reports the first of them.
func (l *ledger) stuck(n int) {
	l.stats.dropped.Add(uint64(n))
	l.record(&DeliveryError{Dropped: n})
	if l.fb.reportStuck() {
		l.onError(fmt.Errorf("cwzap: the fallback writer took no event for %v: dropping the events it cannot take (%d so far); unblock it (a full pipe, a stopped reader?)", l.fb.timeout, n))
	}
}

// discarded moves n events the fallback writer never took, though they
// were handed to it, from Fallback to Dropped: Close gave up on a stuck
// writer.
func (l *ledger) discarded(n int) {
	l.stats.fallback.Add(^uint64(n - 1))
	l.stuck(n)
}

// settle accounts for every event of a batch its put claimed: delivered,
// rejected (to the fallback writer), failed for good or late (likewise).
func (l *ledger) settle(b *batch) {
	for _, r := range b.results {
		n := r.hi - r.lo
		switch {
		case r.res.state == stateDone:
			l.stats.batches.Add(1)
			rej := r.res.rejected.count(n)
			l.stats.delivered.Add(uint64(n - rej))
			if rej == 0 {
				continue
			}
			l.stats.rejected.Add(uint64(rej))
			l.toFallbackEvents(b, r.lo, r.lo+r.res.rejected.old)
			l.toFallbackEvents(b, r.lo+r.res.rejected.newFrom, r.hi)
			l.report(b, r.tgt, &DeliveryError{Events: rej, Rejected: rej})
		case r.late != nil:
			l.toFallbackEvents(b, r.lo, r.hi)
			l.late(b, r.tgt, n, r.late)
		default:
			l.toFallbackEvents(b, r.lo, r.hi)
			l.report(b, r.tgt, &DeliveryError{Events: n, Failed: n, Err: r.res.err})
		}
	}
	l.settled1(b)
}

// settleLate accounts for a batch a deadline gave up on, its put still
// running or never started: every event goes to the fallback writer, each
// day's share reported as late.
func (l *ledger) settleLate(b *batch, cause error) {
	l.toFallbackEvents(b, 0, b.len())
	k := b.nextDay()
	l.late(b, b.tgt, k, cause)
	if k < b.len() {
		l.late(b, b.tgt2, b.len()-k, cause)
	}
	l.settled1(b)
}

// late records n events of batch b, now in the fallback writer, for the
// next Sync, unless a Sync whose wait ran out counted the batch already,
// and tells the error handler. The stream's last failed attempt, if any,
// says why the events were still pending.
func (l *ledger) late(b *batch, t *target, n int, cause error) {
	if n == 0 {
		return
	}
	l.report(b, t, &DeliveryError{Events: n, Late: n, LateErr: cause, Err: t.st.lastError()})
}

// report records an incident of batch b for the next Sync, unless a Sync
// counted the batch already, and tells the error handler, naming the
// stream of t.
func (l *ledger) report(b *batch, t *target, e *DeliveryError) {
	l.mu.Lock()
	if !b.claimed {
		l.lost.add(e)
	}
	l.mu.Unlock()
	e.Group, e.Stream = t.st.group, t.st.name
	l.onError(e)
}

// settled1 records that every event of b is accounted for, and wakes the
// Syncs waiting for it.
func (l *ledger) settled1(b *batch) {
	l.mu.Lock()
	b.done = true
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
	l.unref(b)
}

// unref drops one holder of b's arena; the last one releases its targets
// and gives it back to the budget.
func (l *ledger) unref(b *batch) {
	switch n := b.refs.Add(-1); {
	case n == 0:
		l.tg.release(b)
		l.mem.give(b)
	case n < 0:
		panic("cwzap: a batch was released more often than held") // a bug in this package, never input
	}
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

// claimLate counts, for the caller's error, the batches a deadline gave
// up on (abandon) that are not settled yet; their settling then leaves
// them out of the record. It drops the hold abandon took on each.
func (l *ledger) claimLate(gone []*batch, cause error) {
	l.mu.Lock()
	for _, b := range gone {
		if !b.done && !b.claimed {
			b.claimed = true
			l.lost.add(&DeliveryError{Events: b.len(), Late: b.len(), LateErr: cause})
		}
	}
	l.mu.Unlock()
	for _, b := range gone {
		l.unref(b)
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
