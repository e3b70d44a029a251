package cwzap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// traceKey holds the ids testTrace reads: a stand-in for a tracer's span
// in a context.
type traceKey struct{}

func withIDs(ctx context.Context, traceID, spanID string) context.Context {
	return context.WithValue(ctx, traceKey{}, [2]string{traceID, spanID})
}

func testTrace(ctx context.Context) (traceID, spanID string) {
	ids, _ := ctx.Value(traceKey{}).([2]string)
	return ids[0], ids[1]
}

// customCtx is a context of a type without a String method: zap.Any makes
// a Reflect field of it, where the standard library's make a Stringer one.
type customCtx struct{ context.Context }

const (
	_tid = "4bf92f3577b34da6a3ce929d0e0e4736"
	_sid = "00f067aa0ba902b7"
)

var _spanCtx = withIDs(context.Background(), _tid, _sid)

func traceEncoder(cfg EncoderConfig) *encoder {
	cfg.TraceContext = testTrace
	return newEncoder(cfg, false, nil)
}

func TestEncoderTraceIDsFollowTheLayoutKeys(t *testing.T) {
	enc := traceEncoder(EncoderConfig{SequenceKey: true}).with([]zapcore.Field{zap.String("c1", "a")})
	ent := testEntry(zapcore.ErrorLevel, "m")
	got := encode(t, enc, ent, zap.Bool("e1", true), zap.Any("ctx", _spanCtx), zap.Error(errors.New("x")))
	want := []string{"timestamp", "level", "location", "message", "exception", "seq", "trace_id", "span_id", "c1", "e1"}
	if fmt.Sprint(keysOf(t, got)) != fmt.Sprint(want) {
		t.Errorf("keys: got %v, want %v\n%s", keysOf(t, got), want, got)
	}
	if !strings.Contains(got, `"trace_id":"`+_tid+`","span_id":"`+_sid+`","c1":"a","e1":true}`) {
		t.Errorf("got %s, want the ids before the fields", got)
	}
}

// The context field is found whatever its key and field type, as otelzap
// finds it, and is not written.
func TestEncoderTraceContextField(t *testing.T) {
	tests := []struct {
		name  string
		give  zapcore.Field
		wantT zapcore.FieldType
	}{
		{"zap.Any of a standard library context", zap.Any("ctx", _spanCtx), zapcore.StringerType},
		{"zap.Any of a context of another type", zap.Any("c", customCtx{_spanCtx}), zapcore.ReflectType},
		{"zap.Reflect", zap.Reflect("request", _spanCtx), zapcore.ReflectType},
		{"zap.Stringer", zap.Stringer("", _spanCtx.(fmt.Stringer)), zapcore.StringerType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.give.Type != tt.wantT {
				t.Fatalf("zap made a field of type %v, want %v", tt.give.Type, tt.wantT)
			}
			got := encode(t, traceEncoder(EncoderConfig{}), testEntry(zapcore.InfoLevel, "m"), tt.give, zap.Int("n", 1))
			want := `{` + _ts + `,"level":"INFO","location":"root","message":"m","trace_id":"` + _tid + `","span_id":"` + _sid + `","n":1}` + "\n"
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestEncoderTraceWithoutHookWritesTheContextField(t *testing.T) {
	got := encode(t, NewEncoder(EncoderConfig{}), testEntry(zapcore.InfoLevel, "m"),
		zap.Any("ctx", _spanCtx), zap.String("trace_id", "mine"))
	want := `"message":"m","ctx":"` + fmt.Sprint(_spanCtx) + `","trace_id":"mine"}` + "\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("got %s, want the context as zap writes it and trace_id as it is", got)
	}
}

func TestEncoderTraceIDs(t *testing.T) {
	tests := []struct {
		name       string
		giveCtx    []zapcore.Field
		giveFields []zapcore.Field
		want       string // after the message
	}{
		{"no context field", nil, []zapcore.Field{zap.Int("n", 1)}, `,"n":1}`},
		{"a context without a span", nil, []zapcore.Field{zap.Any("ctx", context.Background())}, `}`},
		{"an empty trace id", nil, []zapcore.Field{zap.Any("ctx", withIDs(context.Background(), "", _sid))},
			`,"span_id":"` + _sid + `"}`},
		{"an empty span id", nil, []zapcore.Field{zap.Any("ctx", withIDs(context.Background(), _tid, ""))},
			`,"trace_id":"` + _tid + `"}`},
		{"the last context field", nil, []zapcore.Field{zap.Any("a", withIDs(context.Background(), "t1", "s1")), zap.Any("b", _spanCtx)},
			`,"trace_id":"` + _tid + `","span_id":"` + _sid + `"}`},
		{"a context field in a namespace", nil, []zapcore.Field{zap.Namespace("ns"), zap.Any("ctx", _spanCtx), zap.Int("n", 1)},
			`,"trace_id":"` + _tid + `","span_id":"` + _sid + `","ns":{"n":1}}`},
		{"With's context", []zapcore.Field{zap.String("c", "x"), zap.Any("ctx", _spanCtx)}, []zapcore.Field{zap.Int("n", 1)},
			`,"trace_id":"` + _tid + `","span_id":"` + _sid + `","c":"x","n":1}`},
		{"the entry's context wins", []zapcore.Field{zap.Any("ctx", _spanCtx)}, []zapcore.Field{zap.Any("ctx", withIDs(context.Background(), "t2", "s2"))},
			`,"trace_id":"t2","span_id":"s2"}`},
		{"the entry's context without a span wins", []zapcore.Field{zap.Any("ctx", _spanCtx)}, []zapcore.Field{zap.Any("ctx", context.TODO())}, `}`},
		{"ids escaped", nil, []zapcore.Field{zap.Any("ctx", withIDs(context.Background(), "a\"\\\n\xff", "\u2028</"))},
			`,"trace_id":"a\"\\\n\ufffd","span_id":"` + "\u2028" + `</"}`},
		{"a field named trace_id", nil, []zapcore.Field{zap.Any("ctx", _spanCtx), zap.String("trace_id", "mine"), zap.String("span_id", "m2")},
			`,"trace_id":"` + _tid + `","span_id":"` + _sid + `","_trace_id":"mine","_span_id":"m2"}`},
		{"a field named trace_id without a context", []zapcore.Field{zap.String("span_id", "c")}, []zapcore.Field{zap.String("trace_id", "mine")},
			`,"_span_id":"c","_trace_id":"mine"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := traceEncoder(EncoderConfig{}).with(tt.giveCtx)
			got := encode(t, enc, testEntry(zapcore.InfoLevel, "m"), tt.giveFields...)
			want := `{` + _ts + `,"level":"INFO","location":"root","message":"m"` + tt.want + "\n"
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// With reads its context once: the ids are those it had then, and a later
// With's context replaces them.
func TestEncoderTraceWithContext(t *testing.T) {
	calls := 0
	enc := newEncoder(EncoderConfig{TraceContext: func(ctx context.Context) (string, string) {
		calls++
		return testTrace(ctx)
	}}, false, nil)
	first := enc.with([]zapcore.Field{zap.Any("ctx", _spanCtx)})
	for range 3 {
		got := encode(t, first, testEntry(zapcore.InfoLevel, "m"))
		if !strings.Contains(got, `"trace_id":"`+_tid+`"`) {
			t.Fatalf("got %s, want With's trace id", got)
		}
	}
	if calls != 1 {
		t.Errorf("the hook ran %d times for With and 3 entries, want once", calls)
	}
	second := first.with([]zapcore.Field{zap.Any("ctx", withIDs(context.Background(), "t2", ""))})
	if got := encode(t, second, testEntry(zapcore.InfoLevel, "m")); !strings.Contains(got, `"message":"m","trace_id":"t2"}`) {
		t.Errorf("got %s, want the later With's ids only", got)
	}
	if got := encode(t, first, testEntry(zapcore.InfoLevel, "m")); !strings.Contains(got, `"trace_id":"`+_tid+`"`) {
		t.Errorf("got %s: a derived logger changed its parent", got)
	}
}

func TestEncoderTraceHookPanics(t *testing.T) {
	enc := newEncoder(EncoderConfig{TraceContext: func(context.Context) (string, string) { panic("no tracer") }}, false, nil)
	got := encode(t, enc, testEntry(zapcore.InfoLevel, "m"), zap.Any("ctx", _spanCtx), zap.Int("n", 1))
	if !strings.HasSuffix(got, `"message":"m","trace_idError":"PANIC=no tracer","n":1}`+"\n") {
		t.Errorf("got %s, want the panic's text and the entry", got)
	}
	got = encode(t, enc.with([]zapcore.Field{zap.Any("ctx", _spanCtx)}), testEntry(zapcore.InfoLevel, "m"))
	if !strings.HasSuffix(got, `"message":"m","trace_idError":"PANIC=no tracer"}`+"\n") {
		t.Errorf("With: got %s, want the panic's text", got)
	}
}

func TestEncoderTraceText(t *testing.T) {
	tests := []struct {
		name       string
		giveCfg    EncoderConfig
		giveCtx    []zapcore.Field
		giveFields []zapcore.Field
		want       string
	}{
		{"ids open the fields", EncoderConfig{Format: FormatShort}, []zapcore.Field{zap.String("c", "x")},
			[]zapcore.Field{zap.Int("n", 1), zap.Any("ctx", _spanCtx)},
			`INFO: : m {"trace_id":"` + _tid + `","span_id":"` + _sid + `","c":"x","n":1}`},
		{"after seq and formatError", EncoderConfig{Format: "#bad", SequenceKey: true}, nil,
			[]zapcore.Field{zap.Any("ctx", _spanCtx)},
			`{"seq":"ID-1","formatError":"cwzap: unknown format \"#bad\" (want \"#standard\", \"#short\", \"#simple\", \"#mini\", \"\" for JSON, or a template such as \"[{level}] {func}: \")","trace_id":"` + _tid + `","span_id":"` + _sid + `"}`},
		{"only a context without a span: no object", EncoderConfig{Format: FormatMini}, nil,
			[]zapcore.Field{zap.Any("ctx", context.Background())}, `m`},
		{"only With's context", EncoderConfig{Format: FormatMini}, []zapcore.Field{zap.Any("ctx", _spanCtx)}, nil,
			`m {"trace_id":"` + _tid + `","span_id":"` + _sid + `"}`},
		{"a field named span_id", EncoderConfig{Format: FormatMini}, nil, []zapcore.Field{zap.String("span_id", "mine")},
			`m {"_span_id":"mine"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := traceEncoder(tt.giveCfg).with(tt.giveCtx)
			if enc.set.seq != nil {
				enc.set.seq.id = "ID"
			}
			got := encode(t, enc, testEntry(zapcore.InfoLevel, "m"), tt.giveFields...)
			if got != tt.want+"\n" && !strings.HasSuffix(got, " "+tt.want+"\n") {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if i := strings.IndexByte(got, '{'); i >= 0 && !json.Valid([]byte(got[i:])) {
				t.Errorf("fields are not JSON: %s", got)
			}
		})
	}
}
