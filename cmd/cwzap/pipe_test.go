package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/cwzap/cwzap/cwlogstest"
)

func TestPipeThenTail(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	out, errOut, err := cli(t, "first line\n\nsecond line\r\n{\"json\":true}", "pipe", "-group", "/cli/test", "-stream", "s1", "-endpoint", srv.URL)
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	if out != "" || errOut != "cwzap: 3 lines: 3 delivered, 0 to stderr\n" {
		t.Errorf("pipe printed %q and %q; the empty line is not an event, the rest are delivered", out, errOut)
	}
	events := srv.Events("/cli/test", "s1")
	if len(events) != 3 || events[0].Message != "first line" || events[1].Message != "second line" || events[2].Message != `{"json":true}` {
		t.Fatalf("endpoint holds %+v", events)
	}
	out, _, err = cli(t, "", "tail", "-group", "/cli/test", "-stream", "s1", "-endpoint", srv.URL, "-n", "2")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || len(lines) != 2 || !strings.HasSuffix(lines[0], " second line") || !strings.HasSuffix(lines[1], ` json=true`) {
		t.Errorf("tail -n 2: %v, printed %q, want the last two events", err, lines)
	}
	_, errOut, _ = cli(t, "only\n", "pipe", "-group", "/cli/test", "-stream", "s1", "-endpoint", srv.URL)
	if errOut != "cwzap: 1 line: 1 delivered, 0 to stderr\n" {
		t.Errorf("one line: %q", errOut)
	}
}

func TestPipeTakesLinesOfAnyLength(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	long := strings.Repeat("0123456789abcdef", 17<<20/16) // 17 MiB, one line
	_, out, err := cli(t, "short\n"+long+"\nlast\n", "pipe", "-group", "g", "-stream", "s", "-endpoint", srv.URL)
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	events := srv.Events("g", "s")
	if len(events) < 2+17 {
		t.Fatalf("%d events; the 17 MiB line must become at least 17", len(events))
	}
	// The parts are numbered objects, stored in order.
	var joined strings.Builder
	for i, e := range events[1 : len(events)-1] {
		if len(e.Message) > 1_048_576-26 {
			t.Fatalf("an event of %d bytes is over the limit", len(e.Message))
		}
		var p struct {
			Part, Parts int
			Chunk       string
		}
		if err := json.Unmarshal([]byte(e.Message), &p); err != nil || p.Part != i+1 || p.Parts != len(events)-2 {
			t.Fatalf("event %d is not part %d of %d in order: %v %.80s", i+1, i+1, len(events)-2, err, e.Message)
		}
		joined.WriteString(p.Chunk)
	}
	if events[0].Message != "short" || events[len(events)-1].Message != "last" || joined.String() != long {
		t.Fatalf("the parts do not give the line back")
	}
	if !strings.HasPrefix(out, "cwzap: 3 lines, ") || !strings.Contains(out, " events: ") {
		t.Errorf("summary %q should count 3 lines and their events", out)
	}
}

// A failed delivery is said once, in one line that names pipe's flag and
// not the library's option, before the summary.
func TestPipeDeliveryFailureReportedOnce(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	srv.SetFaults(cwlogstest.Faults{Outage: true})
	var out bytes.Buffer // stdout and stderr, in the order written
	err := run(context.Background(), []string{"pipe", "-group", "g", "-stream", "s", "-endpoint", srv.URL, "-timeout", "1s", "-flush", "1ms"},
		strings.NewReader("lost line\n"), &out, &out)
	if !errors.Is(err, errReported) {
		t.Fatalf("pipe during an outage returned %v, want errReported (printed already)", err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("pipe printed %q, want the undelivered line, why, then the summary", lines)
	}
	// The fallback writer gets the line as it fails, then why, then the count.
	if lines[0] != "lost line" || lines[2] != "cwzap: 1 line: 0 delivered, 1 to stderr" {
		t.Errorf("pipe printed %q", lines)
	}
	// Which deadline ends the put first, -timeout's put or its sync, is a
	// matter of scheduling; either way the flag is named.
	why := lines[1]
	for _, want := range []string{"cwzap: g/s: 1 event not delivered", "-timeout", "written to stderr"} {
		if !strings.Contains(why, want) {
			t.Errorf("why = %q, want it to hold %q", why, want)
		}
	}
	for _, bad := range []string{"WithPutTimeout", "WithSyncTimeout", "https", "RequestID", "fallback writer"} {
		if strings.Contains(why, bad) {
			t.Errorf("why = %q holds %q", why, bad)
		}
	}
	if strings.Count(out.String(), "not delivered") != 1 {
		t.Errorf("the error is said more than once: %q", out.String())
	}
}

func TestPipeErrorLineNamesFlags(t *testing.T) {
	tests := []struct{ give, want string }{
		{"cwzap: g/s: 1 event not delivered: failed (PutLogEvents gave up after 5 attempts over 1s: WithPutTimeout (1s) passed; last error: " +
			"PutLogEvents: https response error StatusCode: 503, RequestID: r-1, ServiceUnavailableException: The service is unavailable.); written to the fallback writer",
			"cwzap: g/s: 1 event not delivered: failed (PutLogEvents gave up after 5 attempts over 1s: -timeout (1s) passed; last error: " +
				"PutLogEvents: ServiceUnavailableException: The service is unavailable.); written to stderr"},
		{"cwzap: g/s: 1 event not delivered: still pending when the sync deadline passed (WithSyncTimeout 1s); written to the fallback writer",
			"cwzap: g/s: 1 event not delivered: still pending when the sync deadline passed (-timeout 1s); written to stderr"},
		{"cwzap: g/s: 3 events not delivered: found the buffer full (WithBufferLimit); written to the fallback writer",
			"cwzap: g/s: 3 events not delivered: found the buffer full; written to stderr"},
		{"cwzap: g/s: buffer full (WithBufferLimit 67108864 bytes): events go to the fallback writer until puts catch up",
			"cwzap: g/s: buffer full (67108864 bytes): events go to stderr until puts catch up"},
		{"cwzap: g/s: 2 events not delivered: failed (x); dropped (OverflowDrop, or the fallback writer was stuck)",
			"cwzap: g/s: 2 events not delivered: failed (x); dropped (stderr took no more)"},
	}
	for _, tt := range tests {
		if got := pipeErrorLine(errors.New(tt.give)); got != tt.want {
			t.Errorf("pipeErrorLine\n got %q\nwant %q", got, tt.want)
		}
	}
}

// Input that pipe used to take silently, as a default or a literal name,
// is refused before anything is sent.
func TestPipeRefusesBadFlags(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	tests := []struct {
		give []string
		want string
	}{
		{[]string{"-stream", "s-{date"}, `-stream "s-{date": placeholder "{date" is not closed with '}'`},
		{[]string{"-stream", "s-{}"}, `-stream "s-{}": a '{' must open a placeholder`},
		{[]string{"-stream", "s-{a b}"}, `-stream "s-{a b}": placeholder "{a" is not closed`},
		{[]string{"-group", "g-{date"}, `-group "g-{date": placeholder "{date" is not closed`},
		{[]string{"-stream", "a:b"}, `-stream "a:b": ':' is not allowed in a log stream name`},
		{[]string{"-group", "my group"}, `-group "my group": ' ' is not allowed in a log group name`},
		{[]string{"-group", "g-{hostname} x"}, `-group "g-{hostname} x" ("g-host x"): ' ' is not allowed in a log group name`},
		{[]string{"-flush", "-1s"}, "-flush must be positive, not -1s"},
		{[]string{"-flush", "0s"}, "-flush must be positive, not 0s"},
	}
	for _, tt := range tests {
		args := append([]string{"pipe", "-group", "g", "-stream", "s", "-endpoint", srv.URL}, tt.give...)
		out, errOut, err := cli(t, "a line\n", args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("pipe %q = %v, want an error holding %q", tt.give, err, tt.want)
		}
		if out != "" || errOut != "" {
			t.Errorf("pipe %q printed %q %q; the error is main's to print", tt.give, out, errOut)
		}
	}
	groups, err := srv.Client().DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{})
	if err != nil || len(groups.LogGroups) != 0 {
		t.Errorf("refused input created %d groups (%v), want none", len(groups.LogGroups), err)
	}
}

func TestPipeNameTemplate(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	before := time.Now().UTC().Format(time.DateOnly)
	out, _, err := cli(t, "a\nb\n", "pipe", "-group", "/cli/test", "-stream", "s-{date}", "-endpoint", srv.URL)
	if err != nil {
		t.Fatalf("pipe: %v, printed %q", err, out)
	}
	events := srv.Events("/cli/test", "s-"+before)
	if after := time.Now().UTC().Format(time.DateOnly); len(events) == 0 && after != before {
		events = srv.Events("/cli/test", "s-"+after)
	}
	if len(events) != 2 || events[0].Message != "a" || events[1].Message != "b" {
		t.Errorf("today's stream holds %+v, want a and b", events)
	}
	if _, _, err := cli(t, "a\n", "pipe", "-group", "g", "-stream", "s-{nope}", "-endpoint", srv.URL); err == nil || !strings.Contains(err.Error(), "{nope}") {
		t.Errorf("pipe with {nope}: %v, want an error naming it", err)
	}
}

// The built command keeps stdout for data: pipe's count is on stderr.
func TestPipeKeepsStdoutEmpty(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	r := exe(t, "a\nb\n\nc\n", "pipe", "-group", "g", "-stream", "s", "-endpoint", srv.URL)
	if r.code != 0 || r.stdout != "" || r.stderr != "cwzap: 3 lines: 3 delivered, 0 to stderr\n" {
		t.Errorf("pipe: exit %d, stdout %q, stderr %q; want 0, nothing, the count", r.code, r.stdout, r.stderr)
	}
	if n := len(srv.Events("g", "s")); n != 3 {
		t.Errorf("%d events stored, want 3", n)
	}
}

// An endpoint down from the start: every line goes to stderr, then why,
// then the count; nothing is sent and stdout stays empty.
func TestPipeEndpointDownWritesLinesToStderr(t *testing.T) {
	isolate(t)
	addr := deadAddr(t)
	r := exe(t, "first\n\nsecond\r\nthird", "pipe", "-group", "g", "-stream", "s", "-endpoint", "http://"+addr)
	want := "first\nsecond\nthird\n" +
		"cwzap: cannot reach -endpoint http://" + addr + ": connect: connection refused (is cwzap serve running?); 3 lines written to stderr\n" +
		"cwzap: 3 lines: 0 delivered, 3 to stderr\n"
	if r.code != 1 || r.stdout != "" || r.stderr != want {
		t.Errorf("pipe to a dead endpoint: exit %d, stdout %q, stderr\n%s\nwant exit 1 and stderr\n%s", r.code, r.stdout, r.stderr, want)
	}
}

// gate is a proxy in front of a server that passes every call until
// PutLogEvents has succeeded once, then answers the later puts as its
// deny says; passed is closed after the first success.
type gate struct {
	*httptest.Server
	passed chan struct{}
	once   sync.Once
	done   atomic.Bool // a put succeeded
}

func newGate(t *testing.T, target string, deny func(w http.ResponseWriter, r *http.Request)) *gate {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	g := &gate{passed: make(chan struct{})}
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Header.Get("X-Amz-Target") == "Logs_20140328.PutLogEvents" && resp.StatusCode == http.StatusOK {
			g.done.Store(true)
			g.once.Do(func() { close(g.passed) })
		}
		return nil
	}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == "Logs_20140328.PutLogEvents" && g.done.Load() {
			deny(w, r)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(g.Close)
	return g
}

// start runs the built cwzap with a stdin the test writes to.
func start(t *testing.T, args ...string) (stdin io.WriteCloser, wait func() result) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return stdin, func() result {
		_ = cmd.Wait()
		return result{out.String(), errOut.String(), cmd.ProcessState.ExitCode()}
	}
}

// A failure in the middle of the input: the lines after it go to stderr,
// with why and the count, and the first stays delivered.
func TestPipeFailureMidStreamWritesLinesToStderr(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	fill(t, srv)
	g := newGate(t, srv.URL, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"__type":"AccessDeniedException","message":"not allowed"}`))
	})
	stdin, wait := start(t, "pipe", "-group", "g", "-stream", "s", "-endpoint", g.URL, "-flush", "1ms")
	io.WriteString(stdin, "first\n")
	<-g.passed // the first line is delivered; the puts that follow are denied
	io.WriteString(stdin, "second\nthird\n")
	stdin.Close()
	r := wait()
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if r.code != 1 || r.stdout != "" || len(lines) != 4 {
		t.Fatalf("pipe: exit %d, stdout %q, stderr %q; want 1, nothing, two lines, why and the count", r.code, r.stdout, r.stderr)
	}
	if lines[0] != "second" || lines[1] != "third" || lines[3] != "cwzap: 3 lines: 1 delivered, 2 to stderr" {
		t.Errorf("stderr = %q", lines)
	}
	if !strings.HasPrefix(lines[2], "cwzap: g/s: 2 events not delivered: failed (") || !strings.Contains(lines[2], "AccessDeniedException: not allowed") ||
		!strings.HasSuffix(lines[2], "; written to stderr") || _optionName.MatchString(lines[2]) {
		t.Errorf("why = %q", lines[2])
	}
	if ev := srv.Events("g", "s"); len(ev) != 1 || ev[0].Message != "first" {
		t.Errorf("stored %+v, want the first line alone", ev)
	}
}

// Puts that never answer: at the end, -timeout passes and the lines go to
// stderr; the message names -timeout, not the library's options.
func TestPipeDeadlineWritesLinesToStderr(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	fill(t, srv, "before")
	release := make(chan struct{})
	defer close(release)
	g := newGate(t, srv.URL, func(w http.ResponseWriter, r *http.Request) {
		select { // no answer: the client gives up
		case <-r.Context().Done():
		case <-release:
		}
	})
	g.done.Store(true) // hold every put
	r := exe(t, "one\ntwo\n", "pipe", "-group", "g", "-stream", "s", "-endpoint", g.URL, "-timeout", "1s")
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if r.code != 1 || r.stdout != "" || len(lines) != 4 {
		t.Fatalf("pipe: exit %d, stdout %q, stderr %q; want 1, nothing, the lines, why and the count", r.code, r.stdout, r.stderr)
	}
	if lines[0] != "one" || lines[1] != "two" || lines[3] != "cwzap: 2 lines: 0 delivered, 2 to stderr" {
		t.Errorf("stderr = %q", lines)
	}
	if !strings.HasPrefix(lines[2], "cwzap: g/s: 2 events not delivered: ") || !strings.Contains(lines[2], "-timeout") ||
		_optionName.MatchString(lines[2]) {
		t.Errorf("why = %q; want it to name -timeout and no option of the library", lines[2])
	}
}
