package bench

// Remote delivery: the client in this process, the endpoint in another
// (`cwzap serve -discard`), so that the CPU measured is the client's
// alone. See the "Delivery, endpoint in its own process" section of
// README.md.

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/cwzap/cwzap"
)

var remoteCwzap = flag.String("remote.cwzap", "", "BenchmarkRemote: the cwzap command to run as the endpoint (default: built from ../cmd/cwzap once per run)")

var (
	buildOnce  sync.Once
	builtPath  string
	builtError error
)

// cwzapCommand returns the path of the cwzap command, building it into a
// temporary directory the first time unless -remote.cwzap names one.
func cwzapCommand(tb testing.TB) string {
	tb.Helper()
	if *remoteCwzap != "" {
		return *remoteCwzap
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cwzap-bench")
		if err != nil {
			builtError = err
			return
		}
		builtPath = filepath.Join(dir, "cwzap")
		out, err := exec.Command("go", "build", "-o", builtPath, "github.com/cwzap/cwzap/cmd/cwzap").CombinedOutput()
		if err != nil {
			builtError = fmt.Errorf("go build cwzap: %v: %s", err, out)
		}
	})
	if builtError != nil {
		tb.Fatal(builtError)
	}
	return builtPath
}

// remote is a `cwzap serve -discard` process with the bench group and
// stream created.
type remote struct {
	cmd   *exec.Cmd
	lines chan string
	url   string
}

// startRemote starts the endpoint process and waits for its URL.
func startRemote(tb testing.TB) *remote {
	tb.Helper()
	cmd := exec.Command(cwzapCommand(tb), "serve", "-discard", "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	r := &remote{cmd: cmd, lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
		close(r.lines)
	}()
	deadline := time.After(30 * time.Second)
	for r.url == "" {
		select {
		case line, ok := <-r.lines:
			if !ok {
				tb.Fatal("cwzap serve exited before printing its URL")
			}
			if u, found := strings.CutPrefix(line, "cwzap: CloudWatch Logs endpoint at "); found {
				r.url = u
			}
		case <-deadline:
			_ = cmd.Process.Kill()
			tb.Fatal("cwzap serve printed no URL in 30 s")
		}
	}
	ctx := context.Background()
	client := r.client(nil)
	if _, err := client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(_benchGroup)}); err != nil {
		r.stop(tb)
		tb.Fatal(err)
	}
	if _, err := client.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName: aws.String(_benchGroup), LogStreamName: aws.String(_benchStream),
	}); err != nil {
		r.stop(tb)
		tb.Fatal(err)
	}
	return r
}

// client returns a real SDK client for the endpoint, the same for both
// contenders but for optFn.
func (r *remote) client(optFn func(*cloudwatchlogs.Options)) *cloudwatchlogs.Client {
	opts := cloudwatchlogs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(r.url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local", Source: "bench"}, nil
		}),
	}
	if optFn != nil {
		return cloudwatchlogs.New(opts, optFn)
	}
	return cloudwatchlogs.New(opts)
}

// stop interrupts the endpoint and returns the events it accepted, as its
// last line says, and the CPU it used.
func (r *remote) stop(tb testing.TB) (events int, cpu time.Duration) {
	tb.Helper()
	_ = r.cmd.Process.Signal(os.Interrupt)
	var last string
	timeout := time.After(30 * time.Second)
	for done := false; !done; {
		select {
		case line, ok := <-r.lines:
			if !ok {
				done = true
			} else {
				last = line
			}
		case <-timeout:
			_ = r.cmd.Process.Kill()
			tb.Fatal("cwzap serve did not stop in 30 s")
		}
	}
	if err := r.cmd.Wait(); err != nil {
		tb.Errorf("cwzap serve: %v", err)
	}
	if _, err := fmt.Sscanf(last, "cwzap: %d events accepted", &events); err != nil {
		tb.Errorf("cwzap serve's last line %q: %v", last, err)
	}
	if ru, ok := r.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return events, cpu
}

// BenchmarkRemote measures delivery with the endpoint in its own process:
// events/s, the client's CPU per event (this process only) and the
// endpoint's. One op is one event.
//
// cwzap: the Syncer's defaults (4 puts in flight) but OverflowBlock, so
// that every event is delivered and the rate is the delivered rate;
// _workers goroutines call logger.Info; logger.Sync ends the timed region.
// cwzap/serial: the same with one goroutine.
//
// rawSDK: the same texts, encoded beforehand by cwzap's Core (free for
// it), in full batches sent with PutLogEvents by 4 goroutines, the SDK's
// retries off.
//
// Each contender's run starts its own endpoint process, and fails unless
// the endpoint counted exactly b.N events.
func BenchmarkRemote(b *testing.B) {
	b.Run("cwzap", func(b *testing.B) { benchRemoteCwzap(b, _workers) })
	b.Run("cwzap/serial", func(b *testing.B) { benchRemoteCwzap(b, 1) })
	b.Run("rawSDK", benchRemoteRawSDK)
}

func benchRemoteCwzap(b *testing.B, workers int) {
	r := startRemote(b)
	var fb countingWriter
	var errs errorCounter
	syncer, err := cwzap.NewSyncer(_benchGroup, _benchStream,
		cwzap.WithClient(r.client(nil)),
		cwzap.WithOverflow(cwzap.OverflowBlock),
		cwzap.WithFallback(&fb),
		cwzap.WithErrorHandler(errs.handle))
	if err != nil {
		r.stop(b)
		b.Fatal(err)
	}
	cpu, allocs := logAllOn(b, syncer, workers)

	if err := syncer.Close(); err != nil {
		b.Error(err)
	}
	st := syncer.Stats()
	events, serverCPU := r.stop(b)
	if st.Delivered != uint64(b.N) || events != b.N || errs.n.Load() != 0 || fb.lines.Load() != 0 {
		b.Errorf("delivered %d of %d events, endpoint counted %d (fallback %d, errors %d)", st.Delivered, b.N, events, st.Fallback, errs.n.Load())
	}
	reportRemote(b, cpu, serverCPU, allocs)
}

func benchRemoteRawSDK(b *testing.B) {
	r := startRemote(b)
	client := r.client(func(o *cloudwatchlogs.Options) { o.RetryMaxAttempts = 1 })
	cpu, allocs, _ := putRaw(b, client)

	if events, serverCPU := r.stop(b); events != b.N {
		b.Errorf("endpoint counted %d of %d events", events, b.N)
	} else {
		reportRemote(b, cpu, serverCPU, allocs)
	}
}

func reportRemote(b *testing.B, client, server time.Duration, allocs uint64) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(client.Nanoseconds())/float64(b.N), "client-cpu-ns/op")
	b.ReportMetric(float64(server.Nanoseconds())/float64(b.N), "server-cpu-ns/op")
	b.ReportMetric(float64(allocs)/float64(b.N), "allocs/event")
}
