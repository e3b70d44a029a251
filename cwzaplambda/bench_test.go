package cwzaplambda_test

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkInvocation measures, under the emulator, what each way of
// delivering adds to an invocation that logs 10 entries, with every put
// taking 0, 20 or 300 ms: "none" logs nothing, "wrap" uses Wrap, "sync"
// calls logger.Sync() before returning. It reports the medians of the
// runtime's response time (rtdone-ms, what the caller waits for) and of
// the whole invocation, extensions included (report-ms). ns/op is the
// invoke's round trip from the test and is not the figure of interest.
//
//	go test -run '^$' -bench Invocation -benchtime 30x
func BenchmarkInvocation(b *testing.B) {
	for _, latency := range []time.Duration{0, 20 * time.Millisecond, 300 * time.Millisecond} {
		for _, mode := range []string{"none", "wrap", "sync"} {
			b.Run(fmt.Sprintf("put=%v/%s", latency, mode), func(b *testing.B) {
				f := start(b, config{mode: mode, latency: latency})
				f.invoke(payload("cold", 10, 0, 0)) // the cold start is not measured
				var rtdone, report []time.Duration
				for b.Loop() {
					f.invoke(payload("bench", 10, 0, 0))
					rtdone = append(rtdone, f.lastRTDONE())
					report = append(report, f.lastReport())
				}
				b.ReportMetric(medianMs(rtdone), "rtdone-ms")
				b.ReportMetric(medianMs(report), "report-ms")
			})
		}
	}
}

func medianMs(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return float64(ds[len(ds)/2]) / float64(time.Millisecond)
}
