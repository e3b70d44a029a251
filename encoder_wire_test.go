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
	set := *e.set
	if e.set.seq != nil {
		set.seq = &sequence{id: e.set.seq.id}
		set.seq.n.Store(e.set.seq.n.Load())
	}
	set.setWire()
	c := e.cloneWith()
	c.set = &set
	c.buf.Reset()
	appendEscapedTo(_json, c.buf, e.buf.Bytes())
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
	buf := twin.encodeEvent(ent, fields, ts)
	defer freeBuffer(buf)
	obj := buf.Bytes()
	want, _ := appendEscaped([]byte(`{"timestamp":`+strconv.FormatInt(ts, 10)+`,"message":"`), text)
	want = append(want, `"}`...)
	if !bytes.Equal(obj, want) {
		t.Fatalf("wire form:\n got %q\nwant %q", obj, want)
	}
	if got := wireSize(obj[eventPrefixLen(obj) : len(obj)-2]); got != len(text) {
		t.Errorf("wireSize = %d; the entry has %d bytes", got, len(text))
	}
	if got := string(appendMessage(nil, obj)); got != text {
		t.Errorf("appendMessage gives back %q; want %q", got, text)
	}
	var ev struct {
		Timestamp int64
		Message   string
	}
	if err := json.Unmarshal(obj, &ev); err != nil || ev.Message != text || ev.Timestamp != ts {
		t.Errorf("the event object decodes to %+v, %v; want the entry at %d", ev, err, ts)
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
		if got := wireSize(twice); got != len(once) {
			t.Errorf("wireSize(%q) = %d; want %d", twice, got, len(once))
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
	if c := newCore(s, zap.InfoLevel, EncoderConfig{Format: FormatStandard}); c.enc.set.wire || c.s != nil {
		t.Error("a text format writes the wire form")
	}
	if c := newCore(zapcore.AddSync(&bytes.Buffer{}), zap.InfoLevel, EncoderConfig{}); c.enc.set.wire {
		t.Error("a Core writing to a buffer writes the wire form")
	}
}
