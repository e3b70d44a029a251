package cwzap

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// wireTwin returns an encoder that writes what e writes, in the wire form:
// e's settings, context and sequence, set to the wire form. Its context is
// e's, escaped once more, which is what the wire form of With writes.
func (e *encoder) wireTwin() *encoder {
	old := e.set
	set := &encoderSettings{
		text: old.text, mini: old.mini, prefixFunc: old.prefixFunc, function: old.function,
		parts: old.parts, encodeTime: old.encodeTime, formatErr: old.formatErr, trace: old.trace,
		wire: true, t: _wireTexts, esc: _wire,
		emf: &emfSettings{off: old.emf.off, dims: old.emf.dims, layoutDims: old.emf.layoutDims,
			directive: old.emf.directive, cfgErr: old.emf.cfgErr, report: old.emf.report},
	}
	set.emf.setWire()
	if old.seq != nil {
		set.seq = &sequence{id: old.seq.id}
		set.seq.n.Store(old.seq.n.Load())
	}
	c := e.cloneWith()
	c.set = set
	c.buf.Reset()
	c.less = appendEscapedTo(_json, c.buf, e.buf.Bytes())
	return c
}

// checkWireForm checks that twin (wireTwin of the encoder that wrote
// plain) writes plain's entry as the event object of the request body: the
// entry's text escaped as a JSON string, and that the size the Syncer
// counts, and the text it gets back for the fallback writer, are the
// entry's.
func checkWireForm(t *testing.T, twin *encoder, ent zapcore.Entry, fields []zapcore.Field, plain string) {
	t.Helper()
	text := strings.TrimSuffix(plain, "\n")
	ts := eventTime(ent.Time)
	ev, buf := twin.encodeEvent(ent, fields, ts)
	defer freeBuffer(buf)
	obj := buf.Bytes()
	want, _ := appendEscaped([]byte(`{"timestamp":`+strconv.FormatInt(ts, 10)+`,"message":"`), text)
	want = append(want, `"}`...)
	if !bytes.Equal(obj, want) {
		t.Fatalf("wire form:\n got %q\nwant %q", obj, want)
	}
	if ev.size != len(text) || ev.ts != ts || !bytes.Equal(ev.obj, obj) {
		t.Errorf("event: size %d, time %d; the entry has %d bytes at %d", ev.size, ev.ts, len(text), ts)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &top); err != nil {
		t.Fatalf("the entry is not a JSON object: %v", err)
	}
	if _, directive := top["_aws"]; ev.metrics != directive {
		t.Errorf("event says metrics %v; the entry's directive is there: %v", ev.metrics, directive)
	}
	if got := string(appendMessage(nil, obj)); got != text {
		t.Errorf("appendMessage gives back %q; want %q", got, text)
	}
	var decoded struct {
		Timestamp int64
		Message   string
	}
	if err := json.Unmarshal(obj, &decoded); err != nil || decoded.Message != text || decoded.Timestamp != ts {
		t.Errorf("the event object decodes to %+v, %v; want the entry at %d", decoded, err, ts)
	}
}

func TestEscaperDepths(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	for _, s := range []string{"", "plain", `a"b\c`, "\x00\x1f\n\r\t\b\f", "é€😀", "\xff\xfe", string(all), "\u2028"} {
		once, _ := appendEscaped(nil, s)
		twice, _ := appendEscaped(nil, once)
		extra, high := cost(_wire, s)
		got, _ := appendCost(_wire, nil, s, extra, high)
		if !bytes.Equal(got, twice) {
			t.Errorf("depth 2 of %q = %q; want depth 1 twice, %q", s, got, twice)
		}
		// What each depth adds to the text one depth down, its less: the
		// text below depth 1 is what its JSON string decodes to.
		var below string
		if err := json.Unmarshal([]byte(`"`+string(once)+`"`), &below); err != nil {
			t.Fatalf("depth 1 of %q is not a JSON string's inside: %v", s, err)
		}
		for _, tt := range []struct {
			x     *escaper
			out   []byte
			below int
		}{{_json, once, len(below)}, {_wire, twice, len(once)}} {
			b := _bufPool.Get()
			less := appendEscapedTo(tt.x, b, s)
			if !bytes.Equal(b.Bytes(), tt.out) || b.Len()-less != tt.below {
				t.Errorf("appendEscapedTo(%q): %q with less %d; want %q, %d bytes below", s, b.Bytes(), less, tt.out, tt.below)
			}
			b.Free()
		}
	}
}

// TestCoreWritesTheWireForm checks that a Core writing to a Syncer uses
// the wire form, and a Core writing elsewhere, or a text format, the plain
// one: the wire form is only for the request body.
func TestCoreWritesTheWireForm(t *testing.T) {
	s, err := NewSyncer("g", "s", WithClient(cloudwatchlogs.New(cloudwatchlogs.Options{Region: "us-east-1"})))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c := newCore(s, zap.InfoLevel, EncoderConfig{}); !c.enc.set.wire || c.s != s {
		t.Error("a Core writing JSON to a Syncer does not write the wire form")
	}
	if c := newCore(s, zap.InfoLevel, EncoderConfig{Format: FormatStandard}); c.enc.set.wire || c.s != s {
		t.Error("a text format writes the wire form")
	}
	if c := newCore(zapcore.AddSync(&bytes.Buffer{}), zap.InfoLevel, EncoderConfig{}); c.enc.set.wire {
		t.Error("a Core writing to a buffer writes the wire form")
	}
}
