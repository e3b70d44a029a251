package cwzapotel_test

import (
	"context"
	"io"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwzapotel"
)

// BenchmarkTraceContext: an entry of ten fields, with and without the
// context of a span, through a Core with the OpenTelemetry hook.
func BenchmarkTraceContext(b *testing.B) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: _traceID, SpanID: _spanID, TraceFlags: trace.FlagsSampled})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	fields := []zap.Field{
		zap.String("user", "alice"), zap.String("path", "/api/v1/items"), zap.Int("status", 200),
		zap.Int64("bytes", 123456), zap.Float64("ratio", 0.75), zap.Bool("cached", true),
		zap.Duration("elapsed", 1500*time.Microsecond), zap.Time("at", time.Date(2024, 3, 5, 4, 7, 8, 9, time.UTC)),
		zap.Uint32("shard", 7), zap.String("region", "eu-west-1"),
	}
	ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: time.Now(), Message: "request done"}
	core := cwzap.NewCore(zapcore.AddSync(io.Discard), zap.InfoLevel, cwzapotel.WithTraceContext())
	b.Run("without a context field", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = core.Write(ent, fields)
		}
	})
	b.Run("with a span's context", func(b *testing.B) {
		withCtx := append(fields, zap.Any("ctx", ctx))
		b.ReportAllocs()
		for b.Loop() {
			_ = core.Write(ent, withCtx)
		}
	})
	b.Run("TraceContext", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = cwzapotel.TraceContext(ctx)
		}
	})
}
