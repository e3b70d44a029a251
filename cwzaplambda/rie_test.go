package cwzaplambda_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cwzap/cwzap/cwlogstest"
)

// The tests run the function in internal/testfunction under the AWS Lambda
// Runtime Interface Emulator (the aws-lambda-rie tool of internal/rie), which
// serves the real Runtime and Extensions APIs, and point it at a cwlogstest
// endpoint in the test process.

const (
	_group  = "/test/cwzaplambda"
	_stream = "s"
)

var builds struct {
	once           sync.Once
	dir            string
	rie, bootstrap string
	err            error
}

// binaries builds the emulator and the test function once per test
// binary. Without them the test fails under CI and is skipped elsewhere.
func binaries(t testing.TB) (rie, bootstrap string) {
	t.Helper()
	builds.once.Do(func() {
		if runtime.GOOS != "linux" {
			builds.err = fmt.Errorf("the Runtime Interface Emulator runs on Linux only, not %s", runtime.GOOS)
			return
		}
		builds.dir, builds.err = os.MkdirTemp("", "cwzaplambda-test-")
		if builds.err != nil {
			return
		}
		builds.rie = filepath.Join(builds.dir, "aws-lambda-rie")
		builds.bootstrap = filepath.Join(builds.dir, "bootstrap")
		// The emulator is a tool of the module in internal/rie.
		for _, b := range []struct {
			dir, out, pkg string
			flags         []string
		}{
			{"internal/rie", builds.rie, "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie", nil},
			{".", builds.bootstrap, "./internal/testfunction", _raceFlag},
		} {
			args := append(append([]string{"build"}, b.flags...), "-o", b.out, b.pkg)
			cmd := exec.Command(goTool(), args...)
			cmd.Dir = b.dir
			if out, err := cmd.CombinedOutput(); err != nil {
				builds.err = fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
				return
			}
		}
	})
	if builds.err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("cannot run the Lambda emulator under CI: %v", builds.err)
		}
		t.Skipf("skipping: cannot run the Lambda emulator: %v", builds.err)
	}
	return builds.rie, builds.bootstrap
}

func removeBuilds() {
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go" // not on PATH: the build step says so

}

// A function is one test function running under the emulator.
type function struct {
	t    testing.TB
	srv  *cwlogstest.Server
	cmd  *exec.Cmd
	url  string
	out  *lockedBuffer
	done chan struct{} // closed when the emulator has exited

	invokes int // invocations made, to find their RTDONE and REPORT lines
}

// config describes one emulated function.
type config struct {
	mode    string        // the test function's CWZL_MODE: wrap, sync or none
	shape   string        // its CWZL_SHAPE (under wrap): "" is Wrap's typed form
	timeout int           // AWS_LAMBDA_FUNCTION_TIMEOUT in seconds; 0 means 30
	latency time.Duration // added to every PutLogEvents answer
	env     []string      // more environment, KEY=value
}

// start runs the emulator with the test function and a fresh endpoint.
// The cleanup stops the emulator with SIGTERM, as Lambda's shutdown does.
func start(t testing.TB, cfg config) *function {
	t.Helper()
	rie, bootstrap := binaries(t)
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	srv.SetFaults(cwlogstest.Faults{Latency: cfg.latency})
	if cfg.timeout == 0 {
		cfg.timeout = 30
	}
	addr, apiAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=" + srv.URL,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_CONFIG_FILE=/nonexistent",
		"AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_LAMBDA_FUNCTION_NAME=cwzaplambda-test",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=" + strconv.Itoa(cfg.timeout),
		"CWZL_MODE=" + cfg.mode,
		"CWZL_SHAPE=" + cfg.shape,
		"CWZL_GROUP=" + _group,
		"CWZL_STREAM=" + _stream,
	}, cfg.env...)
	f := &function{t: t, srv: srv, cmd: cmd, url: "http://" + addr, out: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = f.out, f.out
	cmd.WaitDelay = 5 * time.Second // a runtime left behind must not hold the pipes
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the emulator: %v", err)
	}
	go func() { cmd.Wait(); close(f.done) }()
	t.Cleanup(func() {
		f.shutdown()
		if strings.Contains(f.out.String(), "WARNING: DATA RACE") {
			t.Errorf("the race detector found a data race in the function")
		}
		if t.Failed() {
			t.Logf("emulator output:\n%s", f.out.String())
		}
	})
	waitListening(t, addr, f.done)
	return f
}

// shutdown sends the emulator SIGTERM, which resets the environment: the
// runtime gets SIGTERM too. It waits for the emulator to exit, at most 10
// s, then kills it.
func (f *function) shutdown() {
	select {
	case <-f.done:
		return
	default:
	}
	f.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-f.done:
	case <-time.After(10 * time.Second):
		f.t.Errorf("the emulator did not exit within 10 s of SIGTERM; killing it")
		f.cmd.Process.Kill()
		<-f.done
	}
}

// invoke invokes the function once and returns the response body.
//
// The emulator sometimes fails the invocation after a timeout's reset with
// Sandbox.Failure ErrGateCanceled before it starts the runtime: the
// reset's cancel of the init and invoke flows (rapid's HandleReset cancels
// them before it takes the handler lock) reached the next Init. No
// function code ran, so the invocation is made again, at most twice; one
// that ran code and is repeated would store its entries twice, which the
// tests count.
func (f *function) invoke(payload string) string {
	f.t.Helper()
	for range 2 {
		if got := f.invokeOnce(payload); !strings.Contains(got, "ErrGateCanceled") {
			return got
		}
		f.t.Logf("the emulator failed an invocation with ErrGateCanceled before starting the runtime; invoking again")
	}
	return f.invokeOnce(payload)
}

func (f *function) invokeOnce(payload string) string {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url+"/2015-03-31/functions/function/invocations", strings.NewReader(payload))
	if err != nil {
		f.t.Fatal(err)
	}
	f.invokes++
	req.Close = true // no idle connection outlives the test
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("invoke: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("invoke: read the response: %v", err)
	}
	return string(body)
}

var (
	_rtdone = regexp.MustCompile(`INVOKE RTDONE\(status: (\w+), produced bytes: \d+, duration: ([0-9.]+)ms\)`)
	_report = regexp.MustCompile(`REPORT RequestId: \S+\s+(?:Init Duration: [0-9.]+ ms\s+)?Duration: ([0-9.]+) ms`)
)

// lastRTDONE returns the runtime's own response time of the latest
// invocation: the emulator logs it when the runtime posts the response.
func (f *function) lastRTDONE() time.Duration {
	f.t.Helper()
	return f.lastMs(_rtdone, 2, "INVOKE RTDONE")
}

// lastReport returns the Duration of the latest REPORT line: the whole
// invocation, extensions included.
func (f *function) lastReport() time.Duration {
	f.t.Helper()
	return f.lastMs(_report, 1, "REPORT")
}

// lastMs returns the milliseconds in the latest invocation's line
// matching re. The emulator may log the line just after it answers the
// invoke, so it waits for one line per invocation, at most 5 s.
func (f *function) lastMs(re *regexp.Regexp, group int, what string) time.Duration {
	f.t.Helper()
	var m [][]string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		m = re.FindAllStringSubmatch(f.out.String(), -1)
		if len(m) >= f.invokes || time.Now().After(deadline) {
			break
		}
	}
	if len(m) != f.invokes {
		f.t.Fatalf("%d %s lines in the emulator's output after %d invocations", len(m), what, f.invokes)
	}
	ms, err := strconv.ParseFloat(m[len(m)-1][group], 64)
	if err != nil {
		f.t.Fatalf("%s: %v", what, err)
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// _lateLogged is the line the test function prints once it has logged an
// invocation's late entry.
const _lateLogged = "testfunction: late entry logged"

// waitOutput waits until the function's output holds line, at most 20 s.
func (f *function) waitOutput(line string) {
	f.t.Helper()
	f.waitFor(20*time.Second, fmt.Sprintf("the line %q", line), func() bool {
		return strings.Contains(f.out.String(), line)
	})
}

// waitFor waits until done reports true, at most d, checking every 5 ms.
func (f *function) waitFor(d time.Duration, what string, done func() bool) {
	f.t.Helper()
	for deadline := time.Now().Add(d); !done(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			f.t.Fatalf("no %s within %v", what, d)
		}
	}
}

var _pidLine = regexp.MustCompile(`testfunction: pid (\d+)`)

// pid returns the runtime's process id, which the test function prints
// under CWZL_PID=1.
func (f *function) pid() int {
	f.t.Helper()
	m := _pidLine.FindStringSubmatch(f.out.String())
	if m == nil {
		f.t.Fatalf("the function printed no pid; set CWZL_PID=1")
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

// tagged returns the stored events whose message carries tag.
func (f *function) tagged(tag string) []cwlogstest.Event {
	var out []cwlogstest.Event
	for _, e := range f.srv.Events(_group, _stream) {
		if strings.Contains(e.Message, `"tag":"`+tag+`"`) {
			out = append(out, e)
		}
	}
	return out
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitListening waits until addr accepts connections, at most 20 s.
func waitListening(t testing.TB, addr string, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("the emulator exited before listening on %s", addr)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the emulator did not listen on %s within 20 s", addr)
}

// lockedBuffer collects the emulator's output, written from its pipes'
// goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
