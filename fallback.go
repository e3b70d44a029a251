package cwzap

import (
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A fallback owns the fallback writer: it takes every event that does not
// reach CloudWatch (failed for good, rejected, still pending at a sync
// deadline, written after Close, or overflowing under OverflowFallback),
// one line each, and writes them in whole lines, never part of one. The
// Syncer's own goroutines (a put that failed, a deadline's handover) write
// what they queue themselves, a buffer at a time, when the writer is free;
// a caller's line is written by a goroutine of the fallback's, started
// when lines wait and ended when none do.
//
// So a writer that blocks (stderr piped into a reader that stopped) never
// holds a caller longer than the sync deadline: lines wait in a bounded
// buffer, and a line that finds it full waits at most that long for room;
// then it is not taken, and the ledger counts it as dropped. A caller
// whose own line it is (line) waits, as long, until it is written, and
// not at all while the writer is known to be stuck.
//
// The ledger calls line and events; the end of work calls idle and
// discard. mu guards the fields below it; w is called without it.
type fallback struct {
	w       io.Writer
	timeout time.Duration // the longest a line waits for room: WithSyncTimeout

	written atomic.Uint64 // events the writer has taken (Write returned)
	cost    atomic.Int64  // ns an event took in the last handover of _costSample events or more

	mu         rankedMutex
	pend       []byte        // lines waiting for the writer
	pendN      int           // events in pend
	queued     uint64        // events ever queued: a line's ticket
	stuck      bool          // a wait for the writer ran out; cleared by the next write
	waiting    []*writerWait // callers waiting for room or for a write, woken by moved
	spareWaits []*writerWait // waits done, kept for the next ones
	spare      []byte        // the writing goroutine's buffer, swapped with pend
	writing    bool          // a goroutine is writing: the drain or a Syncer's own
	idleCh     chan struct{} // closed when nothing waits or is being written
	wg         sync.WaitGroup
	drainFn    func() // f.drain, made once: a go statement on a method value allocates it
}

// A writerWait is a caller waiting for the writer, with its own channel and
// timer, kept for the next wait: a Syncer overflowing in an outage sends
// every entry to the fallback writer, and a wait that allocated would
// fill the heap with garbage while the buffer holds its limit. They are
// kept by their fallback rather than in a sync.Pool: a timer belongs to
// the testing/synctest bubble it was made in, if any, as a Syncer does.
type writerWait struct {
	ch chan struct{} // buffered: moved never blocks
	t  *time.Timer
}

// _fallbackBuffer bounds the lines waiting for the writer; a single line
// longer than this still goes, alone.
const _fallbackBuffer = 32 << 10

// _costSample is the fewest events whose handover times the writer (cost),
// so that a sync deadline leaves room to write what is pending.
const _costSample = 100

func newFallback(w io.Writer, timeout time.Duration) *fallback {
	f := &fallback{w: w, timeout: timeout, mu: rankedMutex{rank: rankFallback}}
	f.drainFn = f.drain
	return f
}

// perEvent returns what handing one event to the writer took in the last
// large handover, unescaping included; 0 before the first.
func (f *fallback) perEvent() time.Duration { return time.Duration(f.cost.Load()) }

// line writes one event, as a line, for a caller: it queues the line and
// waits until the writer has taken it, both within the sync deadline. It
// reports whether the line was taken; a line queued but not yet written
// by the deadline is written later.
func (f *fallback) line(p []byte) bool {
	var deadline time.Time
	f.mu.Lock()
	defer f.mu.Unlock()
	for !f.fitsLocked(len(p) + 1) {
		if f.stuck || !f.waitLocked(&deadline) {
			f.stuck = true
			return false
		}
	}
	f.pend = append(append(f.pend, p...), '\n')
	f.pendN++
	f.queued++
	if !f.writing {
		f.writing = true
		f.wg.Add(1)
		go f.drainFn()
	}
	for ticket := f.queued; !f.stuck && f.written.Load() < ticket; {
		if !f.waitLocked(&deadline) {
			f.stuck = true
		}
	}
	return true
}

// events writes events [lo, hi) of b, unescaped, a line each, for one of
// the Syncer's goroutines, and returns how many it took: when one finds no
// room by the deadline, neither it nor those after it are taken. The
// caller writes a full buffer itself when the writer is free, so that a
// handover of many events needs no other goroutine to be scheduled.
func (f *fallback) events(b *batch, lo, hi int) int {
	start := time.Now()
	n := f.queueEvents(b, lo, hi)
	if n >= _costSample {
		f.cost.Store(int64(time.Since(start)) / int64(n))
	}
	return n
}

func (f *fallback) queueEvents(b *batch, lo, hi int) int {
	var deadline time.Time
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, e := range b.slots[lo:hi] {
		obj := b.object(e)
		for !f.fitsLocked(len(obj)) {
			if !f.writing {
				f.writeLocked()
				continue
			}
			if f.stuck || !f.waitLocked(&deadline) {
				f.stuck = true
				return i
			}
		}
		f.pend = append(appendMessage(f.pend, obj), '\n')
		f.pendN++
		f.queued++
	}
	for len(f.pend) > 0 && !f.writing {
		f.writeLocked()
	}
	return hi - lo
}

// fitsLocked reports whether a line of about n bytes may join pend.
func (f *fallback) fitsLocked(n int) bool {
	return len(f.pend) == 0 || len(f.pend)+n <= _fallbackBuffer
}

// waitLocked waits, with mu released, until the writer moves (takes pend
// or finishes a write), or the deadline it sets on first use passes; it
// reports whether the writer moved. The caller checks again what it
// waits for.
func (f *fallback) waitLocked(deadline *time.Time) bool {
	if deadline.IsZero() {
		*deadline = time.Now().Add(f.timeout)
	}
	wait := time.Until(*deadline)
	if wait <= 0 {
		return false
	}
	var w *writerWait
	if n := len(f.spareWaits); n > 0 {
		w, f.spareWaits = f.spareWaits[n-1], f.spareWaits[:n-1]
	} else {
		w = &writerWait{ch: make(chan struct{}, 1)}
	}
	if w.t == nil {
		w.t = time.NewTimer(time.Hour)
		w.t.Stop()
	}
	f.waiting = append(f.waiting, w)
	f.mu.Unlock()
	outside("waiting for the fallback writer")
	w.t.Reset(wait)
	ok := true
	select {
	case <-w.ch:
	case <-w.t.C:
		ok = false
	}
	if !w.t.Stop() && ok {
		// It fired as the writer woke us. Under the timers of a program
		// whose main module predates Go 1.23 (asynctimerchan=1), its tick
		// may still be on its way: the next wait gets a new timer.
		w.t = nil
	}
	f.mu.Lock()
	if i := slices.Index(f.waiting, w); i >= 0 {
		f.waiting = slices.Delete(f.waiting, i, i+1) // timed out, not woken
	}
	select { // woken as it timed out
	case <-w.ch:
	default:
	}
	f.spareWaits = append(f.spareWaits, w)
	return ok
}

// movedLocked wakes every waiting caller.
func (f *fallback) movedLocked() {
	for i, w := range f.waiting {
		select {
		case w.ch <- struct{}{}: // empty: a waiter is woken once
		default:
		}
		f.waiting[i] = nil
	}
	f.waiting = f.waiting[:0]
}

// drain writes pend for callers' lines until it is empty.
func (f *fallback) drain() {
	defer f.wg.Done()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writing = false // writeLocked takes it back
	for len(f.pend) > 0 && !f.writing {
		f.writeLocked()
	}
	if len(f.pend) == 0 && !f.writing {
		wake(&f.idleCh) // discard may have emptied pend before this ran
	}
}

// writeLocked writes pend, with mu released while the writer has it, and
// wakes whoever waits for room, a write, or the fallback to be idle. The
// caller holds mu and f.writing is false.
func (f *fallback) writeLocked() {
	f.writing = true
	buf, n := f.pend, f.pendN
	f.pend, f.pendN, f.spare = f.spare[:0], 0, nil
	f.movedLocked() // room
	f.mu.Unlock()

	outside("the fallback writer")
	f.w.Write(buf)

	f.mu.Lock()
	f.written.Add(uint64(n))
	f.stuck = false
	f.writing = false
	f.movedLocked() // written
	if cap(buf) <= 2*_fallbackBuffer {
		f.spare = buf // keeps a huge line's buffer from staying
	}
	if len(f.pend) == 0 {
		wake(&f.idleCh)
	}
}

// idle returns a channel closed once no line waits or is being written.
func (f *fallback) idle() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.writing && len(f.pend) == 0 {
		return _closed
	}
	if f.idleCh == nil {
		f.idleCh = make(chan struct{})
	}
	return f.idleCh
}

// wake closes *ch, if anyone waits on it, for the next wait to make anew.
func wake(ch *chan struct{}) {
	if *ch != nil {
		close(*ch)
		*ch = nil
	}
}

var _closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// discard gives up on the lines still waiting for a stuck writer, at the
// end of Close, and returns how many there were: the writer will not see
// them.
func (f *fallback) discard() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.pendN
	f.pend, f.pendN = f.pend[:0], 0
	f.written.Add(uint64(n)) // their tickets are settled: later lines need not wait for them
	f.movedLocked()
	if !f.writing {
		wake(&f.idleCh)
	}
	return n
}
