package cwzap

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"

	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"
)

// The wire form. A PutLogEvents body holds each event as the object
// {"timestamp":N,"message":"…"}, the event's text escaped as a JSON
// string. A Core writing the JSON layout to a Syncer has its encoder write
// each entry in that form directly: the entry's JSON text inside is
// escaped once, while it is encoded, instead of being encoded and escaped
// again into the body, and the encoder counts as it goes the size of the
// text, which the service counts. What it hands the Syncer is an event.
//
// In the wire form every fixed text with a quote or backslash is written
// escaped (layoutTexts), strings go through the escaper of depth 2, and raw
// JSON (reflected values, a JSON message) through the escaper of depth 1.
// Every such write adds its less, the bytes that are the wire form's and
// not the text's; the text's size is the message's length less them.

// An event is one log event as the Syncer takes it, whether the Core's
// encoder wrote it or Syncer.WriteEntry escaped a caller's bytes: its time,
// the request body's event object, the size of its message as the service
// counts it, whether it carries metrics, and its route.
type event struct {
	ts      int64  // ms since the epoch
	obj     []byte // {"timestamp":ts,"message":"…"}
	size    int    // the message's UTF-8 bytes, unescaped
	metrics bool   // the message is an EMF document: the put says so (emf_wire.go)
	route   []byte // the values the Syncer's names take from the entry (route.go); nil for none
}

// A lit is a fixed text of the layout in an encoder's form, with its less.
type lit struct {
	s    string
	less int
}

// layoutTexts are the fixed texts of the JSON layout, in one form.
type layoutTexts struct {
	quote      lit // "
	keyLayout  lit // "_, before a key that collides with the layout's
	keyEnd     lit // ":
	timestamp  lit // {"timestamp":
	level      lit // ,"level":"
	location   lit // ","location":"
	message    lit // ","message":
	exception  lit // ,"exception":"
	newline    lit // \n between the parts of the exception
	seq        lit // ,"seq":
	end        lit // the end of the entry: "}\n", or `}"}` closing the event object
	nan        lit // "NaN"
	posInf     lit // "+Inf"
	negInf     lit // "-Inf"
	complexEnd lit // i"
	emf        emfTexts
}

// emfTexts are the fixed texts of the metrics directive (emf.go).
type emfTexts struct {
	aws           lit // ,"_aws":{"Timestamp":
	cwMetrics     lit // ,"CloudWatchMetrics":[
	nextDirective lit // ]},
	name          lit // {"Name":"
	unit          lit // ","Unit":"
	unitEnd       lit // "}
	unitEndHigh   lit // ","StorageResolution":1}
	awsEnd        lit // ]}]}
	member        lit // ,"
}

var (
	_plainTexts = newLayoutTexts(false)
	_wireTexts  = newLayoutTexts(true)
)

func newLayoutTexts(wire bool) *layoutTexts {
	form := func(s string) lit { return lit{s: s} }
	if wire {
		form = wireLit
	}
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
		end:        lit{s: "}\n"},
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
			unitEndHigh:   form(`","StorageResolution":` + strconv.Itoa(_highResolution) + `}`),
			awsEnd:        form(`]}]}`),
			member:        form(`,"`),
		},
	}
	if wire {
		// `"}` closes the event object: none of it is the entry's text.
		t.end = lit{s: `}"}`, less: 2}
	}
	return t
}

// wireLit is the text s in the wire form.
func wireLit(s string) lit {
	w := escapeOnce([]byte(s))
	return lit{s: string(w), less: len(w) - len(s)}
}

// lit writes a fixed text.
func (e *encoder) lit(l lit) {
	e.buf.AppendString(l.s)
	e.less += l.less
}

// quote writes a quote of the layout.
func (e *encoder) quote() {
	if e.set.wire {
		e.buf.AppendString(`\"`)
		e.less++
		return
	}
	e.buf.AppendByte('"')
}

// raw writes JSON text: escaped once more in the wire form.
func (e *encoder) raw(b []byte) {
	if e.set.wire {
		e.less += appendEscapedTo(_json, e.buf, b)
		return
	}
	e.buf.Write(b)
}

// rawString is raw for a string.
func (e *encoder) rawString(s string) {
	if e.set.wire {
		e.less += appendEscapedTo(_json, e.buf, s)
		return
	}
	e.buf.AppendString(s)
}

// textLen returns the size of the entry's text written so far.
func (e *encoder) textLen() int {
	return e.buf.Len() - e.start - e.less
}

// encodeEvent encodes an entry in the wire form, as the event of time ts
// (ms). The caller owns the event's buffer and frees it with freeBuffer,
// which keeps a huge one out of the pool. The encoder must be in the wire
// form.
func (e *encoder) encodeEvent(ent zapcore.Entry, fields []zapcore.Field, ts int64) (event, *buffer.Buffer) {
	final := e.clone()
	final.buf.AppendString(`{"timestamp":`)
	final.buf.AppendInt(ts)
	final.buf.Write(_messageKey)
	final.start = final.buf.Len()
	final.encodeJSON(e, ent, fields)
	buf := final.buf
	ev := event{ts: ts, obj: buf.Bytes(), size: final.textLen(), metrics: final.metrics}
	putEncoder(final)
	return ev, buf
}

// eventTime returns the time of an event stamped t: t in ms, or now for
// the zero time.
func eventTime(t time.Time) int64 {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UnixMilli()
}

// _messageKey precedes the message in an event object.
var _messageKey = []byte(`,"message":"`)

// appendEventObject appends the event object of text p at ts to dst: p
// escaped as the message, each run of invalid UTF-8 replaced with U+FFFD,
// since the service counts and stores UTF-8. It returns the event, whose
// object is in dst; metrics is set when p is an EMF document.
func appendEventObject(dst []byte, ts int64, p []byte) ([]byte, event) {
	// One measuring pass serves both the UTF-8 check and the escaping.
	extra, high := escapeCost(p)
	if high >= utf8.RuneSelf && !utf8.Valid(p) {
		p = bytes.ToValidUTF8(p, []byte("\ufffd"))
		extra, high = escapeCost(p)
	}
	n := len(dst)
	dst = append(dst, `{"timestamp":`...)
	dst = strconv.AppendInt(dst, ts, 10)
	dst = append(dst, _messageKey...)
	dst, size := appendEscapedCost(dst, p, extra, high)
	dst = append(dst, `"}`...)
	obj := dst[n:]
	return dst, event{ts: ts, obj: obj, size: size, metrics: hasEMFMember(obj)}
}

// appendMessage appends the message of an event object to dst,
// unescaped: the inverse of appendEventObject, for the fallback writer,
// split parts and clients other than the SDK's.
func appendMessage(dst, obj []byte) []byte {
	i := bytes.Index(obj, _messageKey)
	if i < 0 || !bytes.HasSuffix(obj, []byte(`"}`)) {
		return append(dst, obj...) // not ours; keep it whole
	}
	p := obj[i+len(_messageKey) : len(obj)-2]
	for len(p) > 0 {
		j := bytes.IndexByte(p, '\\')
		if j < 0 || j+1 == len(p) {
			return append(dst, p...)
		}
		dst = append(dst, p[:j]...)
		switch c := p[j+1]; c {
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'u':
			// The escaper writes \u00XX only, for control bytes.
			if j+6 <= len(p) {
				if v, err := strconv.ParseUint(string(p[j+2:j+6]), 16, 8); err == nil {
					dst = append(dst, byte(v))
					p = p[j+6:]
					continue
				}
			}
			dst = append(dst, p[j:j+2]...)
		default: // '"', '\\'
			dst = append(dst, c)
		}
		p = p[j+2:]
	}
	return dst
}

// _emfMember is what an event object holds when its message is an EMF
// document: the "_aws" key, escaped once as the message string's content
// (its opening \" is checked apart: searching from the rare '_' is several
// times faster than from the backslash, which escaped JSON is full of). A
// message holding the text of an EMF document inside one of its strings is
// escaped twice (_aws\\\":) and does not match.
var _emfMember = []byte(`_aws\":`)

// hasEMFMember reports whether obj, an event object of a text a caller
// wrote, holds \"_aws\": once escaped: the text is an EMF document. The
// Core's encoder knows it of its own entries and never asks.
func hasEMFMember(obj []byte) bool {
	for {
		i := bytes.Index(obj, _emfMember)
		if i < 0 {
			return false
		}
		if i >= 2 && obj[i-2] == '\\' && obj[i-1] == '"' && (i < 3 || obj[i-3] != '\\') {
			return true
		}
		obj = obj[i+len(_emfMember):]
	}
}
