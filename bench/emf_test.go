package bench

import (
	"testing"
	"time"

	"github.com/cwzap/cwzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// BenchmarkMetrics is Core.Write of the ten-field entry with three Metric
// fields (two names, one repeated) and a dimension from With, against the
// same entry without them: what making an entry an EMF document costs.
func BenchmarkMetrics(b *testing.B) {
	plain := tenFields()
	withMetrics := append(tenFields(),
		cwzap.Metric("latency", 12.5, cwzap.UnitMilliseconds),
		cwzap.Metric("bytes_out", 2048, cwzap.UnitBytes),
		cwzap.Metric("latency", 7.25, cwzap.UnitMilliseconds))
	ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: time.Now(), Message: "request done"}
	for _, bc := range []struct {
		name   string
		fields []zap.Field
	}{{"without", plain}, {"3-metrics", withMetrics}} {
		b.Run(bc.name, func(b *testing.B) {
			core := cwzap.NewCore(discard(), zap.InfoLevel,
				cwzap.WithMetricNamespace("shop"), cwzap.WithMetricDimensions("route")).
				With([]zap.Field{zap.String("route", "/pay")})
			b.ReportAllocs()
			for b.Loop() {
				if err := core.Write(ent, bc.fields); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
