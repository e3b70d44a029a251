package cwzap

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cwzap/cwzap/cwlogstest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// captureStd redirects the presets' stdout and stderr for one test. Tests
// that use it must not run in parallel.
func captureStd(t *testing.T) (stdout, stderr *lockedBuffer) {
	t.Helper()
	stdout, stderr = &lockedBuffer{}, &lockedBuffer{}
	oldOut, oldErr := _stdout, _stderr
	_stdout = func() io.Writer { return stdout }
	_stderr = func() io.Writer { return stderr }
	t.Cleanup(func() { _stdout, _stderr = oldOut, oldErr })
	return stdout, stderr
}

func mustNew(t *testing.T, give any, opts ...Option) *zap.Logger {
	t.Helper()
	l, err := New(give, opts...)
	if err != nil {
		t.Fatalf("New(%#v): %v", give, err)
	}
	t.Cleanup(func() { _ = l.Sync() })
	return l
}

func TestNewLevel(t *testing.T) {
	captureStd(t)
	tests := []struct {
		name string
		give any
		want zapcore.Level
	}{
		{"class only", "#print", zapcore.InfoLevel},
		{"name", map[string]any{"class": "#print", "level": "Warning"}, zapcore.WarnLevel},
		{"JSON number", []byte(`{"class": "#print", "level": 40}`), zapcore.ErrorLevel},
		{"numeric string", map[string]string{"class": "#print", "level": "10"}, zapcore.DebugLevel},
		{"critical", Spec{Class: "#standard-logger", Level: "critical"}, zapcore.DPanicLevel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustNew(t, tt.give)
			if got := l.Level(); got != tt.want {
				t.Errorf("Level() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestClassCode(t *testing.T) {
	captureStd(t)
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	cwOpts := []SyncerOption{WithClient(srv.Client()), WithFlushInterval(time.Hour)}

	cw := mustNew(t, map[string]any{"class": "cloud-watch", "group": "g", "stream": "s"}, WithClient(srv.Client()), WithFlushInterval(time.Hour))
	cwPrint := mustNew(t, "cloud-watch") // no group: prints
	prt := mustNew(t, "#print")
	null := mustNew(t, nil)
	std := mustNew(t, "#standard-logger")

	syncer, err := NewSyncer("g", "s2", cwOpts...)
	if err != nil {
		t.Fatal(err)
	}
	defer syncer.Close()

	consoleCore := zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()), zapcore.AddSync(io.Discard), zap.DebugLevel)
	tee := func(cores ...*zap.Logger) *zap.Logger {
		cs := []zapcore.Core{consoleCore}
		for _, l := range cores {
			cs = append(cs, l.Core())
		}
		return zap.New(zapcore.NewTee(cs...))
	}
	increase := func(l *zap.Logger) *zap.Logger {
		return l.WithOptions(zap.IncreaseLevel(zap.FatalLevel))
	}

	tests := []struct {
		name          string
		give          *zap.Logger
		wantClass     string
		wantPurgeable bool
	}{
		{"cloud-watch", cw, "cloud-watch", true},
		{"cloud-watch without a group", cwPrint, "cloud-watch", true},
		{"#print", prt, "#print", false},
		{"#null", null, "#null", false},
		{"#standard-logger", std, "#standard-logger", false},
		{"With", cw.With(zap.String("k", "v")), "cloud-watch", true},
		{"With twice", prt.With(zap.Int("a", 1)).With(zap.Int("b", 2)), "#print", false},
		{"With on #null", null.With(zap.String("k", "v")), "#null", false},
		{"Named", std.Named("sub"), "#standard-logger", false},
		{"AddCallerSkip", cw.WithOptions(zap.AddCallerSkip(1)), "cloud-watch", true},
		{"IncreaseLevel", increase(cw), "cloud-watch", true},
		{"IncreaseLevel on #print", increase(prt), "#print", false},
		{"IncreaseLevel then With", increase(prt).With(zap.Int("a", 1)), "#print", false},
		{"Hooks", cw.WithOptions(zap.Hooks(func(zapcore.Entry) error { return nil })), "cloud-watch", true},
		{"tee with a console core", tee(cw), "cloud-watch", true},
		{"tee, first preset wins", tee(null, cw), "#null", false},
		{"NewCore over a Syncer", zap.New(NewCore(syncer, zap.InfoLevel)), "cloud-watch", true},
		{"NewCore over a Syncer, With", zap.New(NewCore(syncer, zap.InfoLevel)).With(zap.Int("a", 1)), "cloud-watch", true},
		{"tee with a NewCore over a Syncer", zap.New(zapcore.NewTee(consoleCore, NewCore(syncer, zap.InfoLevel))), "cloud-watch", true},
		{"NewCore over stdout", zap.New(NewCore(zapcore.AddSync(io.Discard), zap.InfoLevel)), "#unrecognised", false},
		{"core replaced", cw.WithOptions(zap.WrapCore(func(zapcore.Core) zapcore.Core { return consoleCore })), "#unrecognised", false},
		{"zap.NewExample", zap.NewExample(), "#unrecognised", false},
		{"zap.NewNop", zap.NewNop(), "#unrecognised", false},
		{"nil", nil, "#unrecognised", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassCode(tt.give); got != tt.wantClass {
				t.Errorf("ClassCode = %q, want %q", got, tt.wantClass)
			}
			if got := IsPurgeable(tt.give); got != tt.wantPurgeable {
				t.Errorf("IsPurgeable = %v, want %v", got, tt.wantPurgeable)
			}
		})
	}
}

func TestClassCodeWritesNothing(t *testing.T) {
	stdout, stderr := captureStd(t)
	for _, l := range []*zap.Logger{mustNew(t, "#print"), mustNew(t, "#standard-logger"), mustNew(t, "cloud-watch")} {
		ClassCode(l)
		IsPurgeable(l.WithOptions(zap.IncreaseLevel(zap.ErrorLevel)))
		if err := l.Sync(); err != nil {
			t.Errorf("Sync: %v", err)
		}
	}
	if stdout.String() != "" || stderr.String() != "" {
		t.Errorf("ClassCode wrote stdout %q, stderr %q", stdout, stderr)
	}
}

// decodeLayout parses one line of the JSON layout and checks its keys.
func decodeLayout(t *testing.T, line string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("not the JSON layout: %q: %v", line, err)
	}
	for _, k := range []string{"timestamp", "level", "location", "message"} {
		if _, ok := m[k]; !ok {
			t.Errorf("event %q has no %q key", line, k)
		}
	}
	return m
}

func TestNewWritesToTheRightStream(t *testing.T) {
	tests := []struct {
		name       string
		give       any
		wantStdout bool
	}{
		{"#print", "#print", true},
		{"cloud-watch without a group", map[string]any{"logging": map[string]any{"class": "cloud-watch"}}, true},
		{"cloud-watch with a stream but no group", Spec{CloudWatch: CloudWatchSpec{Stream: "s"}}, true},
		{"#standard-logger", "#standard-logger", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr := captureStd(t)
			l := mustNew(t, tt.give)
			l.Debug("below the threshold")
			l.Info("hello", zap.Int("n", 1))
			if err := l.Sync(); err != nil {
				t.Errorf("Sync: %v", err)
			}
			got, other := stdout.String(), stderr.String()
			if !tt.wantStdout {
				got, other = other, got
			}
			if other != "" {
				t.Errorf("wrote to the other stream: %q", other)
			}
			lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
			if len(lines) != 1 {
				t.Fatalf("got %d lines %q, want 1", len(lines), got)
			}
			m := decodeLayout(t, lines[0])
			if m["message"] != "hello" || m["level"] != "INFO" || m["n"] != 1.0 {
				t.Errorf("event = %v, want message hello, level INFO, n 1", m)
			}
			if loc, _ := m["location"].(string); !strings.Contains(loc, "TestNewWritesToTheRightStream") {
				t.Errorf("location = %q, want the caller (zap.AddCaller)", loc)
			}
		})
	}
}

func TestNullLoggerDiscards(t *testing.T) {
	stdout, stderr := captureStd(t)
	l := mustNew(t, "#null")
	l.Error("gone")
	if ce := l.Check(zap.ErrorLevel, "gone"); ce != nil {
		t.Errorf("Check(ErrorLevel) = %v, want nil", ce)
	}
	if err := l.Sync(); err != nil {
		t.Errorf("Sync: %v", err)
	}
	if stdout.String() != "" || stderr.String() != "" {
		t.Errorf("#null wrote stdout %q, stderr %q", stdout, stderr)
	}
}

func TestNewFormats(t *testing.T) {
	tests := []struct {
		name string
		give any
		opts []Option
		want string
	}{
		{"#mini", map[string]any{"class": "#print", "format": "#mini", "function": "intake"}, nil, "WARNING: intake: careful\n"},
		{"#simple", map[string]any{"class": "#print", "format": "#simple", "function": "intake"}, nil, "intake: careful\n"},
		{"#short", map[string]any{"class": "#print", "format": "#short", "function": "intake"}, nil, "WARNING: intake: careful\n"},
		{"template", map[string]any{"class": "#print", "format": "[{level}|{func}] ", "function": "intake"}, nil, "[WARNING|intake] careful\n"},
		{"function from the option", map[string]any{"class": "#print", "format": "#simple"}, []Option{WithFunction("opt")}, "opt: careful\n"},
		{"the spec's function wins", map[string]any{"class": "#print", "format": "#simple", "function": "spec"}, []Option{WithFunction("opt")}, "spec: careful\n"},
		{"the spec's format wins", map[string]any{"class": "#print", "format": "#simple", "function": "f"}, []Option{WithFormat(FormatMini)}, "f: careful\n"},
		{"format from the option", map[string]any{"class": "#print", "function": "f"}, []Option{WithFormat(FormatSimple)}, "f: careful\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _ := captureStd(t)
			l := mustNew(t, tt.give, tt.opts...)
			l.Warn("careful")
			if got := stdout.String(); got != tt.want {
				t.Errorf("wrote %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewCloudWatchPurge(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	const group, stream = "/app/orders", "orders-2024-05-01"
	l := mustNew(t,
		map[string]any{"logging": map[string]any{
			"class": "cloud-watch", "level": "info",
			"cloud-watch": map[string]any{"group": group, "stream": stream, "function": "intake"},
		}},
		WithClient(srv.Client()), WithFlushInterval(time.Hour))

	l.Info("order received", zap.String("order", "A-1"), Purge())
	events := srv.Events(group, stream)
	if len(events) != 1 {
		t.Fatalf("after a Purge entry the stream has %d events, want 1", len(events))
	}
	m := decodeLayout(t, events[0].Message)
	if m["message"] != "order received" || m["order"] != "A-1" || m["level"] != "INFO" {
		t.Errorf("event = %v", m)
	}

	// Without Purge the entry waits (the flush interval is an hour) until
	// the logger's Sync, which is the purge.
	l.Info("queued")
	if n := len(srv.Events(group, stream)); n != 1 {
		t.Errorf("before Sync the stream has %d events, want 1", n)
	}
	if err := l.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if n := len(srv.Events(group, stream)); n != 2 {
		t.Errorf("after Sync the stream has %d events, want 2", n)
	}
}

func TestNewCloudWatchAtDebugAlsoPrints(t *testing.T) {
	tests := []struct {
		giveLevel string
		wantPrint bool
	}{
		{"debug", true},
		{"info", false},
	}
	for _, tt := range tests {
		t.Run(tt.giveLevel, func(t *testing.T) {
			stdout, _ := captureStd(t)
			srv := cwlogstest.NewServer()
			t.Cleanup(srv.Close)
			l := mustNew(t, Spec{Class: "cloud-watch", Level: tt.giveLevel, CloudWatch: CloudWatchSpec{Group: "g", Stream: "s"}},
				WithClient(srv.Client()))
			l.Info("both places")
			if err := l.Sync(); err != nil {
				t.Fatal(err)
			}
			if n := len(srv.Events("g", "s")); n != 1 {
				t.Errorf("stream has %d events, want 1", n)
			}
			if printed := strings.Contains(stdout.String(), `"message":"both places"`); printed != tt.wantPrint {
				t.Errorf("printed to stdout: %v, want %v (stdout %q)", printed, tt.wantPrint, stdout.String())
			}
			if ClassCode(l) != ClassCloudWatch {
				t.Errorf("ClassCode = %q", ClassCode(l))
			}
		})
	}
}

func TestNewCloudWatchCritical(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	l := mustNew(t, Spec{Class: "cloud-watch", Level: "CRITICAL", CloudWatch: CloudWatchSpec{Group: "g", Stream: "s"}},
		WithClient(srv.Client()), WithFlushInterval(time.Hour))

	l.Error("below critical")
	l.DPanic("critical") // must not panic: New never builds a Development logger
	events := srv.Events("g", "s")
	if len(events) != 1 {
		t.Fatalf("stream has %d events, want 1 (the critical entry, delivered at once)", len(events))
	}
	if m := decodeLayout(t, events[0].Message); m["level"] != "CRITICAL" || m["message"] != "critical" {
		t.Errorf("event = %v, want level CRITICAL", m)
	}
}

// ClassCode's probe is above FatalLevel, so a sampler that keeps one entry
// per level and tick neither counts it nor drops it.
func TestClassCodeBehindSampler(t *testing.T) {
	captureStd(t)
	l := mustNew(t, "#print").WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(c, time.Hour, 1, 0)
	}))
	for i := range 100 {
		if got := ClassCode(l); got != ClassPrint {
			t.Fatalf("call %d: ClassCode = %q, want %q", i, got, ClassPrint)
		}
	}
	// The sampler still has its one FatalLevel slot for a real entry.
	if ce := l.Core().Check(zapcore.Entry{Level: zapcore.FatalLevel, Message: "first"}, nil); ce == nil {
		t.Error("the first fatal entry was sampled away: the probes were counted")
	}
}
