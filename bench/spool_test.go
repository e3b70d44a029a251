package bench

// The spool (WithSpool): what a SIGKILL costs with and without it, and
// what it costs callers and throughput. See the "Spool" section of
// README.md.

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

const (
	_crashEnv    = "CWZAP_BENCH_CRASH" // in a crash child: "url|dir", dir empty for no spool
	_crashRate   = 1000                // entries per second a crash child logs
	_crashStream = "crash"
)

// TestCrashChild is a crash child: this binary run again by
// BenchmarkSpool/SIGKILL. It logs _crashRate entries a second, entry i
// carrying "i", with the default flush interval, prints i once logger.Info
// has returned, and logs until it is killed.
func TestCrashChild(t *testing.T) {
	arg := os.Getenv(_crashEnv)
	if arg == "" {
		t.Skip("run by BenchmarkSpool/SIGKILL")
	}
	url, dir, _ := strings.Cut(arg, "|")
	cfg := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDBENCH", SecretAccessKey: "bench"}, nil
		}),
	}
	opts := []cwzap.SyncerOption{cwzap.WithAWSConfig(cfg)}
	if dir != "" {
		opts = append(opts, cwzap.WithSpool(dir))
	}
	syncer, err := cwzap.NewSyncer(_benchGroup, _crashStream, opts...)
	if err != nil {
		t.Fatal(err)
	}
	logger := zap.New(cwzap.NewCore(syncer, zap.InfoLevel))
	out := bufio.NewWriter(os.Stdout)
	start := time.Now()
	for i := 0; ; i++ {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / _crashRate)); d > 0 {
			time.Sleep(d)
		}
		logger.Info(_message, zap.Int("i", i))
		out.WriteString(strconv.Itoa(i) + "\n")
		out.Flush()
	}
}

// BenchmarkSpool compares a Syncer with WithSpool against one without.
//
// SIGKILL: a child process logs 1,000 entries a second with the default
// flush interval (5 s) and is killed with SIGKILL after n entries, n
// varying with the iteration (1,000 + 2,333·i mod 9,000, so over 5
// iterations 1,000, 3,333, 5,666, 7,999 and 1,332); with the spool, a new
// Syncer on its directory then replays and closes. stored% is the share
// of the entries the child had logged (logger.Info returned) that the
// endpoint holds, summed over the iterations; dup counts entries stored
// twice.
//
// Caller: one goroutine calls logger.Info (ten fields) in a loop into a
// Syncer on an endpoint; ns/op is the caller's time.
//
// EndToEnd: as BenchmarkEndToEnd/cwzap: 8 goroutines, OverflowBlock,
// logger.Sync ends the timed region; events/s is the delivered rate.
func BenchmarkSpool(b *testing.B) {
	for _, spool := range []bool{false, true} {
		name := "none"
		if spool {
			name = "spool"
		}
		b.Run("SIGKILL/"+name, func(b *testing.B) { benchCrash(b, spool) })
		b.Run("Caller/"+name, func(b *testing.B) { benchSpoolCaller(b, spool) })
		b.Run("EndToEnd/"+name, func(b *testing.B) { benchSpoolEndToEnd(b, spool) })
	}
}

func benchCrash(b *testing.B, spool bool) {
	ts := cwlogstest.NewServer()
	defer ts.Close()
	var logged, stored, dup int
	i := 0
	for b.Loop() {
		n := 1000 + (i*2333)%9000
		i++
		dir := ""
		if spool {
			dir = filepath.Join(b.TempDir(), strconv.Itoa(i))
		}
		stream := _crashStream
		acked := runCrashChild(b, ts.URL, dir, n)
		if spool {
			s, err := cwzap.NewSyncer(_benchGroup, stream, cwzap.WithClient(ts.Client()), cwzap.WithSpool(dir))
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Close(); err != nil {
				b.Error(err)
			}
		}
		seen := map[int]int{}
		for _, e := range ts.Events(_benchGroup, stream) {
			k := strings.Index(e.Message, `"i":`)
			if k < 0 {
				b.Fatalf("unexpected event %q", e.Message)
			}
			v, _ := strconv.Atoi(strings.TrimRight(e.Message[k+4:], "}"))
			seen[v]++
		}
		for v := range acked {
			if seen[v] > 0 {
				stored++
			}
			if seen[v] > 1 {
				dup++
			}
		}
		logged += acked
		ts.DeleteLogStream(_benchGroup, stream)
	}
	b.ReportMetric(100*float64(stored)/float64(max(logged, 1)), "stored%")
	b.ReportMetric(float64(logged), "logged")
	b.ReportMetric(float64(dup), "dup")
}

// runCrashChild runs a crash child until it has logged n entries, kills
// it with SIGKILL, and returns how many entries it had logged by then.
func runCrashChild(b *testing.B, url, dir string, n int) int {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), _crashEnv+"="+url+"|"+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	acked := 0
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "=== ") && sc.Text() != "" {
			acked++
		}
		if acked == n {
			cmd.Process.Kill() // SIGKILL
			break
		}
	}
	for sc.Scan() { // what the child had printed when it died
		acked++
	}
	cmd.Wait()
	if acked < n {
		b.Fatalf("crash child logged %d entries, want %d: %s", acked, n, stderr.String())
	}
	return acked
}

func benchSpoolCaller(b *testing.B, spool bool) {
	ts := newEndpoint(b, cwlogstest.Faults{})
	defer ts.Close()
	syncer := spoolSyncer(b, ts, spool)
	defer syncer.Close()
	logger := zap.New(cwzap.NewCore(syncer, zap.InfoLevel))
	fields := tenFields()
	b.ReportAllocs()
	for b.Loop() {
		logger.Info(_message, fields...)
	}
	b.StopTimer()
	if err := logger.Sync(); err != nil {
		b.Error(err)
	}
}

func benchSpoolEndToEnd(b *testing.B, spool bool) {
	ts := newEndpoint(b, cwlogstest.Faults{})
	defer ts.Close()
	syncer := spoolSyncer(b, ts, spool)
	defer syncer.Close()
	logger := zap.New(cwzap.NewCore(syncer, zap.InfoLevel))
	fields := tenFields()
	b.ReportAllocs()
	start := time.Now()
	b.ResetTimer()
	split(b.N, func(_, count int) {
		for range count {
			logger.Info(_message, fields...)
		}
	})
	if err := logger.Sync(); err != nil {
		b.Error(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	if got := ts.EventCount(); got != b.N {
		b.Errorf("endpoint counted %d events, want %d", got, b.N)
	}
}

// spoolSyncer returns a Syncer on ts, as in BenchmarkEndToEnd, with a spool
// in a temporary directory when spool is set.
func spoolSyncer(b *testing.B, ts *cwlogstest.Server, spool bool) *cwzap.Syncer {
	b.Helper()
	var errs errorCounter
	opts := []cwzap.SyncerOption{
		cwzap.WithClient(ts.Client()),
		cwzap.WithConcurrency(_inFlight),
		cwzap.WithOverflow(cwzap.OverflowBlock),
		cwzap.WithFallback(&countingWriter{}),
		cwzap.WithErrorHandler(errs.handle),
	}
	if spool {
		opts = append(opts, cwzap.WithSpool(b.TempDir()))
	}
	s, err := cwzap.NewSyncer(_benchGroup, _benchStream, opts...)
	if err != nil {
		b.Fatal(err)
	}
	return s
}
