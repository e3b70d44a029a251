package cwzap

import (
	"math/rand/v2"
	"time"
)

// An accumulator owns the open batch: it copies each event, already
// escaped, into the batch's arena, and seals the batch when it is full
// (events, bytes, or a 24-hour span), when its oldest event is
// WithFlushInterval old, and when a Sync asks. A sealed batch is sorted,
// given its targets and handed to the dispatcher; the accumulator never
// sees it again. When the budget has no room, the overflow policy decides.
//
// The Syncer's writers call add, Sync calls seal, the flush timer calls
// flushAged. mu guards the fields below it and is held while it calls the
// budget, the targets, the dispatcher and the reporter, none of which
// calls back, waits or does I/O.
type accumulator struct {
	maxEvents     int // WithMaxBatchEvents
	maxBytes      int // WithMaxBatchBytes
	arenaCap      int // the most an arena grows to, but for one huge event
	flushInterval time.Duration
	block         bool // OverflowBlock: a writer waits for room
	mem           *budget
	tg            *targets
	next          *dispatcher
	rep           *reporter

	mu      rankedMutex
	open    *batch      // the batch taking events; nil when none waits
	openDue time.Time   // when open is WithFlushInterval old, give or take the jitter
	timer   *time.Timer // age flush of open
	seq     uint64      // seq of the last batch opened
	full    bool        // in an overflow episode: reported, not over yet
	closed  bool
}

// addResult says what add did with an event.
type addResult uint8

const (
	added         addResult = iota
	overflowed              // no room: the caller applies the overflow policy
	overflowFirst           // the same, and the first of an episode: report it
	refused                 // the accumulator is closed
)

// _minEventObject is the arena size of the smallest event object, with
// its comma: a batch with less room left than this is full.
var _minEventObject = len(`,{"timestamp":0,"message":"x"}`)

// accumulatorConfig is what an accumulator is made with.
type accumulatorConfig struct {
	maxEvents, maxBytes, arenaCap int
	flushInterval                 time.Duration
	block                         bool
}

func newAccumulator(c accumulatorConfig, mem *budget, tg *targets, next *dispatcher, rep *reporter) *accumulator {
	a := &accumulator{
		maxEvents:     c.maxEvents,
		maxBytes:      c.maxBytes,
		arenaCap:      c.arenaCap,
		flushInterval: c.flushInterval,
		block:         c.block,
		mem:           mem,
		tg:            tg,
		next:          next,
		rep:           rep,
		mu:            rankedMutex{rank: rankAccumulator},
	}
	a.timer = time.AfterFunc(time.Hour, a.flushAged)
	a.timer.Stop()
	return a
}

// add copies ev into the open batch, and returns the seq of the batch that
// took it. after is the seq of the batch holding the previous part of the
// same split entry, or 0: a batch holding a later part is put only once
// that one is settled.
func (a *accumulator) add(ev *event, after uint64) (uint64, addResult) {
	var deadline time.Time // of an OverflowBlock wait, over all its wake-ups
	a.mu.Lock()
	for {
		if a.closed {
			a.mu.Unlock()
			return 0, refused
		}
		if b := a.open; b != nil {
			if b.fits(ev, a.maxEvents, a.maxBytes) ||
				b.fitsLimits(ev, a.maxEvents, a.maxBytes) && a.mem.grow(b, len(ev.obj)) {
				break
			}
			a.sealLocked()
		}
		// A new batch is made outside mu: zeroing a large arena takes a
		// while, and other writers may go on meanwhile.
		a.mu.Unlock()
		b, space := a.mem.take(len(ev.obj), a.block)
		a.mu.Lock()
		if b != nil {
			if a.open != nil || a.closed {
				a.mem.give(b) // another writer opened one first
				continue
			}
			a.openLocked(b)
			break
		}
		if a.open != nil || a.closed {
			continue // use it, or refuse the event
		}
		// Every batch the buffer limit allows is waiting or in flight.
		if a.block {
			if deadline.IsZero() {
				deadline = time.Now().Add(a.flushInterval)
			}
			if a.waitLocked(space, deadline) {
				continue
			}
		}
		return 0, a.overflowLocked()
	}
	b := a.open
	b.add(ev)
	if after != 0 && after != b.seq {
		b.after = max(b.after, after)
	}
	seq := b.seq
	if b.len() >= a.maxEvents || b.size+EventOverhead+1 > a.maxBytes || len(b.arena)+_minEventObject > a.arenaCap {
		a.sealLocked()
	}
	a.mu.Unlock()
	return seq, added
}

// overflowLocked ends an add that found no room, and says whether it is
// the first of an overflow episode.
func (a *accumulator) overflowLocked() addResult {
	r := overflowed
	if !a.full {
		a.full, r = true, overflowFirst
	}
	a.mu.Unlock()
	return r
}

// overflow ends an add refused for want of room elsewhere (the spool's),
// as overflowLocked.
func (a *accumulator) overflow() addResult {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return refused
	}
	return a.overflowLocked()
}

// openLocked makes b the open batch and starts its age.
func (a *accumulator) openLocked(b *batch) {
	a.seq++
	b.seq = a.seq
	a.open = b
	d := flushDelay(a.flushInterval)
	a.openDue = time.Now().Add(d)
	a.timer.Reset(d)
	if a.full {
		a.full = false
		a.rep.end(reportOverflow, "") // the episode is over: its sum goes to the handler
	}
}

// waitLocked waits, with mu released, until space is closed or the
// deadline passes, and reports whether room may have been freed.
func (a *accumulator) waitLocked(space <-chan struct{}, deadline time.Time) bool {
	wait := time.Until(deadline)
	if wait <= 0 || space == nil {
		return false
	}
	a.mu.Unlock()
	outside("waiting for room in the buffer")
	t := time.NewTimer(wait)
	defer t.Stop()
	ok := false
	select {
	case <-space:
		ok = true
	case <-t.C:
	}
	a.mu.Lock()
	return ok
}

// seal seals the open batch, if any, and returns the seq of the last batch
// opened: every batch up to it is then with the dispatcher or settled.
func (a *accumulator) seal() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sealLocked()
	return a.seq
}

// sealLocked sorts the open batch, gives it its targets and hands it to the
// dispatcher. Sorting here, once, leaves the batch unchanged from then on,
// so that a deadline's handover may read it while a put does.
func (a *accumulator) sealLocked() {
	b := a.open
	if b == nil {
		return
	}
	a.open = nil
	a.timer.Stop()
	a.mem.sealed(b)
	b.sort()
	a.tg.assign(b)
	a.next.enqueue(b)
}

// close refuses further events, and wakes writers waiting for room so
// that they see it. The open batch stays for the Sync that follows.
func (a *accumulator) close() {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	a.mem.wake()
}

// stop ends the flush timer, once nothing can open a batch.
func (a *accumulator) stop() {
	a.mu.Lock()
	a.timer.Stop()
	a.mu.Unlock()
}

// flushDelay returns the age at which a batch is sent: d, give or take a
// random tenth, so that a fleet started together does not put in
// lockstep.
func flushDelay(d time.Duration) time.Duration {
	return d - d/10 + rand.N(d/5+1)
}

// flushAged runs on the flush timer.
func (a *accumulator) flushAged() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.open == nil {
		return
	}
	// A timer that fired just as a new batch opened: wait out its own age.
	if left := time.Until(a.openDue); left > a.flushInterval/10 {
		a.timer.Reset(left)
		return
	}
	a.sealLocked()
}
