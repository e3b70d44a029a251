package cwzaplambda_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cwzap/cwzap/cwlogstest"
)

// _putLatency is how long every PutLogEvents answer takes in these tests.
const _putLatency = 300 * time.Millisecond

// entry is the part of a test function's event the tests read.
type entry struct {
	Message    string `json:"message"`
	Tag        string `json:"tag"`
	DeadlineMs int64  `json:"deadline_ms"`
	RequestID  string `json:"function_request_id"`
	ColdStart  *bool  `json:"cold_start"`
	Function   string `json:"function_name"`
	Version    string `json:"function_version"`
}

func decode(t *testing.T, msg string) entry {
	t.Helper()
	var e entry
	if err := json.Unmarshal([]byte(msg), &e); err != nil {
		t.Fatalf("event %s is not JSON: %v", msg, err)
	}
	return e
}

func payload(tag string, entries, sleepMs, lateMs int) string {
	return fmt.Sprintf(`{"tag":%q,"entries":%d,"sleepMs":%d,"lateMs":%d}`, tag, entries, sleepMs, lateMs)
}

// With every put taking 300 ms, Wrap's runtime posts the response without
// waiting for the put, while the extension keeps the invocation open until
// the put is answered, so the entries are stored when the invoke returns.
// Sync-per-invocation holds the response for the put.
func TestResponseDoesNotWaitForThePut(t *testing.T) {
	wrap := start(t, config{mode: "wrap", latency: _putLatency})
	syncer := start(t, config{mode: "sync", latency: _putLatency})
	for _, f := range []*function{wrap, syncer} {
		if got := f.invoke(payload("cold", 5, 0, 0)); got != `"ok"` {
			t.Fatalf("cold invocation answered %s", got)
		}
	}
	for i := range 3 {
		tag := fmt.Sprintf("warm-%d", i)
		wrap.invoke(payload(tag, 5, 0, 0))
		if n := len(wrap.tagged(tag)); n != 5 {
			t.Errorf("Wrap: %d of 5 entries stored when the invoke returned", n)
		}
		rt, report := wrap.lastRTDONE(), wrap.lastReport()
		if rt >= _putLatency {
			t.Errorf("Wrap: RTDONE %v, want below the put latency %v: the response waited for the put", rt, _putLatency)
		}
		if report < _putLatency {
			t.Errorf("Wrap: REPORT Duration %v, want at least the put latency %v: the extension did not wait for the put", report, _putLatency)
		}

		syncer.invoke(payload(tag, 5, 0, 0))
		if n := len(syncer.tagged(tag)); n != 5 {
			t.Errorf("Sync: %d of 5 entries stored when the invoke returned", n)
		}
		if rt := syncer.lastRTDONE(); rt < _putLatency {
			t.Errorf("Sync: RTDONE %v, want at least the put latency %v", rt, _putLatency)
		}
		t.Logf("%s: Wrap RTDONE %v (REPORT %v), Sync RTDONE %v", tag, rt, report, syncer.lastRTDONE())
	}
}

// Every entry carries the invocation's fields under Powertools' keys; only
// the first invocation of the environment is a cold start. (The emulator
// passes no X-Ray header to the runtime; logger_test.go covers the trace
// id.)
func TestEntriesCarryTheInvocation(t *testing.T) {
	f := start(t, config{mode: "wrap"})
	f.invoke(payload("first", 2, 0, 0))
	f.invoke(payload("second", 2, 0, 0))
	requests := map[string]bool{}
	for _, tt := range []struct {
		tag      string
		wantCold bool
	}{{"first", true}, {"second", false}} {
		events := f.tagged(tt.tag)
		if len(events) != 2 {
			t.Fatalf("%s: %d events, want 2", tt.tag, len(events))
		}
		for _, ev := range events {
			e := decode(t, ev.Message)
			if e.RequestID == "" || e.ColdStart == nil || *e.ColdStart != tt.wantCold ||
				e.Function != "cwzaplambda-test" || e.Version != "$LATEST" {
				t.Errorf("%s: event %s lacks an invocation field or has a wrong one (want cold_start %v)", tt.tag, ev.Message, tt.wantCold)
			}
			requests[e.RequestID] = true
		}
	}
	if len(requests) != 2 {
		t.Errorf("request ids %v, want one per invocation", requests)
	}
}

// A handler that overruns its timeout has what it logged before delivered
// before the deadline, by the flush WithMargin ahead of it, not only by the
// shutdown that follows the timeout.
func TestTimeoutKeepsWhatWasLogged(t *testing.T) {
	f := start(t, config{mode: "wrap", timeout: 2, latency: _putLatency})
	// Warm up first: the first put of an environment also creates the
	// group and stream, which this test is not about.
	f.invoke(payload("warm", 1, 0, 0))
	got := f.invoke(payload("overrun", 5, 10_000, 0))
	if !strings.Contains(got, "Task timed out") {
		t.Fatalf("the invocation answered %s, want a timeout", got)
	}
	events := f.tagged("overrun")
	if len(events) != 5 {
		t.Fatalf("%d of 5 entries logged before the timeout were delivered", len(events))
	}
	for _, ev := range events {
		if d := decode(t, ev.Message).DeadlineMs; ev.IngestionTime > d {
			t.Errorf("entry stored at %d, after the invocation's deadline %d", ev.IngestionTime, d)
		}
	}
}

// Entries logged after the last flush (here from a goroutine the handler
// left running) are delivered when Lambda shuts the environment down with
// SIGTERM. With 20 ms puts the emulator's shutdown is the bound: it kills
// the runtime 600 ms after its SIGTERM, and the flush has 400 ms
// (WithShutdownTimeout's default). With 300 ms puts, too close to those
// 400 ms for a loaded machine, the flush gets 10 s, and SIGTERM goes to the
// runtime itself, as Lambda's shutdown sends it, without the emulator's
// kill: one put of 300 ms is all the flush has to make (the stream exists,
// the entry is logged), so it must deliver.
func TestSIGTERMFlushesWhatIsLeft(t *testing.T) {
	tests := []struct {
		name    string
		latency time.Duration
		env     []string
		direct  bool // SIGTERM to the runtime, not the emulator
	}{
		{"20ms puts", 20 * time.Millisecond, nil, false},
		{"300ms puts", _putLatency, []string{"CWZL_PID=1", "CWZL_SHUTDOWN_TIMEOUT=10s"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, config{mode: "wrap", latency: tt.latency, env: tt.env})
			f.invoke(payload("leftover", 1, 0, 10))
			f.waitOutput(_lateLogged)
			if n := len(f.tagged("leftover")); n != 1 {
				t.Fatalf("%d of the invocation's 1 entry stored; the shutdown flush needs the stream made", n)
			}
			if late := lateEvents(f, "leftover"); late != 0 {
				t.Fatalf("the late entry was delivered before shutdown; the test cannot see the shutdown flush")
			}
			fallback := func() int { return strings.Count(f.out.String(), `"message":"late"`) }
			if tt.direct {
				if err := syscall.Kill(f.pid(), syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
				// Until the put is answered and the flush is done, or it
				// gave up: at most the 10 s it has.
				f.waitFor(20*time.Second, "the late entry delivered or in the fallback", func() bool {
					return lateEvents(f, "leftover") > 0 || fallback() > 0
				})
			}
			f.shutdown()
			if delivered, fb := lateEvents(f, "leftover"), fallback(); delivered != 1 || fb != 0 {
				t.Errorf("after SIGTERM the late entry is delivered %d times and in the fallback output %d times; want delivered once", delivered, fb)
			}
		})
	}
}

// What the shutdown flush cannot deliver in time goes to the fallback
// writer (standard output, the function's own log group), counted.
func TestSIGTERMFallsBackWhenThePutIsTooSlow(t *testing.T) {
	f := start(t, config{mode: "wrap", latency: 20 * time.Millisecond})
	f.invoke(payload("slow", 1, 0, 10))
	f.waitOutput(_lateLogged)
	f.srv.SetFaults(cwlogstest.Faults{Outage: true}) // every put fails until the shutdown timeout
	f.shutdown()
	if late := lateEvents(f, "slow"); late != 0 {
		t.Fatalf("the late entry was delivered despite the outage")
	}
	out := f.out.String()
	if n := strings.Count(out, `"message":"late"`); n != 1 {
		t.Errorf("the late entry appears %d times in the function's output, want once (the fallback)", n)
	}
	if !strings.Contains(out, "1 event not delivered: still pending when") {
		t.Errorf("no report of the undelivered event in the function's output")
	}
}

func lateEvents(f *function, tag string) int {
	n := 0
	for _, ev := range f.tagged(tag) {
		if strings.Contains(ev.Message, `"message":"late"`) {
			n++
		}
	}
	return n
}

// When the extension cannot be registered (here: Wrap is first called
// after the Init phase, which Lambda refuses), each invocation syncs before
// it returns, and Wrap says so once.
func TestRefusedRegistrationSyncsInTheHandler(t *testing.T) {
	f := start(t, config{mode: "late", latency: 100 * time.Millisecond})
	for i := range 2 {
		tag := fmt.Sprintf("late-%d", i)
		f.invoke(payload(tag, 3, 0, 0))
		if n := len(f.tagged(tag)); n != 3 {
			t.Errorf("%s: %d of 3 entries stored when the invoke returned", tag, n)
		}
		if rt := f.lastRTDONE(); rt < 100*time.Millisecond {
			t.Errorf("%s: RTDONE %v, want the put's 100 ms inside it", tag, rt)
		}
	}
	if n := strings.Count(f.out.String(), "each invocation syncs before it returns"); n != 1 {
		t.Errorf("the fallback is reported %d times, want once:\n%s", n, f.out.String())
	}
}

// Under Managed Instances the environment is not frozen and internal
// extensions may not subscribe to INVOKE: the extension registers for no
// event, the flush runs after the response in the background, and nothing
// waits for the put.
func TestManagedInstancesFlushInTheBackground(t *testing.T) {
	f := start(t, config{mode: "wrap", latency: _putLatency, env: []string{"CWZL_MAX_CONCURRENCY=4"}})
	f.invoke(payload("cold", 1, 0, 0))
	f.invoke(payload("mi", 5, 0, 0))
	if rt, report := f.lastRTDONE(), f.lastReport(); rt >= _putLatency || report >= _putLatency {
		t.Errorf("RTDONE %v, REPORT %v: want both below the put latency %v", rt, report, _putLatency)
	}
	f.waitFor(20*time.Second, "delivery of the 5 entries after the response", func() bool {
		return len(f.tagged("mi")) >= 5
	})
	if n := len(f.tagged("mi")); n != 5 {
		t.Fatalf("%d entries tagged mi delivered, want 5", n)
	}
	if strings.Contains(f.out.String(), "each invocation syncs before it returns") {
		t.Errorf("the extension was refused:\n%s", f.out.String())
	}
}

// A payload that does not decode never reaches the handler. The error
// response is not delayed, and the extension lets the invocation end at
// the margin flush rather than at the timeout.
func TestUndecodablePayloadEndsAtTheMargin(t *testing.T) {
	f := start(t, config{mode: "wrap", timeout: 2})
	f.invoke(payload("warm", 1, 0, 0))
	got := f.invoke(`"not a request"`)
	if !strings.Contains(got, "errorMessage") {
		t.Fatalf("the invocation answered %s, want the runtime's error", got)
	}
	if rt := f.lastRTDONE(); rt >= time.Second {
		t.Errorf("RTDONE %v: the error response waited", rt)
	}
	if report := f.lastReport(); report >= 2*time.Second {
		t.Errorf("REPORT Duration %v: the invocation ran into its 2 s timeout", report)
	}
}

// WrapHandler takes a handler of any shape through lambda.NewHandler: each
// shape's entries are stored when the invoke returns, and the response
// does not wait for the put.
func TestWrapHandlerTakesEveryShape(t *testing.T) {
	tests := []struct {
		shape, tag string
		perInvoke  int // entries each invocation logs
	}{
		{"ctx-in-err", "shape-ctx-in-err", 4}, // the payload's tag and entries
		{"ctx-err", "ctx-err", 3},
		{"nullary", "nullary", 2},
	}
	for _, tt := range tests {
		t.Run(tt.shape, func(t *testing.T) {
			f := start(t, config{mode: "wrap", shape: tt.shape, latency: 100 * time.Millisecond})
			f.invoke(payload("cold", 1, 0, 0)) // the first put also creates the group and stream
			before := len(f.tagged(tt.tag))
			for i := range 2 {
				got := f.invoke(payload(tt.tag, tt.perInvoke, 0, 0))
				if strings.Contains(got, "errorMessage") {
					t.Fatalf("invocation %d answered %s", i, got)
				}
				if n := len(f.tagged(tt.tag)) - before; n != (i+1)*tt.perInvoke {
					t.Errorf("invocation %d: %d entries stored when the invoke returned, want %d", i, n, (i+1)*tt.perInvoke)
				}
				if rt := f.lastRTDONE(); rt >= 100*time.Millisecond {
					t.Errorf("invocation %d: RTDONE %v, want below the put latency 100ms", i, rt)
				}
			}
		})
	}
}

// A handler that panics has what it logged delivered before the process
// ends, and the panic still reaches the caller as aws-lambda-go reports
// it. aws-lambda-go ends the process right after reporting the panic, so
// the flush must come first: each round has a fresh process, which races
// the extension's flush unless the handler's end syncs first.
func TestPanicDeliversWhatWasLogged(t *testing.T) {
	f := start(t, config{mode: "wrap", latency: 20 * time.Millisecond})
	f.invoke(payload("cold", 1, 0, 0))
	const rounds = 12
	for i := range rounds {
		tag := fmt.Sprintf("panic-%d", i)
		got := f.invoke(fmt.Sprintf(`{"tag":%q,"entries":3,"panic":true}`, tag))
		if !strings.Contains(got, "panic requested") {
			t.Fatalf("round %d: the invocation answered %s, want the panic", i, got)
		}
		if n := len(f.tagged(tag)); n != 3 {
			t.Errorf("round %d: %d of 3 entries logged before the panic stored when the invoke returned", i, n)
		}
	}
	if n := strings.Count(f.out.String(), "panic requested"); n < rounds {
		t.Errorf("the panic is reported %d times in the function's output, want at least %d", n, rounds)
	}
}

// On SIGTERM Wrap closes the Syncer without sending the process a second
// SIGTERM: another listener sees the signal once.
func TestSIGTERMReachesOtherListenersOnce(t *testing.T) {
	f := start(t, config{mode: "wrap", env: []string{"CWZL_SIGNALS=1"}})
	f.invoke(payload("leftover", 1, 0, 10))
	f.waitOutput(_lateLogged)
	f.shutdown()
	if n := strings.Count(f.out.String(), "testfunction: SIGTERM received"); n != 1 {
		t.Errorf("the function's own listener received SIGTERM %d times, want once", n)
	}
	if n := lateEvents(f, "leftover"); n != 1 {
		t.Errorf("the entry left for the shutdown flush is stored %d times, want once", n)
	}
}

// Under Lambda's JSON log format and a WARN application log level, the
// default logger drops INFO entries, and what falls back to standard
// output carries Lambda's level name and an RFC 3339 timestamp, so that
// Lambda's filter keeps it.
func TestLambdaLoggingControls(t *testing.T) {
	f := start(t, config{mode: "wrap", timeout: 1,
		env: []string{"AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_LOG_LEVEL=WARN"}})
	f.invoke(`{"tag":"ctl-delivered","entries":1,"level":"warn"}`)
	// Every put fails until the SIGTERM flush is over: the extension
	// leaves the entries pending, and the shutdown hands them to the
	// fallback.
	f.srv.SetFaults(cwlogstest.Faults{Outage: true})
	f.invoke(`{"tag":"ctl-info","entries":2,"level":"info"}`)
	f.invoke(`{"tag":"ctl-warn","entries":2,"level":"warn"}`)
	f.shutdown()
	f.srv.SetFaults(cwlogstest.Faults{})

	if ev := f.tagged("ctl-delivered"); len(ev) != 1 || !strings.Contains(ev[0].Message, `"level":"WARNING"`) {
		t.Errorf("stored %v, want the delivered entry in cwzap's layout", ev)
	}
	out := f.out.String()
	if strings.Contains(out, `"tag":"ctl-info"`) || len(f.tagged("ctl-info")) != 0 {
		t.Errorf("INFO entries were written under AWS_LAMBDA_LOG_LEVEL=WARN:\n%s", out)
	}
	var lines []string
	for line := range strings.SplitSeq(out, "\n") {
		if strings.Contains(line, `"tag":"ctl-warn"`) {
			lines = append(lines, line)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("%d fallback lines of the WARN entries, want 2:\n%s", len(lines), out)
	}
	for _, line := range lines {
		ts, _, _ := strings.Cut(strings.TrimPrefix(line, `{"timestamp":"`), `"`)
		if _, err := time.Parse(time.RFC3339, ts); err != nil || !strings.Contains(line, `"level":"WARN"`) {
			t.Errorf("fallback line %s: want level WARN and an RFC 3339 timestamp", line)
		}
	}
}

// With a LogBuffer, an invocation's DEBUG entries are stored only when it
// fails: returns an error or panics.
func TestLogBufferUnderTheEmulator(t *testing.T) {
	f := start(t, config{mode: "wrap", env: []string{"CWZL_BUFFER=1"}})
	f.invoke(payload("cold", 1, 0, 0))
	for _, tt := range []struct {
		tag, extra string
		want       int
	}{
		{"buf-ok", "", 0},
		{"buf-fail", `,"fail":true`, 3},
		{"buf-panic", `,"panic":true`, 3},
	} {
		f.invoke(fmt.Sprintf(`{"tag":%q,"entries":3,"level":"debug"%s}`, tt.tag, tt.extra))
		if n := len(f.tagged(tt.tag)); n != tt.want {
			t.Errorf("%s: %d of 3 DEBUG entries stored when the invoke returned, want %d", tt.tag, n, tt.want)
		}
	}
}
