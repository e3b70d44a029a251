package cwzap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// _t0 is 2024-03-05 04:07:08.009 UTC, given in another zone to check the
// conversion.
var _t0 = time.Date(2024, 3, 5, 6, 7, 8, 9_500_000, time.FixedZone("EET", 2*3600))

const _ts = `"timestamp":"2024-03-05 04:07:08,009"`

func testEntry(level zapcore.Level, msg string) zapcore.Entry {
	return zapcore.Entry{Level: level, Time: _t0, Message: msg}
}

// encode runs EncodeEntry on enc and checks the output's framing: valid
// UTF-8, exactly one trailing newline, and valid JSON for the JSON layout.
//
// For the JSON layout it also checks that the wire form of the same
// encoder (encoder_wire.go) writes the same entry (checkWireForm).
func encode(t *testing.T, enc zapcore.Encoder, ent zapcore.Entry, fields ...zapcore.Field) string {
	t.Helper()
	var twin *encoder
	if e, ok := enc.(*encoder); ok && !e.set.text {
		twin = e.wireTwin()
	}
	buf, err := enc.EncodeEntry(ent, fields)
	if err != nil {
		t.Fatalf("EncodeEntry: %v", err)
	}
	out := buf.String()
	buf.Free()
	if !utf8.ValidString(out) {
		t.Errorf("output is not valid UTF-8: %q", out)
	}
	if !strings.HasSuffix(out, "\n") || strings.HasSuffix(out, "\n\n") {
		t.Errorf("output must end in exactly one newline: %q", out)
	}
	if e, ok := enc.(*encoder); ok && !e.set.text && !json.Valid([]byte(out)) {
		t.Errorf("output is not valid JSON: %q", out)
	}
	if twin != nil {
		checkWireForm(t, twin, ent, fields, out)
	}
	return out
}

// keysOf returns the top-level keys of a JSON object in order.
func keysOf(t *testing.T, obj string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %q", obj)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("decode %q: %v", obj, err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("decode %q: %v", obj, err)
		}
	}
	return keys
}

func TestEncoderCloneIsIndependent(t *testing.T) {
	enc := NewEncoder(EncoderConfig{})
	enc.AddString("base", "1")
	clone := enc.Clone()
	clone.AddString("clone", "2")
	enc.AddString("orig", "3")
	gotEnc := encode(t, enc, testEntry(zapcore.InfoLevel, "m"))
	gotClone := encode(t, clone, testEntry(zapcore.InfoLevel, "m"))
	if !strings.HasSuffix(gotEnc, `"base":"1","orig":"3"}`+"\n") {
		t.Errorf("original: %s", gotEnc)
	}
	if !strings.HasSuffix(gotClone, `"base":"1","clone":"2"}`+"\n") {
		t.Errorf("clone: %s", gotClone)
	}
}

func TestEncoderNamespaceInContext(t *testing.T) {
	enc := NewEncoder(EncoderConfig{})
	enc.AddString("a", "1")
	enc.OpenNamespace("ns")
	enc.AddString("level", "2")
	got := encode(t, enc, testEntry(zapcore.InfoLevel, "m"), zap.Int("b", 3))
	if want := `"message":"m","a":"1","ns":{"level":"2","b":3}}` + "\n"; !strings.HasSuffix(got, want) {
		t.Errorf("got %s, want suffix %s", got, want)
	}
}

func TestEncoderLargeBufferNotPooled(t *testing.T) {
	enc := NewEncoder(EncoderConfig{})
	big := strings.Repeat("x", 100<<10)
	for range 10 {
		buf, _ := enc.EncodeEntry(testEntry(zapcore.InfoLevel, big), nil)
		if buf.Len() < 100<<10 {
			t.Fatalf("entry too short: %d", buf.Len())
		}
		buf.Free()
		if b := _bufPool.Get(); b.Cap() > _maxPooled {
			t.Fatalf("a %d-byte buffer went back to the pool", b.Cap())
		}
	}
}

// A production zap.Config carries an epoch EncodeTime and keys "ts" and
// "msg"; the cwzap encoding writes its own layout whatever they say.
func TestEncoderRegisteredWithZap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	cfg := zap.NewProductionConfig()
	cfg.Encoding = "cwzap"
	cfg.OutputPaths = []string{path}
	cfg.DisableCaller = true
	l, err := cfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	l.Named("svc").Info("hi", zap.Int("n", 1))
	_ = l.Sync()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	want := regexp.MustCompile(`^\{"timestamp":"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}","level":"INFO","location":"svc","message":"hi","n":1\}\n$`)
	if !want.MatchString(got) {
		t.Errorf("got %s, want the cwzap layout with its own timestamp and keys", got)
	}
}

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
			enc := newEncoder(EncoderConfig{}, false, nil).with(tt.giveCtx)
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
	enc := newEncoder(EncoderConfig{}, false, nil).with([]zapcore.Field{zap.Error(errors.New("ctx"))})
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
			enc := newEncoder(EncoderConfig{}, false, nil).with(tt.giveCtx)
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
	enc := newEncoder(EncoderConfig{}, false, nil).with([]zapcore.Field{zap.String("c1", "a"), zap.Int("c2", 2)})
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

// TestAppendAsctime checks the kept second against time.Format: entries
// of one second, of the next, and one of an earlier second again.
func TestAppendAsctime(t *testing.T) {
	base := time.Date(2026, 12, 4, 23, 59, 58, 0, time.UTC)
	for _, d := range []time.Duration{0, 1, 999 * time.Millisecond, time.Second, 1500 * time.Millisecond,
		2 * time.Second, -time.Hour, 2 * time.Second, 400 * 24 * time.Hour, 999_999_999} {
		at := base.Add(d).In(time.FixedZone("", -5*3600))
		buf := _bufPool.Get()
		appendAsctime(buf, at)
		if got, want := buf.String(), at.UTC().Format(_asctime); got != want {
			t.Errorf("appendAsctime(%v) = %s; want %s", at, got, want)
		}
		buf.Free()
	}
	// Times of random days, each followed by one of the same day, from
	// year 1 to 9999.
	r := rand.New(rand.NewPCG(1, 2))
	lo, hi := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC).UnixMilli()
	for range 2000 {
		at := time.UnixMilli(lo + r.Int64N(hi-lo))
		for _, at := range []time.Time{at, at.Add(time.Duration(r.Int64N(int64(time.Hour))))} {
			buf := _bufPool.Get()
			appendAsctime(buf, at)
			if got, want := buf.String(), at.UTC().Format(_asctime); got != want {
				t.Fatalf("appendAsctime(%v) = %s; want %s", at, got, want)
			}
			buf.Free()
		}
	}
}

type objFunc func(zapcore.ObjectEncoder) error

func (f objFunc) MarshalLogObject(e zapcore.ObjectEncoder) error { return f(e) }

type arrFunc func(zapcore.ArrayEncoder) error

func (f arrFunc) MarshalLogArray(e zapcore.ArrayEncoder) error { return f(e) }

type stringer string

func (s stringer) String() string { return string(s) }

type panicStringer struct{ p *int }

func (s *panicStringer) String() string { return fmt.Sprint(*s.p) }

func TestEncoderAllTypes(t *testing.T) {
	t1 := time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC)
	all := objFunc(func(e zapcore.ObjectEncoder) error {
		e.AddBinary("bin", []byte("hi"))
		e.AddByteString("bs", []byte("b\"s"))
		e.AddBool("b", true)
		e.AddComplex128("c128", complex(1, -2))
		e.AddComplex64("c64", complex64(complex(1.5, 2)))
		e.AddDuration("d", 1500*time.Millisecond)
		e.AddFloat64("f64", 1.25)
		e.AddFloat32("f32", 0.5)
		e.AddInt("i", -1)
		e.AddInt64("i64", math.MinInt64)
		e.AddInt32("i32", -32)
		e.AddInt16("i16", -16)
		e.AddInt8("i8", -8)
		e.AddString("s", "str")
		e.AddTime("t", t1)
		e.AddUint("u", 1)
		e.AddUint64("u64", math.MaxUint64)
		e.AddUint32("u32", 32)
		e.AddUint16("u16", 16)
		e.AddUint8("u8", 8)
		e.AddUintptr("up", 0x10)
		if err := e.AddReflected("r", map[string]int{"x": 1}); err != nil {
			return err
		}
		if err := e.AddArray("arr", arrFunc(func(a zapcore.ArrayEncoder) error {
			a.AppendBool(false)
			a.AppendByteString([]byte("x"))
			a.AppendComplex128(complex(0, 1))
			a.AppendComplex64(complex64(complex(2, -1)))
			a.AppendFloat64(2.5)
			a.AppendFloat32(-0.25)
			a.AppendInt(1)
			a.AppendInt64(2)
			a.AppendInt32(3)
			a.AppendInt16(4)
			a.AppendInt8(5)
			a.AppendString("s")
			a.AppendUint(6)
			a.AppendUint64(7)
			a.AppendUint32(8)
			a.AppendUint16(9)
			a.AppendUint8(10)
			a.AppendUintptr(11)
			a.AppendDuration(time.Second)
			a.AppendTime(t1)
			if err := a.AppendReflected([]int{1}); err != nil {
				return err
			}
			if err := a.AppendArray(arrFunc(func(a zapcore.ArrayEncoder) error { a.AppendInt(0); return nil })); err != nil {
				return err
			}
			return a.AppendObject(objFunc(func(e zapcore.ObjectEncoder) error { e.AddInt("k", 1); return nil }))
		})); err != nil {
			return err
		}
		e.OpenNamespace("ns")
		e.AddString("in", "ns")
		return nil
	})
	got := encode(t, NewEncoder(EncoderConfig{}), testEntry(zapcore.InfoLevel, "m"), zap.Object("all", all), zap.String("after", "x"))
	want := `{` + _ts + `,"level":"INFO","location":"root","message":"m","all":{` +
		`"bin":"aGk=","bs":"b\"s","b":true,"c128":"1-2i","c64":"1.5+2i","d":1.5,"f64":1.25,"f32":0.5,` +
		`"i":-1,"i64":-9223372036854775808,"i32":-32,"i16":-16,"i8":-8,"s":"str","t":"2020-01-02T03:04:05.000000006Z",` +
		`"u":1,"u64":18446744073709551615,"u32":32,"u16":16,"u8":8,"up":16,"r":{"x":1},` +
		`"arr":[false,"x","0+1i","2-1i",2.5,-0.25,1,2,3,4,5,"s",6,7,8,9,10,11,1,"2020-01-02T03:04:05.000000006Z",[1],[0],{"k":1}],` +
		`"ns":{"in":"ns"}},"after":"x"}` + "\n"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestEncoderFieldTypes(t *testing.T) {
	t1 := time.Date(2020, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	tests := []struct {
		give zapcore.Field
		want string
	}{
		{zap.String("k", "v"), `"k":"v"`},
		{zap.Int("k", -5), `"k":-5`},
		{zap.Int32("k", -5), `"k":-5`},
		{zap.Int16("k", -5), `"k":-5`},
		{zap.Int8("k", -5), `"k":-5`},
		{zap.Uint64("k", math.MaxUint64), `"k":18446744073709551615`},
		{zap.Uint32("k", math.MaxUint32), `"k":4294967295`},
		{zap.Uint16("k", math.MaxUint16), `"k":65535`},
		{zap.Uint8("k", math.MaxUint8), `"k":255`},
		{zap.Uintptr("k", 7), `"k":7`},
		{zap.Bool("k", false), `"k":false`},
		{zap.Float64("k", 3.5), `"k":3.5`},
		{zap.Float32("k", 3.5), `"k":3.5`},
		{zap.Float64("k", math.NaN()), `"k":"NaN"`},
		{zap.Float64("k", math.Inf(1)), `"k":"+Inf"`},
		{zap.Float32("k", float32(math.Inf(-1))), `"k":"-Inf"`},
		{zap.Duration("k", 250*time.Millisecond), `"k":0.25`},
		{zap.Time("k", t1), `"k":"2020-01-02T03:04:05+01:00"`},
		{zap.Time("k", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)), `"k":"3000-01-01T00:00:00Z"`}, // TimeFullType
		{zap.Binary("k", bytes.Repeat([]byte{0xff}, 50)), `"k":"` + strings.Repeat("/", 64) + `//8="`},
		{zap.ByteString("k", []byte("a\x00\xff")), `"k":"a\u0000\ufffd"`},
		{zap.Complex128("k", complex(math.NaN(), math.Inf(1))), `"k":"NaN++Infi"`},
		{zap.Stringer("k", stringer("s")), `"k":"s"`},
		{zap.Stringer("k", &panicStringer{}), `"kError":"PANIC=runtime error: invalid memory address or nil pointer dereference"`},
		{zap.Stringer("k", (*panicStringer)(nil)), `"k":"<nil>"`},
		{zap.Any("k", struct{ A int }{1}), `"k":{"A":1}`},
		{zap.Reflect("k", math.NaN()), `"kError":"json: unsupported value: NaN"`},
		{zap.Reflect("k", nil), `"k":null`},
		{zap.Reflect("k", "<&>"), `"k":"<&>"`},
		{zap.Reflect("k", json.RawMessage("\"a\xff\xfeb\"")), "\"k\":\"a\uFFFDb\""}, // encoding/json checks a MarshalJSON's JSON, not its UTF-8
		{zap.Strings("k", []string{"a", "b"}), `"k":["a","b"]`},
		{zap.Ints("k", nil), `"k":[]`},
		{zap.Skip(), ``},
		{Purge(), ``},
		{zap.String("a\"\n\x01\xff", "v\t\\"), `"a\"\n\u0001\ufffd":"v\t\\"`},
		{zap.String("k", "é€😀"), `"k":"é€😀"`},
		{zap.Errors("k", []error{errors.New("a")}), `"k":[{"error":"a"}]`},
	}
	enc := NewEncoder(EncoderConfig{})
	for _, tt := range tests {
		t.Run(tt.give.Key, func(t *testing.T) {
			got := encode(t, enc, testEntry(zapcore.InfoLevel, "m"), tt.give)
			want := `{` + _ts + `,"level":"INFO","location":"root","message":"m"`
			if tt.want != "" {
				want += "," + tt.want
			}
			want += "}\n"
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestEncoderPanics(t *testing.T) {
	boom := func() { panic("boom") }
	tests := []struct {
		name string
		give zapcore.Field
		want string
	}{
		{"object", zap.Object("o", objFunc(func(e zapcore.ObjectEncoder) error {
			e.AddInt("a", 1)
			boom()
			return nil
		})), `"o":{"a":1},"oError":"PANIC=boom"`},
		{"object after namespace", zap.Object("o", objFunc(func(e zapcore.ObjectEncoder) error {
			e.OpenNamespace("ns")
			e.AddInt("a", 1)
			boom()
			return nil
		})), `"o":{"ns":{"a":1}},"oError":"PANIC=boom"`},
		{"nested object", zap.Object("o", objFunc(func(e zapcore.ObjectEncoder) error {
			e.AddInt("a", 1)
			err := e.AddObject("in", objFunc(func(e zapcore.ObjectEncoder) error {
				e.AddString("b", "x")
				boom()
				return nil
			}))
			e.AddInt("c", 2)
			return err
		})), `"o":{"a":1,"in":{"b":"x"},"c":2},"oError":"PANIC=boom"`},
		{"array", zap.Array("a", arrFunc(func(e zapcore.ArrayEncoder) error {
			e.AppendInt(1)
			boom()
			return nil
		})), `"a":[1],"aError":"PANIC=boom"`},
		{"object in array", zap.Array("a", arrFunc(func(e zapcore.ArrayEncoder) error {
			return e.AppendObject(objFunc(func(e zapcore.ObjectEncoder) error {
				e.AddInt("x", 1)
				boom()
				return nil
			}))
		})), `"a":[{"x":1}],"aError":"PANIC=boom"`},
		{"inline", zap.Inline(objFunc(func(e zapcore.ObjectEncoder) error {
			e.AddInt("x", 1)
			boom()
			return nil
		})), `"x":1,"Error":"PANIC=boom"`},
		{"reflect error ignored by marshaler", zap.Object("o", objFunc(func(e zapcore.ObjectEncoder) error {
			e.AddInt("x", 1)
			e.AddReflected("r", json.RawMessage(`{`))
			return nil
		})), `"o":{"x":1}`},
		{"nil object marshaler", zap.Object("o", (*nilMarshaler)(nil)), `"o":{},"oError":"PANIC=runtime error: invalid memory address or nil pointer dereference"`},
	}
	enc := NewEncoder(EncoderConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encode(t, enc, testEntry(zapcore.InfoLevel, "m"), tt.give, zap.Int("next", 1))
			want := `{` + _ts + `,"level":"INFO","location":"root","message":"m",` + tt.want + `,"next":1}` + "\n"
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

type nilMarshaler struct{ n int }

func (m *nilMarshaler) MarshalLogObject(e zapcore.ObjectEncoder) error {
	e.AddInt("n", m.n)
	return nil
}

// A panic in EncodeTime inside an object leaves a key without a value:
// repair must complete it.
func TestEncoderPanicAfterKey(t *testing.T) {
	enc := NewEncoder(EncoderConfig{EncodeTime: func(time.Time, zapcore.PrimitiveArrayEncoder) { panic("t") }})
	got, err := func() (s string, err error) {
		buf := enc.(*encoder).clone()
		defer putEncoder(buf)
		buf.buf.AppendByte('{')
		_ = buf.AddObject("o", objFunc(func(e zapcore.ObjectEncoder) error {
			e.AddTime("t", time.Time{})
			return nil
		}))
		buf.buf.AppendByte('}')
		return buf.buf.String(), nil
	}()
	if err != nil || got != `{"o":{"t":null}}` {
		t.Errorf("got %s, want {\"o\":{\"t\":null}}", got)
	}
}
