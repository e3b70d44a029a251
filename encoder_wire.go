package cwzap

import (
	"bytes"
	"time"

	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"
)

// The wire form of the JSON layout. A Core writing to a Syncer has its
// encoder write each entry as the request body needs it: the event object
// {"timestamp":N,"message":"…"} with the entry's JSON text inside already
// escaped as a JSON string. The entry is then escaped once, while it is
// encoded, instead of being encoded and escaped again into the body; the
// Syncer copies the object into its batch as it is (Syncer.writeEvent).
//
// In the wire form every fixed text with a quote or backslash is written
// escaped (layoutTexts), strings go through the escaper of depth 2, and raw
// JSON (reflected values, a JSON message) through the escaper of depth 1.
// What the entry's text would be is never built; its size, which the
// service counts, follows from the wire form (wireSize). Only the rare
// paths rebuild the text: an entry over MaxEventBytes, which is split,
// and the fallback writer.

// layoutTexts are the fixed texts of the JSON layout, as they are or in the
// wire form.
type layoutTexts struct {
	quote      string // "
	keyLayout  string // "_, before a key that collides with the layout's
	keyEnd     string // ":
	timestamp  string // {"timestamp":
	level      string // ,"level":"
	location   string // ","location":"
	message    string // ","message":
	exception  string // ,"exception":"
	newline    string // \n between the parts of the exception
	seq        string // ,"seq":
	end        string // the end of the entry: "}\n", or `}"}` closing the event object
	nan        string // "NaN"
	posInf     string // "+Inf"
	negInf     string // "-Inf"
	complexEnd string // i"
	emf        emfTexts
}

// emfTexts are the fixed texts of the metrics directive (emf.go).
type emfTexts struct {
	aws           string // ,"_aws":{"Timestamp":
	cwMetrics     string // ,"CloudWatchMetrics":[
	nextDirective string // ]},
	name          string // {"Name":"
	unit          string // ","Unit":"
	unitEnd       string // "}
	awsEnd        string // ]}]}
	member        string // ,"
}

var (
	_plainTexts = newLayoutTexts(func(s string) string { return s })
	_wireTexts  = newLayoutTexts(func(s string) string { return string(escapeOnce([]byte(s))) })
)

func newLayoutTexts(form func(string) string) *layoutTexts {
	t := &layoutTexts{
		quote:      form(`"`),
		keyLayout:  form(`"_`),
		keyEnd:     form(`":`),
		timestamp:  form(`{"timestamp":`),
		level:      form(`,"level":"`),
		location:   form(`","location":"`),
		message:    form(`","message":`),
		exception:  form(`,"exception":"`),
		newline:    form(`\n`),
		seq:        form(`,"` + _sequenceKey + `":`),
		end:        "}\n",
		nan:        form(`"NaN"`),
		posInf:     form(`"+Inf"`),
		negInf:     form(`"-Inf"`),
		complexEnd: form(`i"`),
		emf: emfTexts{
			aws:           form(`,"_aws":{"Timestamp":`),
			cwMetrics:     form(`,"CloudWatchMetrics":[`),
			nextDirective: form(`]},`),
			name:          form(`{"Name":"`),
			unit:          form(`","Unit":"`),
			unitEnd:       form(`"}`),
			awsEnd:        form(`]}]}`),
			member:        form(`,"`),
		},
	}
	if t.quote != `"` {
		t.end = `}"}`
	}
	return t
}

// setWire makes the encoder of settings s write the wire form. The Core
// calls it on the settings of the encoder it has just made, before any
// clone shares them; the text formats keep the plain form.
func (s *encoderSettings) setWire() {
	if s.text {
		return
	}
	s.wire, s.t, s.esc = true, _wireTexts, _wire
	if s.emf.directive != "" {
		s.emf.wireDirective = string(escapeOnce([]byte(s.emf.directive)))
	}
}

// quote writes a quote of the layout.
func (e *encoder) quote() {
	if e.set.wire {
		e.buf.AppendString(`\"`)
		return
	}
	e.buf.AppendByte('"')
}

// raw writes JSON text: escaped once more in the wire form.
func (e *encoder) raw(b []byte) {
	if e.set.wire {
		appendEscapedTo(_json, e.buf, b)
		return
	}
	e.buf.Write(b)
}

// rawString is raw for a string.
func (e *encoder) rawString(s string) {
	if e.set.wire {
		appendEscapedTo(_json, e.buf, s)
		return
	}
	e.buf.AppendString(s)
}

// directive is the start of the metrics directive, in the encoder's form.
func (e *encoder) directive() string {
	if e.set.wire {
		return e.set.emf.wireDirective
	}
	return e.set.emf.directive
}

// textLen returns the size of the entry's text written so far: its length
// in the plain form, wireSize of it in the wire form.
func (e *encoder) textLen() int {
	if e.set.wire {
		return wireSize(e.buf.Bytes()[eventPrefixLen(e.buf.Bytes()):])
	}
	return e.buf.Len()
}

// encodeEvent encodes an entry in the wire form, as the event object of
// time ts (ms), for Syncer.writeEvent. The caller owns the buffer and
// frees it with freeBuffer, which keeps a huge one out of the pool. The
// encoder must be set to the wire form (setWire).
func (e *encoder) encodeEvent(ent zapcore.Entry, fields []zapcore.Field, ts int64) *buffer.Buffer {
	final := e.clone()
	final.buf.AppendString(`{"timestamp":`)
	final.buf.AppendInt(ts)
	final.buf.Write(_messageKey)
	final.encodeJSON(e, ent, fields)
	buf := final.buf
	putEncoder(final)
	return buf
}

// eventPrefixLen returns the length of {"timestamp":N,"message":" at the
// start of an event object.
func eventPrefixLen(obj []byte) int {
	const head = len(`{"timestamp":`)
	return head + bytes.IndexByte(obj[head:], ',') + len(_messageKey)
}

// eventTime returns the time of an event stamped t: t in ms, or now for
// the zero time.
func eventTime(t time.Time) int64 {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UnixMilli()
}
