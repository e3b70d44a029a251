package cwzap

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// recorder is a WriteSyncer that records every call in order.
type recorder struct {
	mu       sync.Mutex
	calls    []string // "write", "entry", "sync"
	events   []string
	times    []time.Time
	writeErr error
	syncErr  error
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "write")
	r.events = append(r.events, string(p))
	return len(p), r.writeErr
}

func (r *recorder) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "sync")
	return r.syncErr
}

// entryRecorder adds WriteEntry, like *Syncer.
type entryRecorder struct{ recorder }

func (r *entryRecorder) WriteEntry(t time.Time, p []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "entry")
	r.events = append(r.events, string(p))
	r.times = append(r.times, t)
	return r.writeErr
}

func (r *recorder) snapshot() (calls, events []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...), append([]string(nil), r.events...)
}

func decodeEvent(t *testing.T, ev string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(ev), &m); err != nil {
		t.Fatalf("event %q: %v", ev, err)
	}
	return m
}

func TestCoreOneWritePerEntry(t *testing.T) {
	ws := &recorder{}
	logger := zap.New(NewCore(ws, zap.InfoLevel))
	logger.Debug("filtered")
	logger.Info("one", zap.Int("n", 1))
	logger.Warn("two")
	calls, events := ws.snapshot()
	if strings.Join(calls, ",") != "write,write" {
		t.Fatalf("calls %v, want two writes and no sync", calls)
	}
	if m := decodeEvent(t, events[0]); m["message"] != "one" || m["n"] != 1.0 || m["level"] != "INFO" {
		t.Errorf("event 0: %v", m)
	}
	if m := decodeEvent(t, events[1]); m["message"] != "two" || m["level"] != "WARNING" {
		t.Errorf("event 1: %v", m)
	}
}

func TestCoreWriteEntryGetsEntryTime(t *testing.T) {
	ws := &entryRecorder{}
	core := NewCore(ws, zap.DebugLevel)
	ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: _t0, Message: "m"}
	if ce := core.Check(ent, nil); ce == nil {
		t.Fatal("Check dropped an enabled entry")
	} else {
		ce.Write(zap.String("k", "v"))
	}
	calls, events := ws.snapshot()
	if strings.Join(calls, ",") != "entry" {
		t.Fatalf("calls %v, want one WriteEntry", calls)
	}
	if !ws.times[0].Equal(_t0) {
		t.Errorf("WriteEntry time %v, want %v", ws.times[0], _t0)
	}
	want := `{` + _ts + `,"level":"INFO","location":"root","message":"m","k":"v"}` + "\n"
	if events[0] != want {
		t.Errorf("got %s, want %s", events[0], want)
	}
}

func TestCoreLevels(t *testing.T) {
	tests := []struct {
		give    zapcore.Level
		want    bool
		wantLvl zapcore.Level
	}{
		{zapcore.DebugLevel, false, zapcore.WarnLevel},
		{zapcore.InfoLevel, false, zapcore.WarnLevel},
		{zapcore.WarnLevel, true, zapcore.WarnLevel},
		{zapcore.ErrorLevel, true, zapcore.WarnLevel},
	}
	core := NewCore(&recorder{}, zap.WarnLevel)
	for _, tt := range tests {
		t.Run(tt.give.String(), func(t *testing.T) {
			if got := core.Enabled(tt.give); got != tt.want {
				t.Errorf("Enabled(%v) = %v, want %v", tt.give, got, tt.want)
			}
			if got := core.Check(zapcore.Entry{Level: tt.give}, nil) != nil; got != tt.want {
				t.Errorf("Check(%v) kept = %v, want %v", tt.give, got, tt.want)
			}
			if got := zapcore.LevelOf(core); got != tt.wantLvl {
				t.Errorf("LevelOf = %v, want %v", got, tt.wantLvl)
			}
		})
	}
}

func TestCoreWithAndNamed(t *testing.T) {
	ws := &recorder{}
	base := zap.New(NewCore(ws, zap.InfoLevel))
	child := base.Named("svc").With(zap.String("req", "r1"), zap.Error(errors.New("ctx err")))
	child.Info("hello", zap.Int("n", 2))
	base.Info("plain")
	_, events := ws.snapshot()
	if len(events) != 2 {
		t.Fatalf("got %d events, want 2", len(events))
	}
	want := `,"level":"INFO","location":"svc","message":"hello","exception":"ctx err","req":"r1","n":2}` + "\n"
	if !strings.HasSuffix(events[0], want) {
		t.Errorf("child: got %s, want suffix %s", events[0], want)
	}
	if want := `"location":"root","message":"plain"}` + "\n"; !strings.HasSuffix(events[1], want) {
		t.Errorf("base must not see the child's context: %s", events[1])
	}
}

func TestCoreCaller(t *testing.T) {
	ws := &recorder{}
	zap.New(NewCore(ws, zap.InfoLevel), zap.AddCaller()).Named("app").Info("m")
	_, events := ws.snapshot()
	loc, _ := decodeEvent(t, events[0])["location"].(string)
	if !strings.HasPrefix(loc, "app.TestCoreCaller:") {
		t.Errorf("location %q, want app.TestCoreCaller:<line>", loc)
	}
}

func TestCoreSyncs(t *testing.T) {
	tests := []struct {
		name      string
		give      func(*zap.Logger)
		wantCalls string
	}{
		{"info does not sync", func(l *zap.Logger) { l.Info("m") }, "write"},
		{"error does not sync", func(l *zap.Logger) { l.Error("m") }, "write"},
		{"dpanic syncs", func(l *zap.Logger) { l.DPanic("m") }, "write,sync"},
		{"panic syncs", func(l *zap.Logger) {
			defer func() { _ = recover() }()
			l.Panic("m")
		}, "write,sync"},
		{"purge field syncs", func(l *zap.Logger) { l.Info("m", zap.Int("a", 1), Purge()) }, "write,sync"},
		{"purge context syncs every entry", func(l *zap.Logger) {
			p := l.With(Purge())
			p.Info("a")
			p.Debug("filtered")
			p.Info("b")
		}, "write,sync,write,sync"},
		{"logger Sync", func(l *zap.Logger) { _ = l.Sync() }, "sync"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := &recorder{}
			tt.give(zap.New(NewCore(ws, zap.InfoLevel)))
			calls, events := ws.snapshot()
			if got := strings.Join(calls, ","); got != tt.wantCalls {
				t.Errorf("calls %s, want %s", got, tt.wantCalls)
			}
			for _, ev := range events {
				if strings.Contains(ev, "purge") {
					t.Errorf("the Purge field was written: %s", ev)
				}
				if !json.Valid([]byte(ev)) {
					t.Errorf("invalid event %q", ev)
				}
			}
		})
	}
}

func TestCoreErrorsPropagate(t *testing.T) {
	errWrite, errSync := errors.New("write failed"), errors.New("sync failed")
	tests := []struct {
		name     string
		giveWS   zapcore.WriteSyncer
		giveLvl  zapcore.Level
		giveF    []zapcore.Field
		wantErrs []error
	}{
		{"write error", &recorder{writeErr: errWrite}, zapcore.InfoLevel, nil, []error{errWrite}},
		{"WriteEntry error", &entryRecorder{recorder{writeErr: errWrite}}, zapcore.InfoLevel, nil, []error{errWrite}},
		{"sync error on purge", &recorder{syncErr: errSync}, zapcore.InfoLevel, []zapcore.Field{Purge()}, []error{errSync}},
		{"both", &recorder{writeErr: errWrite, syncErr: errSync}, zapcore.DPanicLevel, nil, []error{errWrite, errSync}},
		{"sync error ignored without purge", &recorder{syncErr: errSync}, zapcore.InfoLevel, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := NewCore(tt.giveWS, zap.DebugLevel)
			err := core.Write(zapcore.Entry{Level: tt.giveLvl, Time: _t0, Message: "m"}, tt.giveF)
			if len(tt.wantErrs) == 0 && err != nil {
				t.Errorf("Write = %v, want nil", err)
			}
			for _, want := range tt.wantErrs {
				if !errors.Is(err, want) {
					t.Errorf("Write = %v, want it to wrap %v", err, want)
				}
			}
		})
	}
	if err := NewCore(&recorder{syncErr: errSync}, zap.InfoLevel).Sync(); !errors.Is(err, errSync) {
		t.Errorf("Sync = %v, want %v", err, errSync)
	}
}

func TestCoreOptionsAndAccessors(t *testing.T) {
	ws := &recorder{}
	zc := NewCore(ws, zap.InfoLevel, WithFormat(FormatMini), WithFunction("Fn"))
	c, ok := zc.(*core)
	if !ok {
		t.Fatalf("NewCore returned a %T", zc)
	}
	if c.out != ws {
		t.Error("the core does not write to ws")
	}
	child := zc.With([]zapcore.Field{zap.Int("a", 1)})
	if child.(*core).out != ws {
		t.Error("a child core must write to the same WriteSyncer")
	}
	zap.New(zc).Warn("careful")
	if _, events := ws.snapshot(); len(events) != 1 || events[0] != "WARNING: Fn: careful\n" {
		t.Errorf("events %q, want the #mini text", events)
	}
}

func TestCoreConcurrent(t *testing.T) {
	ws := &entryRecorder{}
	logger := zap.New(NewCore(ws, zap.InfoLevel)).With(zap.String("c", "x"))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				logger.Info("m", zap.Int("g", g), zap.Int("i", i))
			}
		}()
	}
	wg.Wait()
	_, events := ws.snapshot()
	if len(events) != 400 {
		t.Fatalf("got %d events, want 400", len(events))
	}
	for _, ev := range events {
		if m := decodeEvent(t, ev); m["c"] != "x" {
			t.Fatalf("event lost its context: %s", ev)
		}
	}
}

func TestNewCoreRefusesNilArguments(t *testing.T) {
	tests := []struct {
		name     string
		giveWS   zapcore.WriteSyncer
		giveEnab zapcore.LevelEnabler
		want     string
	}{
		{"nil ws", nil, zapcore.InfoLevel, "cwzap: NewCore: ws is nil"},
		{"nil *Syncer", (*Syncer)(nil), zapcore.InfoLevel, "cwzap: NewCore: ws is a nil *Syncer"},
		{"nil enab", &recorder{}, nil, "cwzap: NewCore: enab is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.HasPrefix(msg, tt.want) {
					t.Errorf("NewCore panicked with %v, want a message starting %q", r, tt.want)
				}
			}()
			NewCore(tt.giveWS, tt.giveEnab)
			t.Errorf("NewCore accepted %v, %v", tt.giveWS, tt.giveEnab)
		})
	}
}
