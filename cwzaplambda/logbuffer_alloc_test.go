//go:build !race

package cwzaplambda

import (
	"testing"

	"github.com/cwzap/cwzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Holding an entry allocates nothing once the room is in use. (The
// logger has no zap.AddCaller: zap's caller capture allocates by itself.)
func TestLogBufferHoldsWithoutAllocating(t *testing.T) {
	b := NewLogBuffer(zapcore.DebugLevel, 4096)
	ws := newTestSyncer(t, newTestServer(t, 0))
	r, gen := b.open()
	log := b.logger(zap.New(cwzap.NewCore(ws, zap.InfoLevel)), ws, r, gen).With(zapcore.Field{Key: "k", Type: zapcore.StringType, String: "v"})
	log.Debug("warm") // the first entry fills the encoder's pools
	if n := testing.AllocsPerRun(1000, func() { log.Debug("held") }); n != 0 {
		t.Errorf("%v allocations per held entry, want 0", n)
	}
	if st := b.Stats(); st.Evicted == 0 {
		t.Errorf("stats %+v: 1001 entries in 4 KiB must have evicted some", st)
	}
}
