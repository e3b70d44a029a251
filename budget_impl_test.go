package cwzap

import (
	"bytes"
	"testing"
)

// fill adds events of obj (a size each, as the service counts it) to b
// until b is full, growing it as the accumulator does, and returns how
// many times its arena was made anew.
func fill(t *testing.T, m *budget, b *batch, obj []byte, size int) (grown int) {
	t.Helper()
	ev := &event{ts: 1, obj: obj, size: size}
	for {
		if !b.fits(ev, m.maxEvents) {
			if !b.fitsLimits(ev, m.maxEvents) {
				return grown
			}
			before := cap(b.arena)
			if !m.grow(b, len(obj)) {
				return grown
			}
			if cap(b.arena) != before {
				grown++
			}
		}
		b.add(ev)
	}
}

// A busy Syncer's arenas are made at the size a full batch needs: the
// first grows from small once or twice, not by doubling all the way, and
// the next ones, as large as the last and a sixteenth, hold a full batch
// of slightly larger events without growing. Every growth leaves the old
// arena as garbage, which, in an outage, is what makes the heap outgrow
// the buffer.
func TestArenasSizedForAFullBatch(t *testing.T) {
	const maxBytes = MaxBatchBytes
	m := newBudget(64<<20, maxBytes+maxBytes/2, MaxBatchEvents)
	obj := bytes.Repeat([]byte("x"), 360)
	b, _ := m.take(len(obj), maxBytes, false)
	if got := fill(t, m, b, obj, 302); got > 2 {
		t.Errorf("the first batch's arena was made anew %d times, want at most 2 (from %d KiB to %d KiB)", got, _firstArena>>10, cap(b.arena)>>10)
	}
	if b.size+302+EventOverhead <= maxBytes {
		t.Fatalf("the first batch holds %d bytes of log data, want it full (%d)", b.size, maxBytes)
	}
	m.sealed(b)
	bigger := bytes.Repeat([]byte("x"), 375) // 4 % more arena a byte of log data
	b2, _ := m.take(len(bigger), maxBytes, false)
	if got := fill(t, m, b2, bigger, 302); got != 0 {
		t.Errorf("the second batch's arena was made anew %d times, want 0: made %d KiB for a last batch of %d KiB", got, cap(b2.arena)>>10, len(b.arena)>>10)
	}
}
