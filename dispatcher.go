package cwzap

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// A dispatcher owns the sealed batches until they are settled: the queue,
// the senders that put them (up to WithConcurrency, started on demand and
// ended when the queue is empty), and what may be in flight together: a
// batch holding a later part of a split entry waits until the batch
// holding the earlier part is settled, so that the parts are stored in
// order whatever the concurrency.
//
// Each sender runs the put machine (statemachine.go) on the batch, one
// put per day and per half of a request refused as too large, and hands
// the batch to the ledger. When a deadline gives up on batches (abandon),
// it hands them to the ledger at once, in flight or not: whichever of the
// put and the handover claims a batch first settles it.
//
// The accumulator calls enqueue; the end of work calls abandon, handover
// and wait. mu guards the fields below it; the ledger is called without
// it.
type dispatcher struct {
	concurrency int
	putTimeout  time.Duration
	ledger      *ledger
	// ctx is the parent of every put; stop cancels it, so that no put
	// outlives the Syncer.
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup // senders and handovers

	mu      sync.Mutex
	queue   []*batch // sealed batches no sender has taken yet, by seq
	flying  []*batch // batches a sender is putting
	senders int      // running sender goroutines
}

func newDispatcher(concurrency int, putTimeout time.Duration, l *ledger) *dispatcher {
	d := &dispatcher{concurrency: concurrency, putTimeout: putTimeout, ledger: l}
	d.ctx, d.cancel = context.WithCancelCause(context.Background())
	return d
}

// enqueue takes a sealed batch and starts a sender if one is needed.
func (d *dispatcher) enqueue(b *batch) {
	b.refs.Store(1) // the ledger's, until it settles the batch
	d.mu.Lock()
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
	for {
		d.mu.Lock()
		b := d.takeLocked()
		if b == nil {
			d.senders--
			d.mu.Unlock()
			return
		}
		// A deadline cancels the put through b.cancel.
		ctx, cancel := context.WithCancelCause(d.ctx)
		b.cancel = cancel
		b.refs.Add(1) // the put's, while it reads the arena
		d.flying = append(d.flying, b)
		d.mu.Unlock()

		d.put(ctx, b)

		d.mu.Lock()
		cancel(nil)
		b.cancel = nil
		d.flying = slices.DeleteFunc(d.flying, func(f *batch) bool { return f == b })
		d.mu.Unlock()
		if b.claim.CompareAndSwap(false, true) {
			d.ledger.settle(b)
		}
		d.ledger.unref(b)
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
		return b
	}
	return nil
}

func (d *dispatcher) pendingLocked(seq uint64) bool {
	has := func(b *batch) bool { return b.seq == seq }
	return slices.ContainsFunc(d.queue, has) || slices.ContainsFunc(d.flying, has)
}

// put runs the put machine on batch b, one span per day, and records what
// became of each span in b.results.
func (d *dispatcher) put(ctx context.Context, b *batch) {
	ctx, cancel := context.WithTimeoutCause(ctx, d.putTimeout, &putTimeoutError{d.putTimeout})
	defer cancel()
	k := b.nextDay()
	d.putSpan(ctx, b, 0, k, b.tgt)
	if k < b.len() {
		d.putSpan(ctx, b, k, b.len(), b.tgt2)
	}
}

// putSpan puts events [lo, hi) of b to t, in halves when the request is
// refused as too large.
func (d *dispatcher) putSpan(ctx context.Context, b *batch, lo, hi int, t *target) {
	sp := &span{b: b, lo: lo, hi: hi, tgt: t}
	res := t.st.run(ctx, sp)
	d.ledger.retried(res.retries)
	if res.state == stateSplit {
		mid := lo + (hi-lo)/2
		d.putSpan(ctx, b, lo, mid, t)
		d.putSpan(ctx, b, mid, hi, t)
		return
	}
	r := spanResult{lo: lo, hi: hi, tgt: t, res: res}
	if res.state == stateFailed {
		if cause := context.Cause(ctx); errors.Is(cause, ErrDeadline) {
			r.late = cause
		}
	}
	b.results = append(b.results, r)
}

// abandon gives up on every batch up to seq upTo that is not settled: a
// deadline has passed. Puts in flight are cancelled with cause, and a
// goroutine hands every such batch, queued or in flight, to the ledger as
// late, so that its events reach the fallback writer even if a put never
// returns. It returns the batches it gave up on, each held for the caller
// until it passes them to ledger.claimLate, and each held for the
// goroutine too: the caller may be done with a batch, and its put may
// have settled it, before the goroutine looks at its claim, which a
// recycled batch would have cleared.
func (d *dispatcher) abandon(upTo uint64, cause error) []*batch {
	d.mu.Lock()
	var gone []*batch
	for _, b := range d.flying {
		if b.seq <= upTo && !b.abandoned {
			b.abandoned = true
			b.cancel(cause)
			b.refs.Add(2)
			gone = append(gone, b)
		}
	}
	kept := d.queue[:0]
	for _, b := range d.queue {
		if b.seq > upTo {
			kept = append(kept, b)
			continue
		}
		b.abandoned = true
		b.refs.Add(2)
		gone = append(gone, b)
	}
	clear(d.queue[len(kept):])
	d.queue = kept
	if len(gone) > 0 {
		d.wg.Add(1)
		go d.handover(gone, cause)
	}
	d.mu.Unlock()
	return gone
}

// handover settles abandoned batches as late, those whose put has not
// claimed them first, and drops its hold on each.
func (d *dispatcher) handover(gone []*batch, cause error) {
	defer d.wg.Done()
	for _, b := range gone {
		if b.claim.CompareAndSwap(false, true) {
			d.ledger.settleLate(b, cause)
		}
		d.ledger.unref(b)
	}
}

// stop cancels every put still running, with cause, and hands every batch
// still queued or in flight to the ledger. It returns them, held, like
// abandon.
func (d *dispatcher) stop(cause error) []*batch {
	gone := d.abandon(^uint64(0), cause)
	d.cancel(cause)
	return gone
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

// sampleCost returns what turning one pending event back into its text
// takes now, from a sample of the newest queued batch, or 0 when none is
// queued. Queued batches are sealed, and so not written to.
func (d *dispatcher) sampleCost(scratch []byte) (time.Duration, []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.queue) == 0 {
		return 0, scratch
	}
	b := d.queue[len(d.queue)-1]
	n := min(b.len(), _sampleEvents)
	if n == 0 {
		return 0, scratch
	}
	start := time.Now()
	for _, e := range b.events[:n] {
		scratch = appendMessage(scratch[:0], b.arena[e.off:e.end])
	}
	return time.Since(start) / time.Duration(n), scratch
}

// _sampleEvents is how many events sampleCost unescapes: about a
// millisecond under the race detector.
const _sampleEvents = 256

// spanResult is what became of one span of a batch.
type spanResult struct {
	lo, hi int
	tgt    *target
	res    putResult
	late   error // the deadline that ended the put, when one did
}
