package cwzap

import (
	"math/rand/v2"
	"time"
)

// An accumulator owns the open batches, one for each route (route.go):
// one for a Syncer whose names take no value from entries. It copies each
// event, already escaped, into the open batch of its route, and seals a
// batch when it is full (events, bytes, or a 24-hour span), when its
// oldest event is WithFlushInterval old, when a Sync asks, and when its
// route is the least recently used of WithMaxStreams and another needs
// room. A sealed batch is sorted, given its targets and handed to the
// dispatcher; the accumulator never sees it again. When the budget has no
// room, the overflow policy decides.
//
// The open batches share the buffer: each opens with its share of half of
// WithBufferLimit, so that many routes open at once still leave room for
// the batches being sent, and widens, a share at a time up to
// WithMaxBatchBytes, while the open batches together take less than that
// half: a few routes open fill their requests as one route does. A batch
// opening when they take it all has the most widened one sealed first.
//
// The Syncer's writers call add, Sync calls seal, the routes' timers call
// flushAged. mu guards the fields below it and is held while it calls the
// budget, the targets, the dispatcher and the reporter, none of which
// calls back, waits or does I/O.
type accumulator struct {
	cfg  accumulatorConfig
	mem  *budget
	tg   *targets
	next *dispatcher
	rep  *reporter

	mu     rankedMutex
	routes map[string]*route // by route; at most cfg.maxRoutes
	only   *route            // the one route of a Syncer whose names take nothing from entries
	tick   uint64            // counts events: when each route was last used
	seq    uint64            // seq of the last batch opened
	full   bool              // in an overflow episode: reported, not over yet
	closed bool
}

// A route is the open batch of one route, and its age.
type route struct {
	key   string
	open  *batch      // the batch taking its events; nil when none waits
	due   time.Time   // when open is WithFlushInterval old, give or take the jitter
	timer *time.Timer // the age flush of open
	used  uint64      // accumulator.tick at its last event
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
	bufferLimit                   int // WithBufferLimit
	maxRoutes                     int // WithMaxStreams; 0 when names take nothing from entries
	flushInterval                 time.Duration
	block                         bool
}

func newAccumulator(c accumulatorConfig, mem *budget, tg *targets, next *dispatcher, rep *reporter) *accumulator {
	a := &accumulator{cfg: c, mem: mem, tg: tg, next: next, rep: rep, mu: rankedMutex{rank: rankAccumulator}}
	if c.maxRoutes == 0 {
		a.only = a.newRoute("")
	} else {
		a.routes = make(map[string]*route)
	}
	return a
}

func (a *accumulator) newRoute(key string) *route {
	r := &route{key: key}
	r.timer = time.AfterFunc(time.Hour, func() { a.flushAged(r) })
	r.timer.Stop()
	return r
}

// routeLocked returns the route of key, made if new: the least recently
// used route gives up its place when WithMaxStreams are open.
func (a *accumulator) routeLocked(key []byte) *route {
	if a.only != nil {
		return a.only
	}
	if r := a.routes[string(key)]; r != nil {
		return r
	}
	if len(a.routes) >= a.cfg.maxRoutes {
		var lru *route
		for _, r := range a.routes {
			if lru == nil || r.used < lru.used {
				lru = r
			}
		}
		a.sealLocked(lru)
		lru.timer.Stop()
		delete(a.routes, lru.key)
	}
	r := a.newRoute(string(key))
	a.routes[r.key] = r
	return r
}

// shareLocked returns the log data an open batch opens with:
// WithMaxBatchBytes, or less, a route's share of half the buffer when
// WithMaxStreams routes may be open.
func (a *accumulator) shareLocked() int {
	n := max(a.cfg.maxRoutes, 1)
	return max(min(a.cfg.maxBytes, a.cfg.bufferLimit/(2*n)), EventOverhead+1)
}

// add copies ev into the open batch of its route, and returns the seq of
// the batch that took it. after is the seq of the batch holding the
// previous part of the same split entry, or 0: a batch holding a later
// part is put only once that one is settled.
func (a *accumulator) add(ev *event, after uint64) (uint64, addResult) {
	var deadline time.Time // of an OverflowBlock wait, over all its wake-ups
	a.mu.Lock()
	var r *route
	for {
		if a.closed {
			a.mu.Unlock()
			return 0, refused
		}
		r = a.routeLocked(ev.route)
		if b := r.open; b != nil {
			if b.fits(ev, a.cfg.maxEvents) || b.fitsLimits(ev, a.cfg.maxEvents) && a.mem.grow(b, len(ev.obj)) {
				break
			}
			if b.size+ev.size+EventOverhead > b.maxBytes && a.widenLocked(b) &&
				(b.fits(ev, a.cfg.maxEvents) || b.fitsLimits(ev, a.cfg.maxEvents) && a.mem.grow(b, len(ev.obj))) {
				break
			}
			a.sealLocked(r)
		}
		// A new batch is made outside mu: zeroing a large arena takes a
		// while, and other writers may go on meanwhile.
		share := a.shareLocked()
		a.mu.Unlock()
		b, space := a.mem.take(len(ev.obj), share, a.cfg.block)
		a.mu.Lock()
		if b != nil {
			if r = a.routeLocked(ev.route); r.open != nil || a.closed {
				a.mem.give(b) // another writer opened one first
				continue
			}
			a.openLocked(r, b, share)
			break
		}
		if r = a.routeLocked(ev.route); r.open != nil || a.closed {
			continue // use it, or refuse the event
		}
		// Every batch the buffer limit allows is open, waiting or in flight.
		if a.cfg.block {
			if deadline.IsZero() {
				deadline = time.Now().Add(a.cfg.flushInterval)
			}
			if a.waitLocked(space, deadline) {
				continue
			}
		}
		return 0, a.overflowLocked()
	}
	b := r.open
	b.add(ev)
	if after != 0 && after != b.seq {
		b.after = max(b.after, after)
	}
	a.tick++
	r.used = a.tick
	seq := b.seq
	if b.len() >= a.cfg.maxEvents || len(b.arena)+_minEventObject > a.cfg.arenaCap ||
		b.size+EventOverhead+1 > b.maxBytes && !a.widenLocked(b) {
		a.sealLocked(r)
	}
	a.mu.Unlock()
	return seq, added
}

// widenLocked lets the open batch b take another share, at most up to
// WithMaxBatchBytes, if the open batches are charged for less than half of
// WithBufferLimit and the budget has the room; it reports whether b
// widened.
func (a *accumulator) widenLocked(b *batch) bool {
	more := min(a.shareLocked(), a.cfg.maxBytes-b.maxBytes)
	if more > 0 {
		more = min(more, a.cfg.bufferLimit/2-a.chargedLocked())
	}
	if more <= 0 || !a.mem.charge(more) {
		return false
	}
	b.maxBytes += more
	a.roomLocked()
	return true
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

// openLocked makes b the open batch of r, taking at most share bytes, and
// starts its age.
func (a *accumulator) openLocked(r *route, b *batch, share int) {
	a.narrowLocked(share)
	a.seq++
	b.seq, b.route, b.maxBytes = a.seq, r.key, share
	r.open = b
	d := flushDelay(a.cfg.flushInterval)
	r.due = time.Now().Add(d)
	r.timer.Reset(d)
	a.roomLocked()
}

// chargedLocked returns the log data the open batches are charged for:
// the most each takes.
func (a *accumulator) chargedLocked() int {
	n := 0
	if a.only != nil && a.only.open != nil {
		n = a.only.open.maxBytes
	}
	for _, r := range a.routes {
		if r.open != nil {
			n += r.open.maxBytes
		}
	}
	return n
}

// narrowLocked makes room in half the buffer for a batch opening with
// share: while the open batches would take more, the most widened one is
// sealed, fuller than its share. Shares alone fit: WithMaxStreams of them
// are half the buffer.
func (a *accumulator) narrowLocked(share int) {
	for a.chargedLocked()+share > a.cfg.bufferLimit/2 {
		var widest *route
		for _, r := range a.routes {
			if r.open != nil && r.open.maxBytes > share && (widest == nil || r.open.maxBytes > widest.open.maxBytes) {
				widest = r
			}
		}
		if widest == nil {
			return
		}
		a.sealLocked(widest)
	}
}

// roomLocked notes that the budget had room for an open batch: an overflow
// episode, if any, is over, and its sum goes to the handler.
func (a *accumulator) roomLocked() {
	if a.full {
		a.full = false
		a.rep.end(reportOverflow, "")
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

// seal seals every open batch, and returns the seq of the last batch
// opened: every batch up to it is then with the dispatcher or settled.
func (a *accumulator) seal() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.only != nil {
		a.sealLocked(a.only)
	}
	for _, r := range a.routes {
		a.sealLocked(r)
	}
	return a.seq
}

// sealLocked sorts the open batch of r, gives it its targets and hands it
// to the dispatcher. Sorting here, once, leaves the batch unchanged from
// then on, so that a deadline's handover may read it while a put does.
func (a *accumulator) sealLocked(r *route) {
	b := r.open
	if b == nil {
		return
	}
	r.open = nil
	r.timer.Stop()
	a.mem.sealed(b)
	b.sort()
	a.tg.assign(b)
	a.next.enqueue(b)
}

// close refuses further events, and wakes writers waiting for room so
// that they see it. The open batches stay for the Sync that follows.
func (a *accumulator) close() {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	a.mem.wake()
}

// stop ends the routes' timers, once nothing can open a batch.
func (a *accumulator) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.only != nil {
		a.only.timer.Stop()
	}
	for _, r := range a.routes {
		r.timer.Stop()
	}
}

// flushDelay returns the age at which a batch is sent: d, give or take a
// random tenth, so that a fleet started together does not put in
// lockstep.
func flushDelay(d time.Duration) time.Duration {
	return d - d/10 + rand.N(d/5+1)
}

// flushAged runs on the timer of route r.
func (a *accumulator) flushAged(r *route) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.open == nil {
		return // sealed meanwhile, or its route gave up its place
	}
	// A timer that fired just as a new batch opened: wait out its own age.
	if left := time.Until(r.due); left > a.cfg.flushInterval/10 {
		r.timer.Reset(left)
		return
	}
	a.sealLocked(r)
}
