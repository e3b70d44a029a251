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
// its deadline goes to the fallback writer. So once puts are being
// throttled (the Syncer counted retries during a flush), the extension
// lets the environment freeze without flushing, and the next invocation's
// flush takes both invocations' entries in one put. It does so only while
// invocations come often (their recent spacing is at most half the
// deferral), and the deferral is bounded: once the oldest unflushed
// invocation ended WithMaxDeferral ago, the next one flushes. A throttled
// flush sets the deferral to WithMaxDeferral; each flush that is not
// throttled shrinks it by a random part, an eighth on average (so that
// instances throttled together do not return together), down to none
// below 250 ms.
//
// The risk: entries left unflushed in a frozen environment are delivered
// by the next invocation's flush, or by the SIGTERM flush when Lambda
// shuts the environment down; if the environment dies without SIGTERM
// they are lost. Since the extension defers only once puts are throttled,
// where flushing would mostly end in the fallback writer, that risk
// replaces a likely fallback.

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

// A pacer decides after each invocation whether the extension flushes now.
type pacer struct {
	mu       sync.Mutex    // guards everything below
	max      time.Duration // WithMaxDeferral; 0 never defers
	deferFor time.Duration // current deferral; 0 while puts are not throttled
	since    time.Time     // end of the oldest unflushed invocation; zero when none
	lastEnd  time.Time     // end of the previous invocation
	gap      time.Duration // recent spacing of invocations (moving average)
	retries  uint64        // the Syncer's Retries after the last flush
}

// flushNow tells whether the invocation that ended at now must be flushed
// now; if not, its entries wait for a later invocation's flush.
func (p *pacer) flushNow(now time.Time) bool {
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
	if p.deferFor == 0 || p.gap > p.deferFor/2 {
		return true
	}
	if p.since.IsZero() {
		p.since = now
	}
	return now.Sub(p.since) >= p.deferFor
}

// flushed records a flush and the Syncer's Retries after it: retries
// during it mean puts are throttled (or failing), and the deferral grows.
func (p *pacer) flushed(retries uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	throttled := retries > p.retries
	p.retries = retries
	p.since = time.Time{}
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
