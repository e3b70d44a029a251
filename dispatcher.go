package cwzap

import (
	"context"
	"slices"
	"sync"
	"time"
)

// A dispatcher owns the sealed batches until their memory goes back: the
// queue, the senders that put them (up to WithConcurrency, started on
// demand and ended when the queue is empty), what may be in flight
// together, and each batch's life (batchlife.go). A batch holding a later
// part of a split entry waits until the batch holding the earlier part is
// settled, so that the parts are stored in order whatever the concurrency.
//
// Each sender runs the put machine (statemachine.go) on a batch, one put
// per day and per half of a request refused as too large, and hands the
// outcome to the ledger. When a deadline gives up on batches (abandon), a
// handover goroutine hands them to the ledger as late, in flight or not;
// the batch's state says which of the two settles it.
//
// The accumulator calls enqueue; the end of work calls abandon, stop and
// done. mu guards the fields below it; the ledger, the budget and the
// targets are called without it.
type dispatcher struct {
	concurrency int
	putTimeout  time.Duration
	ledger      *ledger
	mem         *budget
	tg          *targets
	// ctx is the parent of every put; stop cancels it, so that no put
	// outlives the Syncer.
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup // senders and handovers

	mu      rankedMutex
	queue   []*batch // sealed batches no sender has taken yet, by seq
	flying  []flight // batches a sender is putting
	senders int      // running sender goroutines
}

// A flight is a batch a sender is putting, and how to cancel its put.
type flight struct {
	b      *batch
	cancel context.CancelCauseFunc
}

func newDispatcher(concurrency int, putTimeout time.Duration, l *ledger, mem *budget, tg *targets) *dispatcher {
	d := &dispatcher{concurrency: concurrency, putTimeout: putTimeout, ledger: l, mem: mem, tg: tg, mu: rankedMutex{rank: rankDispatcher}}
	d.ctx, d.cancel = context.WithCancelCause(context.Background())
	return d
}

// stepLocked moves b through its life and returns what to do.
func (d *dispatcher) stepLocked(b *batch, e batchEvent) batchAction {
	next, act, ok := lifeStep(b.life, e)
	if !ok {
		panic("cwzap: batch " + b.life.String() + " cannot take " + e.String()) // a bug in this package, never input
	}
	b.life = next
	return act
}

// enqueue takes a sealed batch and starts a sender if one is needed.
func (d *dispatcher) enqueue(b *batch) {
	d.mu.Lock()
	b.life = batchQueued
	d.queue = append(d.queue, b)
	// Senders putting a batch are busy: count only the idle ones.
	for d.senders < d.concurrency && d.senders-len(d.flying) < len(d.queue) {
		d.senders++
		d.wg.Add(1)
		go d.send()
	}
	d.mu.Unlock()
}

// send is a sender goroutine: it puts queued batches until none it may
// take is left.
func (d *dispatcher) send() {
	defer d.wg.Done()
	var results []spanResult // reused from batch to batch
	for {
		d.mu.Lock()
		b := d.takeLocked()
		if b == nil {
			d.senders--
			d.mu.Unlock()
			return
		}
		// A deadline cancels the put through its flight.
		ctx, cancel := context.WithCancelCause(d.ctx)
		d.flying = append(d.flying, flight{b: b, cancel: cancel})
		d.mu.Unlock()

		results = d.put(ctx, b, results[:0])

		d.mu.Lock()
		d.flying = slices.DeleteFunc(d.flying, func(f flight) bool { return f.b == b })
		act := d.stepLocked(b, eventPutEnded)
		d.mu.Unlock()
		cancel(nil)
		switch act {
		case actSettle:
			d.ledger.settle(b, results)
			d.settled(b)
		case actRelease:
			d.release(b)
		}
		clear(results) // the targets they name may be released
	}
}

// takeLocked removes and returns the first queued batch whose earlier
// part, if any, is settled: neither queued nor in flight.
func (d *dispatcher) takeLocked() *batch {
	for i, b := range d.queue {
		if b.after != 0 && d.pendingLocked(b.after) {
			continue
		}
		d.queue = slices.Delete(d.queue, i, i+1)
		d.stepLocked(b, eventTake)
		return b
	}
	return nil
}

func (d *dispatcher) pendingLocked(seq uint64) bool {
	return slices.ContainsFunc(d.queue, func(b *batch) bool { return b.seq == seq }) ||
		slices.ContainsFunc(d.flying, func(f flight) bool { return f.b.seq == seq })
}

// settled records that b's events are accounted for, and releases it when
// no put reads it.
func (d *dispatcher) settled(b *batch) {
	d.mu.Lock()
	act := d.stepLocked(b, eventSettled)
	d.mu.Unlock()
	if act == actRelease {
		d.release(b)
	}
}

// release gives a batch no one reads back: its targets, and its memory.
func (d *dispatcher) release(b *batch) {
	d.tg.release(b)
	d.mem.give(b)
}

// put runs the put machine on batch b, one span per day, and appends what
// became of each span to results.
func (d *dispatcher) put(ctx context.Context, b *batch, results []spanResult) []spanResult {
	ctx, cancel := context.WithTimeoutCause(ctx, d.putTimeout, &putTimeoutError{d.putTimeout})
	defer cancel()
	k := b.nextDay()
	results = d.putSpan(ctx, b, 0, k, b.tgt, results)
	if k < b.len() {
		results = d.putSpan(ctx, b, k, b.len(), b.tgt2, results)
	}
	return results
}

// putSpan puts events [lo, hi) of b to t, in halves when the request is
// refused as too large.
func (d *dispatcher) putSpan(ctx context.Context, b *batch, lo, hi int, t *target, results []spanResult) []spanResult {
	sp := &span{b: b, lo: lo, hi: hi, tgt: t}
	res := t.st.run(ctx, sp)
	d.ledger.retried(res.retries)
	if res.state == stateSplit {
		mid := lo + (hi-lo)/2
		results = d.putSpan(ctx, b, lo, mid, t, results)
		return d.putSpan(ctx, b, mid, hi, t, results)
	}
	return append(results, spanResult{lo: lo, hi: hi, tgt: t, res: res})
}

// spanResult is what became of one span of a batch.
type spanResult struct {
	lo, hi int
	tgt    *target
	res    putResult
}

// A handover is what a deadline gave up on: the events it hands to the
// fallback writer, in all and by stream.
type handover struct {
	events  int
	streams []lateShare
}

// A lateShare is the events of one stream a deadline gave up on.
type lateShare struct {
	st     *logStream
	events int
}

// add counts n events of stream st.
func (h *handover) add(st *logStream, n int) {
	if n == 0 {
		return
	}
	h.events += n
	for i := range h.streams {
		if h.streams[i].st == st {
			h.streams[i].events += n
			return
		}
	}
	h.streams = append(h.streams, lateShare{st: st, events: n})
}

// abandon gives up on every batch up to seq upTo that is neither settled
// nor settling: a deadline has passed. Puts in flight are cancelled with
// cause, and a goroutine hands each batch, queued or in flight, to the
// ledger, which writes its events to the fallback writer, even if its put
// never returns.
func (d *dispatcher) abandon(upTo uint64, cause error) handover {
	var h handover
	var gone []*batch
	var cancels []context.CancelCauseFunc
	d.mu.Lock()
	for _, f := range d.flying {
		if f.b.seq <= upTo && d.stepLocked(f.b, eventDeadline) == actHandOver {
			cancels = append(cancels, f.cancel)
			gone = append(gone, f.b)
		}
	}
	kept := d.queue[:0]
	for _, b := range d.queue {
		if b.seq > upTo {
			kept = append(kept, b)
			continue
		}
		d.stepLocked(b, eventDeadline)
		gone = append(gone, b)
	}
	clear(d.queue[len(kept):])
	d.queue = kept
	for _, b := range gone {
		k := b.nextDay()
		h.add(b.tgt.st, k)
		if k < b.len() {
			h.add(b.tgt2.st, b.len()-k)
		}
	}
	if len(gone) > 0 {
		d.wg.Add(1)
		go d.handover(gone)
	}
	d.mu.Unlock()
	for _, cancel := range cancels {
		cancel(cause)
	}
	return h
}

// handover settles batches a deadline gave up on, as late.
func (d *dispatcher) handover(gone []*batch) {
	defer d.wg.Done()
	for _, b := range gone {
		d.ledger.settleLate(b)
		d.settled(b)
	}
}

// stop gives up on every batch still queued or in flight, with cause, and
// cancels every put.
func (d *dispatcher) stop(cause error) handover {
	h := d.abandon(^uint64(0), cause)
	d.cancel(cause)
	return h
}

// done returns a channel closed once every sender and handover has ended.
func (d *dispatcher) done() <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(ch)
	}()
	return ch
}
