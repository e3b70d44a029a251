package cwzap

import (
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// BenchmarkEncoderTraceContext: the cost of trace ids, against the same
// entry without them, in the plain form (a Core over an io.Writer) and
// the wire form (a Core over a Syncer), encoders alone: the package's
// tests check every Core.Write for locks held. The hook is testTrace, a
// context.Value lookup: what a tracer's own costs comes on top (see
// cwzapotel's benchmark).
func BenchmarkEncoderTraceContext(b *testing.B) {
	ten := []zapcore.Field{
		zap.String("user", "alice"), zap.String("path", "/api/v1/items"), zap.Int("status", 200),
		zap.Int64("bytes", 123456), zap.Float64("ratio", 0.75), zap.Bool("cached", true),
		zap.Duration("elapsed", 1500*time.Microsecond), zap.Time("at", time.Date(2024, 3, 5, 4, 7, 8, 9, time.UTC)),
		zap.Uint32("shard", 7), zap.String("region", "eu-west-1"),
	}
	withCtx := append(ten[:len(ten):len(ten)], zap.Any("ctx", _spanCtx))
	ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: time.Now(), Message: "request done",
		Caller: zapcore.EntryCaller{Defined: true, Function: "main.handler", Line: 3}}
	hook := EncoderConfig{TraceContext: testTrace}
	tests := []struct {
		name   string
		cfg    EncoderConfig
		with   []zapcore.Field
		fields []zapcore.Field
	}{
		{"no hook", EncoderConfig{}, nil, ten},
		{"hook, no context field", hook, nil, ten},
		{"hook, context field", hook, nil, withCtx},
		{"hook, context in With", hook, []zapcore.Field{zap.Any("ctx", _spanCtx)}, ten},
	}
	for _, tt := range tests {
		b.Run("plain/"+tt.name, func(b *testing.B) {
			enc := newEncoder(tt.cfg, false, nil).with(tt.with)
			b.ReportAllocs()
			for b.Loop() {
				buf, _ := enc.EncodeEntry(ent, tt.fields)
				buf.Free()
			}
		})
		b.Run("wire/"+tt.name, func(b *testing.B) {
			enc := newEncoder(tt.cfg, true, nil).with(tt.with)
			b.ReportAllocs()
			for b.Loop() {
				_, buf := enc.encodeEvent(ent, tt.fields, 1)
				freeBuffer(buf)
			}
		})
	}
}
