//go:build !race

package cwzap_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/cwzap/cwzap"
)

// With a spool, an event costs a copy into the spool's buffer and, when
// its writer is idle, starting it: still no allocation.
func TestSpooledWriteEntryAllocs(t *testing.T) {
	f := newFixture(t, cwzap.WithSpool(t.TempDir()))
	line := bytes.Repeat([]byte(`{"timestamp":"2026-11-25 03:21:36,000","level":"INFO","message":"m \"q\""}`), 3)
	for range 3 * cwzap.MaxBatchEvents {
		f.syncer.WriteEntry(time.Now(), line)
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if got := testing.AllocsPerRun(2000, func() { f.syncer.WriteEntry(now, line) }); got != 0 {
		t.Errorf("WriteEntry with a spool: %v allocations per event, want 0", got)
	}
}
