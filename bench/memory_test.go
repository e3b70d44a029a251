package bench

// Memory through an outage: the peak RSS a Syncer costs above the
// program's baseline while the endpoint answers every put with an error.
// See the "Memory through an outage" section of README.md.

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

var (
	outageHold   = flag.Duration("outage.hold", 0, "BenchmarkOutageMemory: how long the outage lasts after the logging, before the peak is read")
	outagePolicy = flag.String("outage.policy", "fallback", "BenchmarkOutageMemory: the overflow policy, fallback or drop")
)

// _outageEnv, in an outage child: "url|limit|hold|policy", limit in
// bytes, hold a duration.
const _outageEnv = "CWZAP_BENCH_OUTAGE"

// TestOutageChild is an outage child: this binary run again by
// BenchmarkOutageMemory, so that the memory it reads from
// /proc/self/status is the Syncer's and the logging's alone, the endpoint
// being in the parent. It builds a Syncer with the buffer limit it is
// given (the overflow policy it is given, the fallback writer io.Discard,
// the other options the defaults), reads its RSS after a collection, has
// 8 goroutines log four times the limit in ten-field entries while every
// put fails, waits the hold, and prints one line: the baseline RSS, the
// peak (VmHWM), the heap after a collection, the collections run, the
// bytes allocated while logging, and the Syncer's counters. It then exits
// without waiting for the Syncer: the puts would go on failing until their
// timeout.
func TestOutageChild(t *testing.T) {
	arg := os.Getenv(_outageEnv)
	if arg == "" {
		t.Skip("run by BenchmarkOutageMemory")
	}
	parts := strings.Split(arg, "|")
	if len(parts) != 4 {
		t.Fatalf("%s=%q: want url|limit|hold|policy", _outageEnv, arg)
	}
	limit, err := strconv.Atoi(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	hold, err := time.ParseDuration(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	policy := cwzap.OverflowFallback
	if parts[3] == "drop" {
		policy = cwzap.OverflowDrop
	}
	cfg := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(parts[0]),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDBENCH", SecretAccessKey: "bench"}, nil
		}),
	}
	syncer, err := cwzap.NewSyncer(_benchGroup, "outage", cwzap.WithAWSConfig(cfg), cwzap.WithBufferLimit(limit),
		cwzap.WithOverflow(policy), cwzap.WithFallback(io.Discard), cwzap.WithErrorHandler(func(error) {}))
	if err != nil {
		t.Fatal(err)
	}
	logger := zap.New(cwzap.NewCore(syncer, zap.InfoLevel))
	fields := tenFields()
	var ms runtime.MemStats
	runtime.GC()
	base := procStatus(t, "VmRSS")
	runtime.ReadMemStats(&ms)
	allocated := ms.TotalAlloc

	const goroutines = 8
	per := 4 * limit / 300 / goroutines // an entry is about 300 bytes of log data
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range per {
				logger.Info(_message, fields...)
			}
		})
	}
	wg.Wait()
	time.Sleep(hold)
	peak := procStatus(t, "VmHWM")
	runtime.GC()
	runtime.ReadMemStats(&ms)
	st := syncer.Stats()
	fmt.Printf("outage base=%d peak=%d live=%d gcs=%d allocated=%d written=%d fallback=%d dropped=%d delivered=%d\n",
		base, peak, ms.HeapInuse, ms.NumGC, ms.TotalAlloc-allocated, st.Written, st.Fallback, st.Dropped, st.Delivered)
	os.Exit(0)
}

// procStatus returns a field of /proc/self/status in bytes (it is given
// in kB).
func procStatus(t *testing.T, field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// BenchmarkOutageMemory runs an outage child for each buffer limit against
// an endpoint in this process that answers every call 503, and reports
// the child's peak RSS above its baseline (peak-MiB) and over the limit
// (peak/limit), its live heap after logging (live-MiB, the baseline's
// included), the bytes it allocated while logging (alloc-MiB: the
// buffer's arenas and garbage), the collections it ran, and the share of
// the entries the Syncer kept (held%; the rest went to the fallback writer
// or were dropped). One op is one child; the metrics are their averages.
func BenchmarkOutageMemory(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc/self/status")
	}
	for _, limit := range []int{16 << 20, 64 << 20} {
		b.Run(fmt.Sprintf("limit=%dMiB", limit>>20), func(b *testing.B) {
			ts := newEndpoint(b, cwlogstest.Faults{})
			defer ts.Close()
			ts.SetFaults(cwlogstest.Faults{Outage: true})
			var peak, live, alloc, gcs, held float64
			for range b.N {
				r := runOutageChild(b, ts.URL, limit)
				peak += float64(r["peak"] - r["base"])
				live += float64(r["live"])
				alloc += float64(r["allocated"])
				gcs += float64(r["gcs"])
				held += float64(r["written"]-r["fallback"]-r["dropped"]) / float64(r["written"])
			}
			n := float64(b.N)
			b.ReportMetric(peak/n/(1<<20), "peak-MiB")
			b.ReportMetric(peak/n/float64(limit), "peak/limit")
			b.ReportMetric(live/n/(1<<20), "live-MiB")
			b.ReportMetric(alloc/n/(1<<20), "alloc-MiB")
			b.ReportMetric(gcs/n, "gcs")
			b.ReportMetric(100*held/n, "held%")
		})
	}
}

// runOutageChild runs one outage child and returns the numbers it
// printed.
func runOutageChild(b *testing.B, url string, limit int) map[string]uint64 {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestOutageChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%d|%s|%s", _outageEnv, url, limit, *outageHold, *outagePolicy))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("outage child: %v: %s", err, stderr.String())
	}
	for _, line := range strings.Split(string(out), "\n") {
		rest, ok := strings.CutPrefix(line, "outage ")
		if !ok {
			continue
		}
		r := map[string]uint64{}
		for _, kv := range strings.Fields(rest) {
			k, v, _ := strings.Cut(kv, "=")
			if r[k], err = strconv.ParseUint(v, 10, 64); err != nil {
				b.Fatalf("outage child printed %q", line)
			}
		}
		if r["delivered"] != 0 || r["written"] == 0 {
			b.Fatalf("outage child: %q: want entries written and none delivered", line)
		}
		b.Logf("limit %d MiB, %v: %s", limit>>20, time.Since(start).Round(time.Millisecond), rest)
		return r
	}
	b.Fatalf("outage child printed no result: %s %s", out, stderr.String())
	return nil
}
