package cwzaplambda

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Quota-awareness. Every account shares one PutLogEvents quota (5,000
// calls per second per Region by default), and under Wrap a fleet makes
// one put per invocation: at a few invocations per second per instance a
// large fleet is throttled, and what a throttled flush cannot deliver by
// its deadline would go to the fallback writer. So the extension's flush
// after an invocation takes one of three steps:
//
//   - defer: once puts are being throttled (the Syncer counted retries
//     during a flush, or a flush did not finish), let the environment
//     freeze without flushing, and let a later invocation's flush take
//     both invocations' entries in one put. Only while invocations come
//     often (their recent spacing is at most half the deferral). A
//     throttled flush sets the deferral to WithMaxDeferral; each flush
//     that is not throttled shrinks it by a random part, an eighth on
//     average (so that instances throttled together do not return
//     together), down to none below 250 ms.
//   - flush: Syncer.Flush until WithMargin before the deadline. What it
//     has not delivered by then stays pending in the Syncer, its puts
//     still retrying, for a later flush: not the fallback writer.
//   - sync: SyncContext by the deadline, which hands what it cannot
//     deliver to the fallback writer. Once the oldest unsettled invocation
//     ended WithMaxDeferral ago (the bound) and a flush since then did not
//     finish; and with deferral off. So a deferral ends in a flush, not a
//     sync: entries meet the fallback writer only after a flush of theirs
//     failed and the bound passed.
//
// The risk: entries left in a frozen environment are delivered by a later
// invocation's flush, or by the SIGTERM flush when Lambda shuts the
// environment down; if the environment dies without SIGTERM they are
// lost. The extension leaves entries behind only where puts are
// throttled or failing, where flushing them for good would mostly end in
// the fallback writer.

// Bounds of the deferral.
const (
	// DefaultMaxDeferral is how long the entries of an invocation may
	// wait for a later invocation's flush under throttling
	// (WithMaxDeferral).
	DefaultMaxDeferral = 4 * time.Second
	// _minDeferral is the first deferral after a throttled flush, and the
	// one below which it stops.
	_minDeferral = 250 * time.Millisecond
)

// A step is what the extension does after an invocation.
type step int

const (
	stepDefer step = iota // freeze without flushing
	stepFlush             // Syncer.Flush: what is not delivered in time stays pending
	stepSync              // SyncContext: delivered, or to the fallback writer
)

// A pacer decides after each invocation how the extension flushes.
type pacer struct {
	mu       sync.Mutex    // guards everything below
	max      time.Duration // WithMaxDeferral; 0 never defers
	deferFor time.Duration // current deferral; 0 while puts are not throttled
	since    time.Time     // end of the oldest unsettled invocation; zero when none
	tried    bool          // a flush since then did not finish: what it left is late
	lastEnd  time.Time     // end of the previous invocation
	gap      time.Duration // recent spacing of invocations (moving average)
	retries  uint64        // the Syncer's Retries after the last flush
}

// next tells what to do about the invocation that ended at now.
func (p *pacer) next(now time.Time) step {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.lastEnd.IsZero() {
		gap := now.Sub(p.lastEnd)
		if p.gap == 0 {
			p.gap = gap
		} else {
			p.gap = (3*p.gap + gap) / 4
		}
	}
	p.lastEnd = now
	if p.since.IsZero() {
		p.since = now
	}
	waited := now.Sub(p.since)
	switch {
	case p.max <= 0 || waited >= p.max && p.tried:
		return stepSync
	case p.deferFor > 0 && p.gap <= p.deferFor/2 && waited < p.deferFor:
		return stepDefer
	}
	return stepFlush
}

// flushed records a flush, the Syncer's Retries after it, and whether it
// settled everything written before it. Retries during it, or a flush
// that did not finish, mean puts are throttled (or failing), and the
// deferral grows.
func (p *pacer) flushed(retries uint64, settled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	throttled := retries > p.retries || !settled
	p.retries = retries
	if settled {
		p.since, p.tried = time.Time{}, false
	} else {
		p.tried = true
	}
	switch {
	case p.max <= 0:
		p.deferFor = 0
	case throttled:
		// The whole bound at once: the fleet's puts fall well below
		// the quota before the next round of flushes.
		p.deferFor = p.max
	default:
		// By a random part, an eighth on average, so that instances
		// throttled together do not all come back together.
		p.deferFor -= time.Duration(rand.Int64N(int64(p.deferFor/4) + 1))
		if p.deferFor < _minDeferral {
			p.deferFor = 0
		}
	}
}
