//go:build !race

package cwzap_test

import (
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// In an outage the buffer fills and, under OverflowFallback, every entry
// goes to the fallback writer, its caller waiting until the writer has
// it. That path allocates nothing per entry either: garbage made there
// would grow the heap, through a long outage, to twice what the full
// buffer holds before the collector ran.
func TestOverflowToFallbackAllocs(t *testing.T) {
	f := newFixture(t, cwzap.WithBufferLimit(1), cwzap.WithSyncTimeout(time.Second)) // two batches
	f.createStream(t)
	f.srv.SetFaults(cwlogstest.Faults{Latency: time.Hour}) // puts hang: nothing settles, nothing retries
	logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel))
	fields := []zap.Field{zap.String("user", "alice"), zap.Int("status", 200), zap.String("pad", string(make([]byte, 200)))}
	for f.syncer.Stats().Fallback < 1000 {
		logger.Info("overflowing", fields...)
	}
	if got := testing.AllocsPerRun(2000, func() { logger.Info("overflowing", fields...) }); got != 0 {
		t.Errorf("logger.Info into a full buffer: %v allocations per entry, want 0", got)
	}
	if st := f.syncer.Stats(); st.Delivered != 0 || st.Fallback < 3000 {
		t.Errorf("stats %+v: want the entries in the fallback writer, none delivered", st)
	}
}
