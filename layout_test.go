package cwzap

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestEncoderJSONBasicLine(t *testing.T) {
	got := encode(t, NewEncoder(EncoderConfig{}), testEntry(zapcore.InfoLevel, "hello"))
	want := `{` + _ts + `,"level":"INFO","location":"root","message":"hello"}` + "\n"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestEncoderJSONLevels(t *testing.T) {
	tests := []struct {
		give zapcore.Level
		want string
	}{
		{zapcore.DebugLevel, "DEBUG"},
		{zapcore.InfoLevel, "INFO"},
		{zapcore.WarnLevel, "WARNING"},
		{zapcore.ErrorLevel, "ERROR"},
		{zapcore.DPanicLevel, "CRITICAL"},
		{zapcore.PanicLevel, "CRITICAL"},
		{zapcore.FatalLevel, "CRITICAL"},
		{zapcore.Level(-3), "LEVEL(-3)"},
		{zapcore.Level(9), "LEVEL(9)"},
	}
	enc := NewEncoder(EncoderConfig{})
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := encode(t, enc, testEntry(tt.give, "m"))
			if !strings.Contains(got, `,"level":"`+tt.want+`",`) {
				t.Errorf("level %v: got %s, want level %q", tt.give, got, tt.want)
			}
		})
	}
}

func TestEncoderJSONLocation(t *testing.T) {
	tests := []struct {
		name     string
		giveName string
		giveCall zapcore.EntryCaller
		want     string
	}{
		{"no caller, root", "", zapcore.EntryCaller{}, "root"},
		{"no caller, named", "svc.http", zapcore.EntryCaller{}, "svc.http"},
		{"method", "svc", zapcore.EntryCaller{Defined: true, Function: "github.com/x/y.(*Server).handle", Line: 42}, "svc.(*Server).handle:42"},
		{"closure in main", "", zapcore.EntryCaller{Defined: true, Function: "main.run.func1", Line: 7}, "root.run.func1:7"},
		{"plain function", "", zapcore.EntryCaller{Defined: true, Function: "example.com/lambda.handler", Line: 3}, "root.handler:3"},
		{"escaped dots in path", "", zapcore.EntryCaller{Defined: true, Function: "gopkg.in/yaml%2ev3.(*Decoder).Decode", Line: 1}, "root.(*Decoder).Decode:1"},
		{"no function", "n", zapcore.EntryCaller{Defined: true, Line: 5}, "n:5"},
		{"name needs escaping", "a\"b", zapcore.EntryCaller{}, `a\"b`},
	}
	enc := NewEncoder(EncoderConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ent := testEntry(zapcore.InfoLevel, "m")
			ent.LoggerName, ent.Caller = tt.giveName, tt.giveCall
			got := encode(t, enc, ent)
			if !strings.Contains(got, `"location":"`+tt.want+`","message"`) {
				t.Errorf("got %s, want location %s", got, tt.want)
			}
		})
	}
}

func TestEncoderJSONMessage(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string // raw JSON of the message value
	}{
		{"plain", "hello", `"hello"`},
		{"object embedded", `{"a": 1, "b": [true, null], "s": "x y"}`, `{"a":1,"b":[true,null],"s":"x y"}`},
		{"array embedded, surrounding space", " \n [1, 2 ,\t3] \n", `[1,2,3]`},
		{"escapes in strings kept", `{"q": "a\"b \\ c\n"}`, `{"q":"a\"b \\ c\n"}`},
		{"number stays string", "42", `"42"`},
		{"true stays string", "true", `"true"`},
		{"null stays string", "null", `"null"`},
		{"quoted string stays string", `"x"`, `"\"x\""`},
		{"invalid JSON stays string", `{"a":`, `"{\"a\":"`},
		{"trailing text stays string", `{"a":1} x`, `"{\"a\":1} x"`},
		{"invalid UTF-8 stays string", "{\"a\":\"\xff\"}", `"{\"a\":\"\ufffd\"}"`},
		{"empty", "", `""`},
	}
	enc := NewEncoder(EncoderConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encode(t, enc, testEntry(zapcore.InfoLevel, tt.give))
			var m struct{ Message json.RawMessage }
			if err := json.Unmarshal([]byte(got), &m); err != nil {
				t.Fatal(err)
			}
			if string(m.Message) != tt.want {
				t.Errorf("message %q: got %s, want %s", tt.give, m.Message, tt.want)
			}
		})
	}
}

type richError struct{ msg string }

func (e richError) Error() string { return e.msg }

func (e richError) Format(s fmt.State, verb rune) {
	if s.Flag('+') {
		fmt.Fprint(s, e.msg+" (verbose)")
		return
	}
	fmt.Fprint(s, e.msg)
}

type panickyError struct{}

func (*panickyError) Error() string { panic("error boom") }

func TestEncoderJSONException(t *testing.T) {
	e1, e2 := errors.New("first"), errors.New("second")
	tests := []struct {
		name       string
		giveCtx    []zapcore.Field
		giveFields []zapcore.Field
		giveStack  string
		want       string // the object after the message
	}{
		{"none", nil, nil, "", `}`},
		{"entry error", nil, []zapcore.Field{zap.Error(e1)}, "", `,"exception":"first"}`},
		{"context error", []zapcore.Field{zap.Error(e1)}, []zapcore.Field{zap.Int("n", 1)}, "", `,"exception":"first","n":1}`},
		{"context and entry errors", []zapcore.Field{zap.Error(e1)}, []zapcore.Field{zap.Error(e2)}, "", `,"exception":"first\nsecond"}`},
		{"stack only", nil, nil, "main.f\n\t/a.go:1", `,"exception":"main.f\n\t/a.go:1"}`},
		{"error and stack", nil, []zapcore.Field{zap.Error(e1)}, "stk", `,"exception":"first\nstk"}`},
		{"named error is a field", nil, []zapcore.Field{zap.NamedError("cause", e1)}, "", `,"cause":"first"}`},
		{"named rich error has Verbose", nil, []zapcore.Field{zap.NamedError("cause", richError{"r"})}, "", `,"cause":"r","causeVerbose":"r (verbose)"}`},
		{"error in namespace is a field", nil, []zapcore.Field{zap.Namespace("ns"), zap.Error(e1)}, "", `,"ns":{"error":"first"}}`},
		{"error in context namespace is a field", []zapcore.Field{zap.Namespace("ns")}, []zapcore.Field{zap.Error(e1)}, "", `,"ns":{"error":"first"}}`},
		{"panicking Error", nil, []zapcore.Field{zap.Error(&panickyError{})}, "", `,"exception":"PANIC=error boom"}`},
		{"nil pointer error", nil, []zapcore.Field{zap.Error((*panickyError)(nil))}, "", `,"exception":"\u003cnil\u003e"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := newEncoder(EncoderConfig{}).with(tt.giveCtx)
			ent := testEntry(zapcore.ErrorLevel, "m")
			ent.Stack = tt.giveStack
			got := encode(t, enc, ent, tt.giveFields...)
			prefix := `{` + _ts + `,"level":"ERROR","location":"root","message":"m"`
			// Compare after normalising through encoding/json for \u003c.
			var gotV, wantV any
			if err := json.Unmarshal([]byte(got), &gotV); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(prefix+tt.want), &wantV); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, prefix) || fmt.Sprint(gotV) != fmt.Sprint(wantV) {
				t.Errorf("got  %s\nwant %s%s", got, prefix, tt.want)
			}
			if wantKeys := keysOf(t, prefix+tt.want); fmt.Sprint(keysOf(t, got)) != fmt.Sprint(wantKeys) {
				t.Errorf("keys: got %v, want %v", keysOf(t, got), wantKeys)
			}
		})
	}
}

// The context's exception must survive Clone and further With calls.
func TestEncoderJSONExceptionCloned(t *testing.T) {
	enc := newEncoder(EncoderConfig{}).with([]zapcore.Field{zap.Error(errors.New("ctx"))})
	clone := enc.Clone().(*encoder).with([]zapcore.Field{zap.String("k", "v")})
	got := encode(t, clone, testEntry(zapcore.InfoLevel, "m"))
	if !strings.Contains(got, `"exception":"ctx","k":"v"}`) {
		t.Errorf("got %s, want the context exception after Clone", got)
	}
}

func TestEncoderJSONCollidingKeys(t *testing.T) {
	tests := []struct {
		name       string
		giveCtx    []zapcore.Field
		giveFields []zapcore.Field
		want       string
	}{
		{"entry fields", nil, []zapcore.Field{
			zap.String("timestamp", "t"), zap.String("level", "l"), zap.String("location", "o"),
			zap.Int("message", 1), zap.String("exception", "x"),
		}, `,"_timestamp":"t","_level":"l","_location":"o","_message":1,"_exception":"x"}`},
		{"context field", []zapcore.Field{zap.String("level", "c")}, nil, `,"_level":"c"}`},
		{"named error", nil, []zapcore.Field{zap.NamedError("exception", errors.New("e"))}, `,"_exception":"e"}`},
		{"inside namespace kept", nil, []zapcore.Field{zap.Namespace("ns"), zap.String("level", "l")}, `,"ns":{"level":"l"}}`},
		{"inside object kept", nil, []zapcore.Field{zap.Object("o", objFunc(func(e zapcore.ObjectEncoder) error {
			e.AddString("message", "m")
			return nil
		}))}, `,"o":{"message":"m"}}`},
		{"inline is top level", nil, []zapcore.Field{zap.Inline(objFunc(func(e zapcore.ObjectEncoder) error {
			e.AddString("level", "i")
			return nil
		}))}, `,"_level":"i"}`},
		{"similar keys kept", nil, []zapcore.Field{zap.String("Level", "a"), zap.String("levels", "b"), zap.String("msg", "c")}, `,"Level":"a","levels":"b","msg":"c"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := newEncoder(EncoderConfig{}).with(tt.giveCtx)
			got := encode(t, enc, testEntry(zapcore.InfoLevel, "m"), tt.giveFields...)
			want := `{` + _ts + `,"level":"INFO","location":"root","message":"m"` + tt.want + "\n"
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			keys := keysOf(t, got)
			seen := map[string]bool{}
			for _, k := range keys {
				if seen[k] {
					t.Errorf("duplicate key %q in %s", k, got)
				}
				seen[k] = true
			}
		})
	}
}

func TestEncoderJSONFieldOrder(t *testing.T) {
	enc := newEncoder(EncoderConfig{}).with([]zapcore.Field{zap.String("c1", "a"), zap.Int("c2", 2)})
	ent := testEntry(zapcore.ErrorLevel, "m")
	got := encode(t, enc, ent, zap.Bool("e1", true), zap.Error(errors.New("x")), zap.String("e2", "b"))
	want := []string{"timestamp", "level", "location", "message", "exception", "c1", "c2", "e1", "e2"}
	if fmt.Sprint(keysOf(t, got)) != fmt.Sprint(want) {
		t.Errorf("keys: got %v, want %v", keysOf(t, got), want)
	}
}

func TestEncoderEncodeTime(t *testing.T) {
	tests := []struct {
		name string
		give zapcore.TimeEncoder
		want string
	}{
		{"ISO8601", zapcore.ISO8601TimeEncoder, `"timestamp":"2024-03-05T06:07:08.009+0200"`},
		{"RFC3339 UTC", func(t time.Time, e zapcore.PrimitiveArrayEncoder) { zapcore.RFC3339TimeEncoder(t.UTC(), e) }, `"timestamp":"2024-03-05T04:07:08Z"`},
		{"epoch millis number", zapcore.EpochMillisTimeEncoder, `"timestamp":1709611628009.5`},
		{"no-op falls back", func(time.Time, zapcore.PrimitiveArrayEncoder) {}, _ts},
		{"two values become an array", func(t time.Time, e zapcore.PrimitiveArrayEncoder) {
			e.AppendString("a")
			e.AppendInt(1)
		}, `"timestamp":["a",1]`},
		{"string escaped", func(t time.Time, e zapcore.PrimitiveArrayEncoder) { e.AppendString("\"\xff") }, `"timestamp":"\"\ufffd"`},
		{"layout escaped", zapcore.TimeEncoderOfLayout(`"Jan"`), `"timestamp":"\"Mar\""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := NewEncoder(EncoderConfig{EncodeTime: tt.give})
			got := encode(t, enc, testEntry(zapcore.InfoLevel, "m"), zap.Time("f", _t0))
			want := `{` + tt.want + `,"level":"INFO","location":"root","message":"m","f":` +
				strings.TrimPrefix(strings.TrimPrefix(tt.want, `"timestamp":`), _ts) + "}\n"
			if tt.want == _ts {
				want = `{` + _ts + `,"level":"INFO","location":"root","message":"m","f":"2024-03-05 04:07:08,009"}` + "\n"
			}
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestEncoderDefaultTimestamp(t *testing.T) {
	tests := []struct {
		give time.Time
		want string
	}{
		{time.Date(2024, 12, 31, 23, 59, 59, 999_999_999, time.UTC), "2024-12-31 23:59:59,999"},
		{time.Date(5, 1, 2, 3, 4, 5, 6_000_000, time.UTC), "0005-01-02 03:04:05,006"},
		{time.Date(12345, 1, 2, 3, 4, 5, 0, time.UTC), "12345-01-02 03:04:05,000"},
		{time.Date(2024, 1, 1, 0, 30, 0, 0, time.FixedZone("", 3600)), "2023-12-31 23:30:00,000"},
		{time.Time{}, "0001-01-01 00:00:00,000"},
	}
	enc := NewEncoder(EncoderConfig{})
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			ent := testEntry(zapcore.InfoLevel, "m")
			ent.Time = tt.give
			got := encode(t, enc, ent)
			if !strings.HasPrefix(got, `{"timestamp":"`+tt.want+`",`) {
				t.Errorf("got %s, want timestamp %s", got, tt.want)
			}
		})
	}
}
