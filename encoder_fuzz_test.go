package cwzap

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// fuzzSeeds are nasty inputs: invalid UTF-8, control characters, quotes,
// layout keys, JSON-looking messages, huge and odd numbers.
func fuzzSeeds(f *testing.F) {
	seeds := []struct {
		msg, key, val string
		b             []byte
		fl            float64
	}{
		{"hello", "k", "v", []byte("b"), 1.5},
		{"", "", "", nil, 0},
		{"{\"a\":1}", "level", "\xff", []byte{0xff, 0xfe}, math.NaN()},
		{" [1, 2] ", "message", "\"\\", []byte("\x00\x01\x1f"), math.Inf(1)},
		{"{\"a\":\"\xff\"}", "timestamp", "\u2028\u2029", []byte("\u2028"), math.Inf(-1)},
		{"\x00\n\r\t\"\\", "exception", "\xed\xa0\x80", []byte("\xc0\xaf"), math.Copysign(0, -1)},
		{"{", "location", "}", []byte("{"), 1e308},
		{"[\n]\n", "error", "\n", []byte("\n"), 5e-324},
		{"42", "a\"b", "null", nil, math.MaxFloat64},
		{"\xf4\x90\x80\x80", "\x7f", "\xef\xbf\xbd", []byte("\xef\xbf\xbd"), 1},
		{strings.Repeat("{", 200), "{}", "[]", nil, 0},
		{"msg\n\n", "k\n", "v\r\n", nil, 0},
	}
	for _, s := range seeds {
		f.Add(s.msg, s.key, s.val, s.b, s.fl)
	}
}

func fuzzFields(key, val string, b []byte, fl float64) (ctx, fields []zapcore.Field) {
	ctx = []zapcore.Field{zap.String(key, val), zap.Binary(key, b)}
	fields = []zapcore.Field{
		zap.String(key, val),
		zap.ByteString(key, b),
		zap.Float64(key, fl),
		zap.Float32(key, float32(fl)),
		zap.Strings(key, []string{val, key}),
		zap.Any(key, map[string]string{key: val}),
		zap.Reflect(key, json.RawMessage(`"`+val+`"`)), // a MarshalJSON's text: JSON, not checked as UTF-8
		zap.Object(key, objFunc(func(e zapcore.ObjectEncoder) error {
			e.AddString(key, val)
			e.OpenNamespace(key)
			e.AddByteString(key, b)
			return nil
		})),
		zap.Namespace(key),
		zap.String(key, val),
	}
	return ctx, fields
}

func FuzzEncoderJSON(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, msg, key, val string, b []byte, fl float64) {
		ctx, fields := fuzzFields(key, val, b, fl)
		fields = append([]zapcore.Field{Metric(key, fl, UnitCount), MetricHighResolution(val, fl, UnitSeconds)}, fields...)
		// Trace ids from a context given to With, or from the entry's.
		ctx = append(ctx, zap.Any(key, withIDs(context.Background(), key, val)))
		if len(b)%2 == 1 {
			fields = append(fields, zap.Any(val, withIDs(context.Background(), val, msg)))
		}
		cfg := EncoderConfig{TraceContext: testTrace}
		enc := newEncoder(cfg, false, nil).with(ctx)
		twin := enc.wireTwin()
		// The Core's own encoder: the context too written in the wire form.
		wire := newEncoder(cfg, true, nil).with(ctx)
		ent := testEntry(zapcore.ErrorLevel, msg)
		ent.LoggerName = key
		ent.Stack = "stack " + val
		ent.Caller = zapcore.EntryCaller{Defined: true, Function: val, Line: 1}
		buf, err := enc.EncodeEntry(ent, fields)
		if err != nil {
			t.Fatal(err)
		}
		out := buf.Bytes()
		defer buf.Free()
		if !utf8.Valid(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		if len(out) < 2 || out[len(out)-1] != '\n' || strings.Count(string(out), "\n") != 1 {
			t.Fatalf("want exactly one newline, at the end: %q", out)
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %q", out)
		}
		checkWireForm(t, twin, ent, fields, string(out))
		checkWireForm(t, wire, ent, fields, string(out))
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("not one JSON object: %q: %v", out, err)
		}
		counts := map[string]int{}
		for _, k := range keysOf(t, string(out)) {
			counts[k]++
		}
		for _, k := range []string{"timestamp", "level", "location", "message", "exception"} {
			if counts[k] != 1 {
				t.Fatalf("layout key %q appears %d times: %q", k, counts[k], out)
			}
		}
		for _, k := range []string{"trace_id", "span_id", "_aws"} {
			if counts[k] > 1 {
				t.Fatalf("key %q appears %d times: %q", k, counts[k], out)
			}
		}
		if s, ok := m["message"].(string); ok && utf8.ValidString(msg) && s != msg {
			t.Fatalf("message %q came back as %q", msg, s)
		}
	})
}

func FuzzEncoderText(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, msg, key, val string, b []byte, fl float64) {
		ctx, fields := fuzzFields(key, val, b, fl)
		ctx = append(ctx, zap.Any(key, withIDs(context.Background(), key, val)))
		if len(b)%2 == 1 {
			fields = append(fields, zap.Any(val, withIDs(context.Background(), val, key)))
		}
		enc := newEncoder(EncoderConfig{Format: "{level}|{func}|{caller}|", Function: key, TraceContext: testTrace}, false, nil).with(ctx)
		ent := testEntry(zapcore.WarnLevel, msg)
		ent.Caller = zapcore.EntryCaller{Defined: true, Function: "pkg." + val, Line: 1}
		encodeOne := func(msg string) string {
			ent.Message = msg
			buf, err := enc.EncodeEntry(ent, fields)
			if err != nil {
				t.Fatal(err)
			}
			defer buf.Free()
			return buf.String()
		}
		out := encodeOne(msg)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		if !strings.HasSuffix(out, "}\n") || strings.HasSuffix(out, "\n\n") {
			t.Fatalf("want the fields object and one newline at the end: %q", out)
		}
		prefix := strings.ToValidUTF8("WARNING|"+key+"|"+bareFunction("pkg."+val)+"|", "\uFFFD")
		text := strings.ToValidUTF8(strings.TrimRight(msg, "\r\n"), "\uFFFD")
		if !strings.HasPrefix(out, prefix+text+" {") {
			t.Fatalf("got %q, want prefix %q and message %q", out, prefix, text)
		}
		obj := out[len(prefix+text)+1 : len(out)-1]
		if !json.Valid([]byte(obj)) {
			t.Fatalf("fields part is not valid JSON: %q", obj)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(obj), &m); err != nil {
			t.Fatalf("fields part is not one object: %q: %v", obj, err)
		}
		// The fields part doesn't depend on the message.
		if empty := encodeOne(""); !strings.HasSuffix(empty, " "+obj+"\n") {
			t.Fatalf("fields differ with another message: %q vs %q", empty, obj)
		}
	})
}
