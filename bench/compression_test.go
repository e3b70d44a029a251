package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
)

// BenchmarkCompression sends b.N entries (the ten-field entry of
// BenchmarkLogger) through a Syncer to `cwzap serve` running in its own
// process, with gzip request bodies and without. Each entry also carries
// a random request id, a counter and a latency, as real entries differ.
// Reported: the bytes each event costs on the wire, the client's CPU per event (the endpoint's CPU is
// another process's, so it is not counted) and events/s. 8 goroutines log;
// logger.Sync ends the timed region.
func BenchmarkCompression(b *testing.B) {
	url := serveProcess(b)
	for _, bc := range []struct {
		name string
		on   bool
	}{{"gzip", true}, {"plain", false}} {
		b.Run(bc.name, func(b *testing.B) {
			var wire wireCounter
			client := cloudwatchlogs.New(cloudwatchlogs.Options{
				Region:       "us-east-1",
				BaseEndpoint: aws.String(url),
				Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
				HTTPClient:   &wire,
			})
			var errs errorCounter
			syncer, err := cwzap.NewSyncer(_benchGroup, strings.ToLower(b.Name()[len("BenchmarkCompression/"):]),
				cwzap.WithClient(client),
				cwzap.WithCompression(bc.on),
				cwzap.WithConcurrency(_inFlight),
				cwzap.WithOverflow(cwzap.OverflowBlock),
				cwzap.WithErrorHandler(errs.handle))
			if err != nil {
				b.Fatal(err)
			}
			defer syncer.Close()
			logger := zap.New(cwzap.NewCore(syncer, zap.InfoLevel))
			fields := tenFields()
			ids := requestIDs(4096)
			logger.Info(_message, fields...) // the group and stream are created outside the timed region
			if err := logger.Sync(); err != nil {
				b.Fatal(err)
			}
			wire.reset()

			cpu0 := cpuTime()
			b.ResetTimer()
			split(b.N, func(worker, count int) {
				f := append(slices.Clip(fields), zap.Skip(), zap.Skip(), zap.Skip())
				for j := range count {
					i := worker*b.N + j
					// What varies from entry to entry in a real service.
					f[10] = zap.String("request_id", ids[i%len(ids)])
					f[11] = zap.Int("n", i)
					f[12] = zap.Duration("latency", time.Duration(i%9973)*time.Microsecond)
					logger.Info(_message, f...)
				}
			})
			if err := logger.Sync(); err != nil {
				b.Error(err)
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			if st := syncer.Stats(); st.Delivered != uint64(b.N)+1 || errs.n.Load() != 0 {
				b.Errorf("delivered %d of %d events (errors %d)", st.Delivered, b.N+1, errs.n.Load())
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/event")
			b.ReportMetric(float64(wire.bytes.Load())/float64(b.N), "wire-B/event")
		})
	}
}

// wireCounter is the SDK's HTTP client, counting the request bytes of
// PutLogEvents bodies as sent (after compression).
type wireCounter struct {
	once  sync.Once
	c     *http.Client
	bytes atomic.Int64
}

func (w *wireCounter) Do(r *http.Request) (*http.Response, error) {
	w.once.Do(func() {
		w.c = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}}
	})
	if r.Header.Get("X-Amz-Target") == "Logs_20140328.PutLogEvents" {
		w.bytes.Add(r.ContentLength)
	}
	return w.c.Do(r)
}

func (w *wireCounter) reset() { w.bytes.Store(0) }

// requestIDs returns n random ids of 16 hex digits.
func requestIDs(n int) []string {
	ids := make([]string, n)
	b := make([]byte, 8)
	for i := range ids {
		_, _ = rand.Read(b)
		ids[i] = hex.EncodeToString(b)
	}
	return ids
}

// serveProcess builds cmd/cwzap, runs `cwzap serve` on a free loopback
// port until the benchmark ends, and returns its URL.
func serveProcess(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "cwzap")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/cwzap/cwzap/cmd/cwzap").CombinedOutput(); err != nil {
		b.Fatalf("go build cwzap: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", "-addr", "127.0.0.1:0")
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "cwzap: CloudWatch Logs endpoint at ")
	if err != nil || !ok {
		b.Fatalf("cwzap serve printed %q (%v)", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return url
}
