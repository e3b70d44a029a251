//go:build !race

package cwzap_test

import (
	"bytes"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
)

// The write path copies each event into the batch arena and allocates
// nothing per event once the arenas are warm.
func TestSyncerWriteEntryAllocs(t *testing.T) {
	f := newFixture(t)
	line := bytes.Repeat([]byte(`{"timestamp":"2026-11-25 03:21:36,000","level":"INFO","message":"m \"q\""}`), 3)
	// Warm up: fill and send a few batches so that recycled arenas exist.
	for range 3 * cwzap.MaxBatchEvents {
		f.syncer.WriteEntry(time.Now(), line)
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if got := testing.AllocsPerRun(2000, func() { f.syncer.WriteEntry(now, line) }); got != 0 {
		t.Errorf("WriteEntry: %v allocations per event, want 0", got)
	}
}

func TestLoggerToSyncerAllocs(t *testing.T) {
	fields := []zap.Field{
		zap.String("a", "one"), zap.Int("b", 2), zap.Bool("c", true), zap.Float64("d", 4.5),
		zap.Duration("e", time.Second), zap.String("f", "six"), zap.Int64("g", 7),
		zap.Uint("h", 8), zap.String("i", "nine"), zap.Int("j", 10),
	}
	for _, tt := range []struct {
		name string
		opts []cwzap.CoreOption
	}{
		{"default", nil},
		{"WithSequenceKey", []cwzap.CoreOption{cwzap.WithSequenceKey()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel, tt.opts...))
			for range 2 * cwzap.MaxBatchEvents {
				logger.Info("warm", fields...)
			}
			logger.Sync()
			if got := testing.AllocsPerRun(2000, func() { logger.Info("hello", fields...) }); got != 0 {
				t.Errorf("logger.Info: %v allocations per entry, want 0", got)
			}
		})
	}
}

// A dated stream name costs nothing per event: the day is a division.
func TestDatedStreamWriteEntryAllocs(t *testing.T) {
	f := templated(t, "/test/app", "s-{date}")
	line := []byte(`{"level":"INFO","message":"m"}`)
	now := time.Now()
	for range 3 * cwzap.MaxBatchEvents {
		f.syncer.WriteEntry(now, line)
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := testing.AllocsPerRun(2000, func() { f.syncer.WriteEntry(now, line) }); got != 0 {
		t.Errorf("WriteEntry to s-{date}: %v allocations per event, want 0", got)
	}
}

// A routed name costs nothing per entry once its route is open: the route
// is built on the stack and looked up without a copy.
func TestRoutedLoggerAllocs(t *testing.T) {
	f := templated(t, "/test/app", "{logger}-{field:tenant}")
	logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel)).Named("api")
	acme := logger.With(zap.String("tenant", "acme"))
	for range 2 * cwzap.MaxBatchEvents {
		acme.Info("warm", zap.Int("n", 1))
		logger.Info("warm", zap.String("tenant", "beta"))
	}
	logger.Sync()
	n, beta := []zap.Field{zap.Int("n", 1)}, []zap.Field{zap.String("tenant", "beta")}
	if got := testing.AllocsPerRun(2000, func() {
		acme.Info("hello", n...)
		logger.Info("hello", beta...)
	}); got != 0 {
		t.Errorf("logger.Info to a routed Syncer: %v allocations per two entries, want 0", got)
	}
}
