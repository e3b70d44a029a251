package cwzaplambda

import (
	"testing"
	"time"
)

// Without throttling every invocation flushes; after a throttled flush,
// invocations that come often defer, each for at most the deferral from
// the oldest unflushed one; sparse invocations flush; clean flushes bring
// the deferral back to none.
func TestPacer(t *testing.T) {
	p := pacer{max: time.Second}
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

	for ms := 0; ms < 500; ms += 100 {
		if !p.flushNow(at(ms)) {
			t.Fatalf("at %d ms: deferred without throttling", ms)
		}
		p.flushed(0)
	}
	p.flushed(3) // a flush retried three times: throttled
	if p.deferFor != p.max {
		t.Fatalf("deferral %v after a throttled flush, want the maximum %v", p.deferFor, p.max)
	}
	p.flushed(3) // not throttled: shrinks by at most a quarter
	if p.deferFor > p.max || p.deferFor < p.max-p.max/4 {
		t.Fatalf("deferral %v after a clean flush, want between %v and %v", p.deferFor, p.max-p.max/4, p.max)
	}
	p.flushed(5) // throttled again
	// Invocations every 100 ms: deferred until 1 s after the first
	// unflushed one.
	var flushedAt []int
	for ms := 500; ms <= 1500; ms += 100 {
		if p.flushNow(at(ms)) {
			flushedAt = append(flushedAt, ms)
			p.flushed(5)
		}
	}
	if len(flushedAt) == 0 || flushedAt[0] != 1500 {
		t.Errorf("flushed at %v ms, want first at 1500 (1 s after the first deferred invocation at 500)", flushedAt)
	}
	if p.deferFor > p.max {
		t.Errorf("deferral %v above the maximum %v", p.deferFor, p.max)
	}
	// Sparse invocations: the next one may be too late, so flush.
	p.gap = 0
	p.lastEnd = time.Time{}
	p.flushNow(at(10_000))
	if !p.flushNow(at(12_000)) {
		t.Errorf("an invocation 2 s after the previous one deferred under a deferral of %v", p.deferFor)
	}
	// Clean flushes shrink the deferral to none.
	for range 400 {
		p.flushed(p.retries)
	}
	if p.deferFor != 0 {
		t.Errorf("deferral %v after clean flushes, want none", p.deferFor)
	}
}

// WithMaxDeferral(0) never defers.
func TestPacerOff(t *testing.T) {
	p := pacer{max: 0}
	p.flushed(7)
	if !p.flushNow(time.Now()) || p.deferFor != 0 {
		t.Errorf("deferred with WithMaxDeferral(0)")
	}
}
