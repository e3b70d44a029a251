package cwzap

import (
	"testing"
	"time"
)

// The age flush is jittered by a tenth either way, and not the same for
// every batch.
func TestFlushDelayJitter(t *testing.T) {
	const d = 5 * time.Second
	seen := map[time.Duration]bool{}
	for range 1000 {
		got := flushDelay(d)
		if got < d-d/10 || got > d+d/10 {
			t.Fatalf("flushDelay(%v) = %v, want within a tenth of it", d, got)
		}
		seen[got] = true
	}
	if len(seen) < 100 {
		t.Errorf("%d distinct delays in 1000 draws, want them spread", len(seen))
	}
}
