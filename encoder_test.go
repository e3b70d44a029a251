package cwzap

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
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
func encode(t *testing.T, enc zapcore.Encoder, ent zapcore.Entry, fields ...zapcore.Field) string {
	t.Helper()
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
		if b := _bufPool.Get(); b.Cap() > _maxPooledBuffer {
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
