package bench

// Routing: the events/s of 100 tenants round-robin, each to a stream of
// its own through "{field:tenant}", against the same entries to one
// stream, on the same endpoint. See the "Routing" section of README.md.

import (
	"strconv"
	"testing"

	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// BenchmarkRouting measures delivered events per second, one op an event,
// of _workers goroutines logging a message and ten fields plus a tenant,
// cycling through 100 tenants: "oneStream" names one stream, "100tenants"
// names a stream by the tenant field, and "1tenant" and "10tenants" do
// too with the entries of the first tenant, or of the first ten, alone:
// what routing costs with one route open, and how it grows with the
// routes open. Each creates its streams on the first put, as it would
// against the service.
func BenchmarkRouting(b *testing.B) {
	for _, tt := range []struct {
		name, stream string
		tenants      int
	}{
		{"oneStream", "routing", 100},
		{"1tenant", "t-{field:tenant}", 1},
		{"10tenants", "t-{field:tenant}", 10},
		{"100tenants", "t-{field:tenant}", 100},
	} {
		b.Run(tt.name, func(b *testing.B) {
			ts := newEndpoint(b, cwlogstest.Faults{})
			defer ts.Close()
			var fb countingWriter
			var errs errorCounter
			syncer, err := cwzap.NewSyncer(_benchGroup, tt.stream,
				cwzap.WithClient(ts.Client()),
				cwzap.WithConcurrency(_inFlight),
				cwzap.WithOverflow(cwzap.OverflowBlock),
				cwzap.WithFallback(&fb),
				cwzap.WithErrorHandler(errs.handle))
			if err != nil {
				b.Fatal(err)
			}
			defer syncer.Close()
			logger := zap.New(cwzap.NewCore(syncer, zap.InfoLevel))
			tenants := make([][]zap.Field, tt.tenants)
			for i := range tenants {
				tenants[i] = append(tenFields(), zap.String("tenant", "tenant-"+strconv.Itoa(i)))
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			split(b.N, func(w, count int) {
				for i := range count {
					logger.Info(_message, tenants[(w+i*_workers)%len(tenants)]...)
				}
			})
			if err := logger.Sync(); err != nil {
				b.Error(err)
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			st := syncer.Stats()
			if st.Delivered != uint64(b.N) || st.Written != uint64(b.N) {
				b.Errorf("delivered %d of %d events (fallback %d, errors %d)", st.Delivered, b.N, st.Fallback, errs.n.Load())
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(ts.Calls("PutLogEvents")), "puts")
		})
	}
}
