//go:build !race

package cwzap

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// tenScalars are the benchmark's ten scalar fields.
func tenScalars() []zapcore.Field {
	return []zapcore.Field{
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

func wantAllocs(t *testing.T, name string, want float64, f func()) {
	t.Helper()
	f() // warm the pools
	if got := testing.AllocsPerRun(200, f); got > want {
		t.Errorf("%s: %v allocations per run, want at most %v", name, got, want)
	}
}

func TestAllocsCoreWrite(t *testing.T) {
	fields := tenScalars()
	tests := []struct {
		name string
		opts []CoreOption
	}{
		{"JSON layout", nil},
		{"text #standard", []CoreOption{WithFormat(FormatStandard), WithFunction("fn")}},
		{"JSON layout with seq", []CoreOption{WithSequenceKey()}},
		{"text #standard with seq", []CoreOption{WithFormat(FormatStandard), WithSequenceKey()}},
		{"JSON layout with trace context, no context field", []CoreOption{WithTraceContext(testTrace)}},
		{"text #standard with trace context, no context field", []CoreOption{WithFormat(FormatStandard), WithTraceContext(testTrace)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := NewCore(zapcore.AddSync(io.Discard), zap.InfoLevel, tt.opts...)
			ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: time.Now(), Message: "request done",
				Caller: zapcore.EntryCaller{Defined: true, Function: "main.handler", Line: 3}}
			wantAllocs(t, tt.name, 0, func() {
				if err := core.Write(ent, fields); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

func TestAllocsWithContext(t *testing.T) {
	fields := tenScalars()
	core := NewCore(zapcore.AddSync(io.Discard), zap.InfoLevel).
		With([]zapcore.Field{zap.String("req", "r"), zap.Error(errors.New("ctx"))})
	ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: time.Now(), Message: "m"}
	wantAllocs(t, "With", 0, func() { _ = core.Write(ent, fields) })
}

// An entry's context field costs only the hook's own allocations, in
// either form, and With's context is read once.
func TestAllocsTraceContext(t *testing.T) {
	fields := append(tenScalars(), zap.Any("ctx", _spanCtx))
	fixed := func(context.Context) (string, string) { return _tid, _sid }
	ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: time.Now(), Message: "m"}
	core := NewCore(zapcore.AddSync(io.Discard), zap.InfoLevel, WithTraceContext(fixed))
	wantAllocs(t, "entry with a context field", 0, func() { _ = core.Write(ent, fields) })
	withCtx := core.With([]zapcore.Field{zap.Any("ctx", _spanCtx)})
	wantAllocs(t, "With a context field", 0, func() { _ = withCtx.Write(ent, fields[:10]) })

	wire := newEncoder(EncoderConfig{TraceContext: fixed}, true, nil)
	wantAllocs(t, "wire form: entry with a context field", 0, func() {
		_, buf := wire.encodeEvent(ent, fields, 1)
		freeBuffer(buf)
	})
}

func TestAllocsLoggerInfo(t *testing.T) {
	fields := tenScalars()
	logger := zap.New(NewCore(zapcore.AddSync(io.Discard), zap.InfoLevel))
	wantAllocs(t, "logger.Info", 0, func() { logger.Info("request done", fields...) })
	wantAllocs(t, "logger.Debug filtered", 0, func() { logger.Debug("request done", fields...) })
}

func TestAllocsMetrics(t *testing.T) {
	fields := append(tenScalars(),
		Metric("latency", 12.5, UnitMilliseconds),
		Metric("bytes_out", 2048, UnitBytes),
		Metric("latency", 7.25, UnitMilliseconds),
		MetricHighResolution("queue", 3, UnitCount))
	core := NewCore(zapcore.AddSync(io.Discard), zap.InfoLevel,
		WithMetricNamespace("shop"), WithMetricDimensions("route", "level")).
		With([]zapcore.Field{zap.String("route", "/pay")})
	ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: time.Now(), Message: "paid"}
	wantAllocs(t, "entry with 4 metrics", 0, func() { _ = core.Write(ent, fields) })
	wantAllocs(t, "Metric", 0, func() { _fieldSink = Metric("latency", 1, UnitMilliseconds) })
	wantAllocs(t, "MetricHighResolution", 0, func() { _fieldSink = MetricHighResolution("latency", 1, UnitMilliseconds) })
	wantAllocs(t, "Metric of an unknown unit", 0, func() { _fieldSink = Metric("latency", 1, "Parsecs") })
}

// _fieldSink keeps a field the compiler would otherwise not build.
var _fieldSink zapcore.Field
