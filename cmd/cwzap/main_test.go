package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cwzap-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	_binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

var (
	_binDir   string // TestMain's; removed when the tests end
	_binOnce  sync.Once
	_bin      string // the built cwzap
	_binError error
)

// binary returns the path of cwzap, built once for the whole run.
func binary(t *testing.T) string {
	t.Helper()
	_binOnce.Do(func() {
		_bin = filepath.Join(_binDir, "cwzap")
		// go test puts the go command that runs it first on PATH.
		out, err := exec.Command("go", "build", "-o", _bin, ".").CombinedOutput()
		if err != nil {
			_binError = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if _binError != nil {
		t.Fatal(_binError)
	}
	return _bin
}

// result is what a run of the binary printed, and how it ended.
type result struct {
	stdout, stderr string
	code           int
}

// exe runs the built cwzap with args and stdin, in the environment of the
// test (isolate's), and waits for it to end.
func exe(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("cwzap %q: %v", args, err)
	}
	return result{out.String(), errOut.String(), cmd.ProcessState.ExitCode()}
}

// _optionName is a library option's name, which no CLI message may hold:
// the user wrote flags.
var _optionName = regexp.MustCompile(`\bWith[A-Z][A-Za-z]+|OverflowDrop|fallback writer`)

// isolate clears the AWS configuration of the environment for one test, so
// that nothing is read from the machine and no metadata service is asked.
func isolate(t *testing.T) {
	t.Helper()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", dir+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// cli runs cwzap with args and stdin, and returns what it printed.
func cli(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestHelp(t *testing.T) {
	tests := [][]string{{"-h"}, {"--help"}, {"help"}, {"-help"}, {"help", "tail"},
		{"pipe", "-h"}, {"tail", "--help"}, {"serve", "-h"}, {"pipe", "-group", "g", "-h"}}
	for _, args := range tests {
		out, errOut, err := cli(t, "", args...)
		if err != nil || !strings.Contains(out, "usage: ") && !strings.Contains(out, "usage:\n") || errOut != "" {
			t.Errorf("cwzap %s: err %v, stdout %.60q, stderr %q; want the usage on stdout and success", strings.Join(args, " "), err, out, errOut)
		}
	}
	out, _, _ := cli(t, "", "tail", "-h")
	for _, flag := range []string{"-endpoint", "-timeout", "-filter", "-level", "-since", "-json", "-f", "-date", "dummies"} {
		if !strings.Contains(out, flag) {
			t.Errorf("tail -h does not mention %s", flag)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	isolate(t)
	tests := []struct {
		give []string
		want string
	}{
		{nil, "no command given"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"pipe", "-bogus"}, "pipe: flag provided but not defined: -bogus (see cwzap pipe -h)"},
		{[]string{"tail", "-n"}, "tail: flag needs an argument: -n"},
		{[]string{"tail", "-group", "g", "-stream", "s", "extra"}, `unexpected argument "extra"`},
		{[]string{"pipe", "-endpoint", "http://127.0.0.1:1"}, "-group and -stream are required"},
		{[]string{"tail", "-group", "g"}, "-group and -stream are required"},
		{[]string{"tail", "-group", "g", "-stream", "s", "-n", "-3"}, "-n must be 0 or more"},
		{[]string{"tail", "-group", "g", "-stream", "s", "-level", "LOUD"}, `-level "LOUD" is not one of`},
		{[]string{"tail", "-group", "g", "-stream", "s", "-since", "yesterday"}, `-since "yesterday" is neither`},
		{[]string{"tail", "-group", "g", "-stream", "s", "-timeout", "0s"}, "-timeout must be positive"},
		{[]string{"serve", "-addr", "not an address"}, "not an address"},
		{[]string{"serve", "-throttle", "2"}, "-throttle must be a fraction from 0 to 1"},
	}
	for _, tt := range tests {
		out, errOut, err := cli(t, "", tt.give...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("cwzap %q = %v, want an error containing %q", tt.give, err, tt.want)
			continue
		}
		// main prints the error; nothing else may print it, or the usage.
		if out != "" || errOut != "" && tt.give != nil {
			t.Errorf("cwzap %q printed the error itself: stdout %q stderr %q", tt.give, out, errOut)
		}
		if line := errorLine(err); strings.Count(line, "cwzap:") != 1 || strings.Contains(line, "\n") {
			t.Errorf("error line %q: want one line with one cwzap: prefix", line)
		}
	}
}

func TestErrorLineHasOnePrefix(t *testing.T) {
	err := fmt.Errorf("cwzap: %w", errors.New("cwzap: new syncer:\nbad group"))
	if got, want := errorLine(err), "cwzap: new syncer: bad group"; got != want {
		t.Fatalf("errorLine = %q, want %q", got, want)
	}
}

// syncBuffer is an output a test can read while a command writes to it,
// and wait on.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced on each write
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the output holds want. The deadline only guards
// against a hang; the test is driven by what the command writes.
func (s *syncBuffer) waitFor(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		s.mu.Lock()
		got, changed := s.b.String(), s.changed
		s.mu.Unlock()
		if strings.Contains(got, want) {
			return got
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("output never held %q; it is %q", want, got)
		}
	}
}

// background runs cwzap until the test stops it, and returns its output
// and a function that stops it and returns its error.
func background(t *testing.T, args ...string) (*syncBuffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := newSyncBuffer()
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, strings.NewReader(""), out, out) }()
	stopped := false
	var err error
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			err = <-done
		}
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return out, stop
}
