package bench

import (
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/cwzap/cwzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// tenFields are ten scalar fields, the same for every contender.
func tenFields() []zap.Field {
	return []zap.Field{
		zap.String("user", "alice"),
		zap.String("path", "/api/v1/items"),
		zap.Int("status", 200),
		zap.Int64("bytes", 123456),
		zap.Float64("ratio", 0.75),
		zap.Bool("cached", true),
		zap.Duration("elapsed", 1500*time.Microsecond),
		zap.Time("at", time.Date(2024, 3, 5, 4, 7, 8, 9, time.UTC)),
		zap.Uint32("shard", 7),
		zap.String("region", "eu-west-1"),
	}
}

func discard() zapcore.WriteSyncer { return zapcore.AddSync(io.Discard) }

var contenders = []struct {
	name string
	core func() zapcore.Core
}{
	{"cwzap", func() zapcore.Core { return cwzap.NewCore(discard(), zap.InfoLevel) }},
	{"cwzap-text", func() zapcore.Core {
		return cwzap.NewCore(discard(), zap.InfoLevel, cwzap.WithFormat(cwzap.FormatStandard), cwzap.WithFunction("fn"))
	}},
	{"zap", func() zapcore.Core {
		return zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), discard(), zap.InfoLevel)
	}},
}

// BenchmarkLogger and BenchmarkCore write the ten fields through each
// contender, from one goroutine (c.name/serial) and from _workers at once
// (c.name/parallel). The two are leaves of a parent that does no work, so
// that -bench 'X/zap/parallel' runs the parallel case alone.
func BenchmarkLogger(b *testing.B) {
	fields := tenFields()
	for _, c := range contenders {
		b.Run(c.name, func(b *testing.B) {
			b.Run("serial", func(b *testing.B) {
				logger := zap.New(c.core())
				b.ReportAllocs()
				for b.Loop() {
					logger.Info("request done", fields...)
				}
			})
			b.Run("parallel", func(b *testing.B) {
				logger := zap.New(c.core())
				b.ReportAllocs()
				setWorkers(b)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						logger.Info("request done", fields...)
					}
				})
			})
		})
	}
}

func BenchmarkCore(b *testing.B) {
	fields := tenFields()
	ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: time.Now(), Message: "request done"}
	for _, c := range contenders {
		b.Run(c.name, func(b *testing.B) {
			b.Run("serial", func(b *testing.B) {
				core := c.core()
				b.ReportAllocs()
				for b.Loop() {
					if err := core.Write(ent, fields); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("parallel", func(b *testing.B) {
				core := c.core()
				b.ReportAllocs()
				setWorkers(b)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						_ = core.Write(ent, fields)
					}
				})
			})
		})
	}
}

// setWorkers makes b.RunParallel run _workers goroutines (at least one per
// P), as the Syncer's benchmarks log from _workers.
func setWorkers(b *testing.B) {
	b.SetParallelism(max(1, _workers/runtime.GOMAXPROCS(0)))
}
