package cwzaplambda

import (
	"testing"
	"time"
)

// Without throttling every invocation flushes; after a throttled flush,
// invocations that come often defer, each for at most the deferral from
// the oldest unsettled one, and then flush; sparse invocations flush; clean
// flushes bring the deferral back to none.
func TestPacer(t *testing.T) {
	p := pacer{max: time.Second}
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

	for ms := 0; ms < 500; ms += 100 {
		if s := p.next(at(ms)); s != stepFlush {
			t.Fatalf("at %d ms: step %d without throttling, want a flush", ms, s)
		}
		p.flushed(0, true)
	}
	p.flushed(3, true) // a flush retried three times: throttled
	if p.deferFor != p.max {
		t.Fatalf("deferral %v after a throttled flush, want the maximum %v", p.deferFor, p.max)
	}
	p.flushed(3, true) // not throttled: shrinks by at most a quarter
	if p.deferFor > p.max || p.deferFor < p.max-p.max/4 {
		t.Fatalf("deferral %v after a clean flush, want between %v and %v", p.deferFor, p.max-p.max/4, p.max)
	}
	p.flushed(5, true) // throttled again
	// Invocations every 100 ms: deferred until 1 s after the first
	// unsettled one, which flushes.
	steps := map[int]step{}
	for ms := 500; ms <= 1500; ms += 100 {
		if s := p.next(at(ms)); s != stepDefer {
			steps[ms] = s
			p.flushed(5, true)
		}
	}
	if len(steps) != 1 || steps[1500] != stepFlush {
		t.Errorf("steps %v (ms: step), want only a flush at 1500 (1 s after the first deferred invocation at 500)", steps)
	}
	if p.deferFor > p.max {
		t.Errorf("deferral %v above the maximum %v", p.deferFor, p.max)
	}
	// Sparse invocations flush, whatever the deferral.
	p.gap = 0
	p.lastEnd = time.Time{}
	p.next(at(10_000))
	p.flushed(5, true)
	if s := p.next(at(12_000)); s != stepFlush {
		t.Errorf("an invocation 2 s after the previous one: step %d under a deferral of %v, want a flush", s, p.deferFor)
	}
	// One that follows a flush that did not finish, past the bound: for
	// good.
	p.flushed(5, false)
	if s := p.next(at(14_000)); s != stepSync {
		t.Errorf("an invocation 2 s after an unfinished flush: step %d under a bound of %v, want a sync", s, p.max)
	}
	p.flushed(5, true)
	// Clean flushes shrink the deferral to none.
	for range 400 {
		p.flushed(p.retries, true)
	}
	if p.deferFor != 0 {
		t.Errorf("deferral %v after clean flushes, want none", p.deferFor)
	}
}

// A flush that did not finish leaves its invocation unsettled: the
// deferral grows, later invocations defer, and the first one WithMaxDeferral
// after it syncs, for good.
func TestPacerUnfinishedFlush(t *testing.T) {
	p := pacer{max: time.Second}
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

	if s := p.next(at(0)); s != stepFlush {
		t.Fatalf("first invocation: step %d, want a flush", s)
	}
	p.flushed(0, false) // no retry, but not finished by its deadline
	if p.deferFor != p.max || !p.since.Equal(at(0)) {
		t.Fatalf("after an unfinished flush: deferral %v, oldest unsettled %v; want %v and %v", p.deferFor, p.since, p.max, at(0))
	}
	var last step
	for ms := 200; ms <= 1000; ms += 200 {
		last = p.next(at(ms))
		if ms < 1000 && last != stepDefer {
			t.Fatalf("at %d ms: step %d, want a deferral within the bound", ms, last)
		}
	}
	if last != stepSync {
		t.Fatalf("at the bound: step %d, want a sync", last)
	}
	p.flushed(0, true)
	if !p.since.IsZero() {
		t.Errorf("oldest unsettled %v after a sync, want none", p.since)
	}
}

// WithMaxDeferral(0) never defers, nor leaves anything pending.
func TestPacerOff(t *testing.T) {
	p := pacer{max: 0}
	p.flushed(7, false)
	if p.next(time.Now()) != stepSync || p.deferFor != 0 {
		t.Errorf("deferred with WithMaxDeferral(0)")
	}
}
