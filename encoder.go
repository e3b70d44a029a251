package cwzap

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"
	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"
)

// EncoderConfig configures NewEncoder. The zero value is the JSON layout
// with the default time format. An EncoderConfig is read once by NewEncoder
// and not kept, so changing it afterwards has no effect.
type EncoderConfig struct {
	// Format selects the encoding. The default, FormatJSON (""), is the JSON
	// layout; any other value selects the text encoding with that prefix
	// format.
	Format Format

	// PrefixFunc, when set, computes the text prefix of every entry. It
	// selects the text encoding whatever the Format. It is called once per
	// entry, possibly concurrently.
	PrefixFunc PrefixFunc

	// Function is the {func} of prefix formats, e.g. the Lambda function's
	// name. Defaults to "" (then #mini leaves the function out).
	Function string

	// EncodeTime writes entry times and time fields. nil means
	// 2006-01-02 15:04:05,000 (Python's asctime) in UTC for the timestamp and
	// RFC 3339 with nanoseconds for time fields. Whatever it appends is kept
	// valid JSON: nothing appended falls back to the default, several values
	// become a JSON array.
	EncodeTime zapcore.TimeEncoder

	// SequenceKey adds "seq" to every entry: a writer id, 8 characters
	// drawn at random by NewEncoder, a '-' and a counter from 1 shared by
	// every clone, so that an event stored twice (a put retried after its
	// answer was lost) can be found (see WithSequenceKey). Defaults to
	// false.
	SequenceKey bool

	// MetricNamespace is the CloudWatch namespace of Metric fields (see
	// WithMetricNamespace). Defaults to AWS_EMF_NAMESPACE, else
	// DefaultMetricNamespace.
	MetricNamespace string

	// MetricDimensions are the keys of the fields whose values form the
	// dimension set of every metric (see WithMetricDimensions). Defaults
	// to none.
	MetricDimensions []string

	// TraceContext, when set, gives an entry carrying a context.Context
	// field its "trace_id" and "span_id" (see WithTraceContext). It is
	// called on the caller's goroutine, possibly concurrently. Defaults
	// to nil: a context field is written as any other field.
	TraceContext func(ctx context.Context) (traceID, spanID string)
}

// _maxPooled keeps a huge entry (up to MaxEventBytes) from pinning
// its buffer in the pool forever.
const _maxPooled = 64 << 10

var (
	_bufPool = buffer.NewPool()
	_encPool = sync.Pool{New: func() any { return &encoder{} }}
)

// EncodingName is the name NewEncoder is registered under with
// zap.RegisterEncoder, for zap.Config.Encoding. The encoding writes the
// layout of the zero EncoderConfig and ignores zap.Config.EncoderConfig
// entirely (its keys, EncodeTime, EncodeLevel, …): a production config's
// epoch "ts" would break the layout's contract. To change the time format,
// build the logger with NewCore and WithEncoderConfig instead.
const EncodingName = "cwzap"

func init() {
	// RegisterEncoder only fails when the name is taken; keep the first
	// registration rather than panicking in init.
	_ = zap.RegisterEncoder(EncodingName, func(zapcore.EncoderConfig) (zapcore.Encoder, error) {
		return NewEncoder(EncoderConfig{}), nil
	})
}

// encoderSettings is the immutable, compiled EncoderConfig shared by an
// encoder and all its clones.
type encoderSettings struct {
	text       bool
	mini       bool
	prefixFunc PrefixFunc
	function   string // valid UTF-8
	parts      []templatePart
	encodeTime zapcore.TimeEncoder
	seq        *sequence // nil unless SequenceKey
	formatErr  string    // Format.Validate's error for a bad Format, else ""
	emf        *emfSettings
	trace      func(context.Context) (traceID, spanID string) // nil unless TraceContext

	// The form of the JSON layout, plain or the wire form
	// (encoder_wire.go), fixed when the encoder is made.
	wire bool
	t    *layoutTexts
	esc  *escaper
}

// newSettings compiles cfg. wire asks for the wire form, which only the
// JSON layout has; report receives the metrics' problems (nil: stderr).
func newSettings(cfg EncoderConfig, wire bool, report func(error)) *encoderSettings {
	s := &encoderSettings{
		text:       cfg.Format != FormatJSON || cfg.PrefixFunc != nil,
		prefixFunc: cfg.PrefixFunc,
		function:   strings.ToValidUTF8(cfg.Function, "\uFFFD"),
		encodeTime: cfg.EncodeTime,
		emf:        newEMFSettings(cfg.MetricNamespace, slices.Clone(cfg.MetricDimensions), cfg.layoutOwns, report),
		trace:      cfg.TraceContext,
		t:          _plainTexts,
		esc:        _plain,
	}
	if wire && !s.text {
		s.wire, s.t, s.esc = true, _wireTexts, _wire
		s.emf.setWire()
	}
	if cfg.SequenceKey {
		s.seq = newSequence()
	}
	switch f := cfg.Format; {
	case f == FormatMini:
		s.mini = true
	case f == FormatShort:
		s.parts = parseTemplate("{level}: {func}: ")
	case f == FormatSimple:
		s.parts = parseTemplate("{func}: ")
	case f == FormatStandard, f == FormatJSON:
		s.parts = _standardParts
	default:
		s.parts = parseTemplate(string(f))
		if err := f.Validate(); err != nil {
			// NewEncoder cannot fail: say it in every event instead.
			s.parts, s.formatErr = _standardParts, err.Error()
		}
	}
	return s
}

// NewEncoder returns a zapcore.Encoder for the JSON layout or, when
// cfg.Format is not FormatJSON or cfg.PrefixFunc is set, a text format. The
// zero EncoderConfig gives the JSON layout. The encoder is also registered
// with zap as EncodingName, "cwzap", which ignores zap's EncoderConfig.
// A Format that fails Format.Validate (a typo such as "#standrad") gives
// FormatStandard, with a "formatError" field holding the validation error
// in every event.
//
// # JSON layout
//
// Each entry is one JSON object followed by "\n", keys in this order:
//
//   - timestamp: the entry time, "2006-01-02 15:04:05,000" in UTC unless
//     EncodeTime is set.
//   - level: DEBUG, INFO, WARNING, ERROR or CRITICAL (DPanic, Panic and
//     Fatal); other levels are their zap name in upper case.
//   - location: "<logger name>.<function>:<line>", where an unnamed logger
//     is "root" and <function> is the caller's function without its package
//     path ("(*Server).handle", "run.func1"). When the entry has no caller
//     (zap.AddCaller not used), location is just the logger name or "root".
//   - message: the message as a string; but when the whole message, after
//     trimming surrounding space, is a JSON object or array (valid JSON,
//     valid UTF-8), it is embedded compacted as JSON. Scalars such as "42",
//     "true" or "null" stay strings, so the message of one statement keeps
//     the same value type in CloudWatch Logs Insights.
//   - exception: only when the entry carries an error or a stack: the text
//     of every error field keyed "error" (what zap.Error makes, from With or
//     from the entry, outside any zap.Namespace), one per line, then the
//     stack. Those error fields are not written again as fields; errors
//     under other keys (zap.NamedError) are ordinary fields.
//   - seq: only with SequenceKey: "<writer id>-<n>", a string.
//   - trace_id, span_id: only with TraceContext, for an entry carrying a
//     context.Context field (or a logger given one With): the ids the hook
//     read from it, each when not empty. The context field is not written.
//   - then the context fields (from With), then the entry's fields.
//
// Colliding keys: a top-level field (from With or the entry, not inside a
// zap.Namespace or a nested object) whose key is one of the layout keys
// timestamp, level, location, message or exception, _aws (the metrics
// directive's key), seq with SequenceKey, or trace_id and span_id with
// TraceContext, is written with a "_" prefix ("_level"), whether or not
// that layout key is present in the entry, so an object never holds a
// duplicate layout key.
//
// Fields are written as zap's JSON encoder writes them, except that
// durations are seconds as a JSON number (zap's production default) and
// times use EncodeTime or RFC 3339 with nanoseconds. NaN and ±Inf are the
// strings "NaN", "+Inf" and "-Inf". Output is always valid JSON in valid
// UTF-8: invalid UTF-8 becomes \ufffd, control characters are escaped, and a
// MarshalLogObject, MarshalLogArray, String or Error method that panics
// leaves a closed object and a "<key>Error" field with "PANIC=…", as zap
// does for errors.
//
// # Text formats
//
// A text entry is the prefix, the message and, when there are context or
// entry fields, a space and the fields as one JSON object (no layout keys;
// an error is an ordinary "error" field), then "\n". With SequenceKey the
// object is always there and starts with "seq"; with an invalid Format it
// is always there and holds "formatError" (after "seq"). With TraceContext,
// "trace_id" and "span_id" follow those and precede the context fields,
// and fields of those keys take a "_" prefix. A stack follows on the next
// lines. Invalid UTF-8 in the text becomes U+FFFD, and newlines ending
// the message are dropped so the entry ends in exactly one "\n".
func NewEncoder(cfg EncoderConfig) zapcore.Encoder {
	return newEncoder(cfg, false, nil)
}

// newEncoder returns an encoder of cfg, in the wire form when wire is set
// and cfg is the JSON layout; report receives the metrics' problems.
func newEncoder(cfg EncoderConfig, wire bool, report func(error)) *encoder {
	return &encoder{set: newSettings(cfg, wire, report), buf: _bufPool.Get()}
}

// encoder implements zapcore.Encoder. An encoder built by NewEncoder or
// Clone holds encoded context in buf; EncodeEntry works on a pooled clone.
type encoder struct {
	set *encoderSettings
	buf *buffer.Buffer

	openNamespaces int // namespaces open in the current object
	depth          int // 0 at the top-level object; namespaces and nesting add 1
	ctxExc         string
	ctxTrace       traceIDs // the trace ids of a context field given to With

	reflectBuf *buffer.Buffer
	reflectEnc *json.Encoder

	values valueEncoder // EncodeTime's target, kept here to avoid an allocation
	emfCtx emfContext   // what metrics need to know of the context fields

	// The wire form's counts (encoder_wire.go).
	start   int  // where the entry's text starts in buf
	less    int  // bytes of buf after start that are not the entry's text
	metrics bool // the entry carries a metrics directive
}

var (
	_ zapcore.Encoder      = (*encoder)(nil)
	_ zapcore.ArrayEncoder = (*encoder)(nil)
)

func getEncoder() *encoder {
	return _encPool.Get().(*encoder)
}

func putEncoder(e *encoder) {
	if e.reflectBuf != nil {
		freeBuffer(e.reflectBuf)
	}
	*e = encoder{}
	_encPool.Put(e)
}

// freeBuffer returns b to the pool unless it grew too large to keep.
func freeBuffer(b *buffer.Buffer) {
	if b.Cap() <= _maxPooled {
		b.Free()
	}
}

func (e *encoder) clone() *encoder {
	c := getEncoder()
	c.set = e.set
	c.openNamespaces = e.openNamespaces
	c.depth = e.depth
	c.buf = _bufPool.Get()
	return c
}

// Clone copies the encoder, its encoded fields and its exception text.
func (e *encoder) Clone() zapcore.Encoder {
	return e.cloneWith()
}

func (e *encoder) cloneWith() *encoder {
	c := e.clone()
	c.buf.Write(e.buf.Bytes())
	c.ctxExc = e.ctxExc
	c.ctxTrace = e.ctxTrace
	c.emfCtx = e.emfCtx
	c.less = e.less
	return c
}

// with returns a clone holding fields as context. In the JSON layout an
// error field keyed "error" goes to the exception text instead. With
// TraceContext, a context field is not written: its trace ids, read now,
// go to every entry (the last such field wins, and replaces those of an
// earlier With).
func (e *encoder) with(fields []zapcore.Field) *encoder {
	c := e.cloneWith()
	for i := range fields {
		f := &fields[i]
		if c.set.trace != nil {
			if ctx, ok := contextOf(f); ok {
				c.ctxTrace = c.set.traceOf(ctx)
				continue
			}
		}
		if !c.set.text && f.Type == zapcore.ErrorType && f.Key == "error" && c.depth == 0 {
			t := errorText(f.Interface)
			if c.ctxExc == "" {
				c.ctxExc = t
			} else {
				c.ctxExc += "\n" + t
			}
			continue
		}
		if !c.set.text && c.depth == 0 {
			c.emfCtx.note(c.set.emf, f)
		}
		c.addField(f)
	}
	return c
}

// EncodeEntry encodes one entry. The caller owns the returned buffer and
// must Free it; a buffer larger than 64 KiB is never reused.
func (e *encoder) EncodeEntry(ent zapcore.Entry, fields []zapcore.Field) (*buffer.Buffer, error) {
	final := e.clone()
	if e.set.text {
		final.encodeText(e, ent, fields)
	} else {
		final.encodeJSON(e, ent, fields)
	}
	buf := final.buf
	putEncoder(final)
	if buf.Cap() > _maxPooled {
		// Free would put it back into the shared pool: hand out a copy from
		// a throwaway pool instead and let both go to the collector.
		big := buffer.NewPool().Get()
		big.Write(buf.Bytes())
		buf = big
	}
	return buf, nil
}

// The JSON layout: encodeJSON writes an entry's timestamp, level,
// location, message and exception, then the fields.

func (e *encoder) encodeJSON(ctx *encoder, ent zapcore.Entry, fields []zapcore.Field) {
	buf := e.buf
	e.lit(e.set.t.timestamp)
	e.appendEntryTime(ent.Time)
	e.lit(e.set.t.level)
	if lt, ok := levelText(ent.Level); ok {
		buf.AppendString(lt)
	} else {
		e.safeAddString(lt)
	}
	e.lit(e.set.t.location)
	if ent.LoggerName == "" {
		buf.AppendString("root")
	} else {
		e.safeAddString(ent.LoggerName)
	}
	if ent.Caller.Defined {
		if fn := bareFunction(ent.Caller.Function); fn != "" {
			buf.AppendByte('.')
			e.safeAddString(fn)
		}
		buf.AppendByte(':')
		buf.AppendInt(int64(ent.Caller.Line))
	}
	e.lit(e.set.t.message)
	e.appendMessage(ent.Message)

	// exception: context errors, entry errors, then the stack.
	inNS := e.depth > 0
	started := false
	if ctx.ctxExc != "" {
		e.lit(e.set.t.exception)
		e.safeAddString(ctx.ctxExc)
		started = true
	}
	for i := range fields {
		f := &fields[i]
		if f.Type == zapcore.NamespaceType {
			inNS = true
		}
		if inNS || f.Type != zapcore.ErrorType || f.Key != "error" {
			continue
		}
		if started {
			e.lit(e.set.t.newline)
		} else {
			e.lit(e.set.t.exception)
			started = true
		}
		e.safeAddString(errorText(f.Interface))
	}
	if ent.Stack != "" {
		if started {
			e.lit(e.set.t.newline)
		} else {
			e.lit(e.set.t.exception)
			started = true
		}
		e.safeAddString(ent.Stack)
	}
	if started {
		e.quote()
	}
	if e.set.seq != nil {
		e.lit(e.set.t.seq)
		e.quote()
		e.set.seq.append(buf)
		e.quote()
	}
	if e.set.trace != nil {
		e.appendTraceIDs(e.entryTrace(ctx, fields))
	}

	if ctx.buf.Len() > 0 {
		buf.AppendByte(',')
		buf.Write(ctx.buf.Bytes())
		e.less += ctx.less
	}
	inNS = e.depth > 0
	metrics := false
	for i := range fields {
		f := &fields[i]
		if f.Type == zapcore.NamespaceType {
			inNS = true
		} else if !inNS && f.Type == zapcore.ErrorType && f.Key == "error" {
			continue
		} else if metricUnit(f) != nil {
			metrics = true // written at the root, after "_aws"
			continue
		} else if e.isTraceContext(f) {
			continue
		}
		e.addField(f)
	}
	e.closeOpenNamespaces()
	if metrics {
		e.appendEMF(ctx, ent, fields)
	}
	e.lit(e.set.t.end)
}

// levelText returns the layout's level name; ok is false for levels zap
// doesn't name, whose text may need escaping.
func levelText(l zapcore.Level) (string, bool) {
	switch l {
	case zapcore.DebugLevel:
		return "DEBUG", true
	case zapcore.InfoLevel:
		return "INFO", true
	case zapcore.WarnLevel:
		return "WARNING", true
	case zapcore.ErrorLevel:
		return "ERROR", true
	case zapcore.DPanicLevel, zapcore.PanicLevel, zapcore.FatalLevel:
		return "CRITICAL", true
	}
	return strings.ToUpper(l.String()), false
}

// bareFunction strips the package path from a runtime function name:
// "github.com/x/y.(*Server).handle" → "(*Server).handle",
// "main.run.func1" → "run.func1".
func bareFunction(fn string) string {
	if i := strings.LastIndexByte(fn, '/'); i >= 0 {
		fn = fn[i+1:]
	}
	if i := strings.IndexByte(fn, '.'); i >= 0 {
		fn = fn[i+1:]
	}
	return fn
}

func (e *encoder) appendEntryTime(t time.Time) {
	if e.set.encodeTime != nil {
		e.appendCustomTime(t)
		return
	}
	e.quote()
	appendAsctime(e.buf, t)
	e.quote()
}

// _asctime is the layout's default time: Python's asctime, in UTC; Go
// accepts ',' as the fraction separator.
const _asctime = "2006-01-02 15:04:05,000"

// appendAsctime writes t in UTC as 2006-01-02 15:04:05,000. The date is
// kept for the last day seen (_lastDay), since a logger writes many entries
// a day and the calendar is the costly part; the time of day is arithmetic
// on the milliseconds into the day.
func appendAsctime(buf *buffer.Buffer, t time.Time) {
	ms := t.UnixMilli()
	day := dayOf(ms)
	d := _lastDay.Load()
	if d == nil || d.day != day {
		y, mo, dd := t.UTC().Date()
		if y < 0 || y > 9999 {
			buf.AppendTime(t.UTC(), _asctime)
			return
		}
		d = &asctimeDay{day: day, text: [...]byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
			byte('0' + mo/10), byte('0' + mo%10), '-', byte('0' + dd/10), byte('0' + dd%10), ' '}}
		_lastDay.Store(d)
	}
	in := ms - day*_dayMillis
	h, mi, sc, milli := in/3_600_000, in/60_000%60, in/1000%60, in%1000
	a := [...]byte{byte('0' + h/10), byte('0' + h%10), ':', byte('0' + mi/10), byte('0' + mi%10), ':',
		byte('0' + sc/10), byte('0' + sc%10), ',', byte('0' + milli/100), byte('0' + milli/10%10), byte('0' + milli%10)}
	buf.Write(d.text[:])
	buf.Write(a[:])
}

// asctimeDay is one UTC day in the layout's time format: "2006-01-02 ".
type asctimeDay struct {
	day  int64 // dayOf its milliseconds
	text [11]byte
}

// _lastDay is the day appendAsctime wrote last, shared by every encoder:
// read by all, replaced when the day changes.
var _lastDay atomic.Pointer[asctimeDay]

// appendCustomTime runs EncodeTime and keeps the result one JSON value.
// The caller has written the separator.
func (e *encoder) appendCustomTime(t time.Time) {
	start := e.buf.Len()
	e.values = valueEncoder{e: e}
	e.set.encodeTime(t, &e.values)
	n := e.values.n
	e.values = valueEncoder{}
	switch {
	case n == 0 || e.buf.Len() == start:
		// Nothing written: zap falls back too, to keep the JSON valid.
		e.quote()
		appendAsctime(e.buf, t)
		e.quote()
	case n > 1:
		// Several values: make them one array.
		e.buf.AppendByte(' ') // room for the '['
		b := e.buf.Bytes()
		copy(b[start+1:], b[start:len(b)-1])
		b[start] = '['
		e.buf.AppendByte(']')
	}
}

// appendMessage writes the message value: embedded JSON for a JSON object
// or array, a string otherwise.
func (e *encoder) appendMessage(msg string) {
	if j := strings.TrimSpace(msg); len(j) >= 2 && (j[0] == '{' || j[0] == '[') &&
		utf8.ValidString(j) && json.Valid([]byte(j)) {
		e.appendCompactJSON(j)
		return
	}
	e.quote()
	e.safeAddString(msg)
	e.quote()
}

// appendCompactJSON writes the valid JSON document j without insignificant
// whitespace.
func (e *encoder) appendCompactJSON(j string) {
	inString, escaped := false, false
	last := 0
	for i := 0; i < len(j); i++ {
		c := j[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ', c == '\t', c == '\n', c == '\r':
			e.rawString(j[last:i])
			last = i + 1
		}
	}
	e.rawString(j[last:])
}

// isLayoutKey reports whether key is one of the JSON layout's own keys,
// or "_aws", the key of the metrics directive (emf.go).
func isLayoutKey(key string) bool {
	switch len(key) {
	case 4:
		return key == "_aws"
	case 5:
		return key == "level"
	case 7:
		return key == "message"
	case 8:
		return key == "location"
	case 9:
		return key == "timestamp" || key == "exception"
	}
	return false
}

// owns reports whether a field keyed key at the top level collides with a
// key the encoder writes itself, and so takes a "_" prefix: the JSON
// layout's keys, seq with SequenceKey, trace_id and span_id with
// TraceContext.
func (s *encoderSettings) owns(key string) bool {
	return !s.text && isLayoutKey(key) || s.seq != nil && key == _sequenceKey ||
		s.trace != nil && (key == _traceIDKey || key == _spanIDKey)
}

// layoutOwns reports whether the JSON layout of c writes key itself,
// which no metric dimension may name but level and location.
func (c *EncoderConfig) layoutOwns(key string) bool {
	return isLayoutKey(key) || c.SequenceKey && key == _sequenceKey ||
		c.TraceContext != nil && (key == _traceIDKey || key == _spanIDKey)
}

// Trace ids: with TraceContext, an entry carrying a context.Context
// field gets the ids the hook reads from it, under the keys OpenTelemetry
// names for log formats other than OTLP ("Trace Context in non-OTLP Log
// Formats"), and the context field itself is not written.

// The keys of the trace ids.
const (
	_traceIDKey = "trace_id"
	_spanIDKey  = "span_id"
)

// traceIDs are what TraceContext read from one context; err is the text
// of its panic, if it panicked.
type traceIDs struct {
	trace, span, err string
}

// contextOf returns the context.Context a field holds: whatever its key
// and type, as OpenTelemetry's zap bridge (otelzap) finds it. zap.Any
// makes a Stringer field of the standard library's contexts and a
// Reflect field of others.
func contextOf(f *zapcore.Field) (context.Context, bool) {
	if f.Interface == nil {
		return nil, false
	}
	ctx, ok := f.Interface.(context.Context)
	return ctx, ok
}

// isTraceContext reports whether f is a context field the encoder reads
// for trace ids instead of writing it.
func (e *encoder) isTraceContext(f *zapcore.Field) bool {
	if e.set.trace == nil {
		return false
	}
	_, ok := contextOf(f)
	return ok
}

// traceOf runs TraceContext on ctx. A panic is contained, as a
// marshaler's is: no ids, and its text in err.
func (s *encoderSettings) traceOf(ctx context.Context) (ids traceIDs) {
	defer func() {
		if r := recover(); r != nil {
			ids = traceIDs{err: panicError(r).Error()}
		}
	}()
	ids.trace, ids.span = s.trace(ctx)
	return ids
}

// entryTrace returns the trace ids of an entry: those of its last context
// field, else those of the context given to With.
func (e *encoder) entryTrace(ctx *encoder, fields []zapcore.Field) traceIDs {
	for i := len(fields) - 1; i >= 0; i-- {
		if c, ok := contextOf(&fields[i]); ok {
			return e.set.traceOf(c)
		}
	}
	return ctx.ctxTrace
}

// appendTraceIDs writes the ids that are not empty, and a hook's panic
// as "trace_idError", in the encoder's form.
func (e *encoder) appendTraceIDs(ids traceIDs) {
	if ids.trace != "" {
		e.addOwnedString(_traceIDKey, ids.trace)
	}
	if ids.span != "" {
		e.addOwnedString(_spanIDKey, ids.span)
	}
	if ids.err != "" {
		e.addOwnedString(_traceIDKey+"Error", ids.err)
	}
}

// addOwnedString writes a string under a key the encoder owns, which
// addKey would prefix with "_". key is plain ASCII.
func (e *encoder) addOwnedString(key, val string) {
	e.addElementSeparator()
	e.quote()
	e.buf.AppendString(key)
	e.lit(e.set.t.keyEnd)
	e.quote()
	e.safeAddString(val)
	e.quote()
}

// Fields: addField for zap's field types, and the zapcore.ObjectEncoder
// methods that write "key":value pairs.

// errorText returns err.Error(), surviving a panicking Error method the
// way zap does.
func errorText(v any) (s string) {
	err, _ := v.(error)
	if err == nil {
		return "<nil>"
	}
	defer func() {
		if r := recover(); r != nil {
			if rv := reflect.ValueOf(err); rv.Kind() == reflect.Pointer && rv.IsNil() {
				s = "<nil>"
				return
			}
			s = fmt.Sprintf("PANIC=%v", r)
		}
	}()
	return err.Error()
}

func panicError(r any) error {
	return fmt.Errorf("PANIC=%v", r)
}

// addField writes one field, like zapcore.Field.AddTo but with direct calls
// for the common types and panics contained.
func (e *encoder) addField(f *zapcore.Field) {
	switch f.Type {
	case zapcore.StringType:
		e.AddString(f.Key, f.String)
	case zapcore.Int64Type, zapcore.Int32Type, zapcore.Int16Type, zapcore.Int8Type:
		e.AddInt64(f.Key, f.Integer) // zap stores narrower ints sign-extended
	case zapcore.Uint64Type, zapcore.UintptrType:
		e.AddUint64(f.Key, uint64(f.Integer))
	case zapcore.Uint32Type:
		e.AddUint64(f.Key, uint64(uint32(f.Integer)))
	case zapcore.Uint16Type:
		e.AddUint64(f.Key, uint64(uint16(f.Integer)))
	case zapcore.Uint8Type:
		e.AddUint64(f.Key, uint64(uint8(f.Integer)))
	case zapcore.BoolType:
		e.AddBool(f.Key, f.Integer == 1)
	case zapcore.Float64Type:
		e.AddFloat64(f.Key, math.Float64frombits(uint64(f.Integer)))
	case zapcore.Float32Type:
		e.AddFloat32(f.Key, math.Float32frombits(uint32(f.Integer)))
	case zapcore.DurationType:
		e.AddDuration(f.Key, time.Duration(f.Integer))
	case zapcore.TimeType:
		t := time.Unix(0, f.Integer)
		if loc, ok := f.Interface.(*time.Location); ok && loc != nil {
			t = t.In(loc)
		}
		e.AddTime(f.Key, t)
	case zapcore.SkipType:
	case zapcore.ObjectMarshalerType:
		if err := e.AddObject(f.Key, f.Interface.(zapcore.ObjectMarshaler)); err != nil {
			e.AddString(f.Key+"Error", err.Error())
		}
	case zapcore.ArrayMarshalerType:
		if err := e.AddArray(f.Key, f.Interface.(zapcore.ArrayMarshaler)); err != nil {
			e.AddString(f.Key+"Error", err.Error())
		}
	case zapcore.InlineMarshalerType:
		if err := e.marshalInline(f.Interface.(zapcore.ObjectMarshaler)); err != nil {
			e.AddString(f.Key+"Error", err.Error())
		}
	default:
		// Errors, Stringers, reflected values, binary and whatever zap adds
		// later: zap's own code, which recovers Stringer and Error panics.
		f.AddTo(e)
	}
}

func (e *encoder) marshalInline(m zapcore.ObjectMarshaler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e.repair()
			err = panicError(r)
		}
	}()
	return m.MarshalLogObject(e)
}

// repair makes the buffer end on a complete value after a panic cut a
// field short.
func (e *encoder) repair() {
	n := e.buf.Len()
	if n == 0 {
		return
	}
	switch e.buf.Bytes()[n-1] {
	case ':':
		e.buf.AppendString("null")
	case ',':
		truncate(e.buf, n-1)
	}
}

func (e *encoder) addKey(key string) {
	e.addElementSeparator()
	if e.depth == 0 && e.set.owns(key) {
		e.lit(e.set.t.keyLayout)
	} else {
		e.quote()
	}
	e.safeAddString(key)
	e.lit(e.set.t.keyEnd)
}

func (e *encoder) addElementSeparator() {
	last := e.buf.Len() - 1
	if last < 0 {
		return
	}
	switch e.buf.Bytes()[last] {
	case '{', '[', ':', ',':
		return
	default:
		e.buf.AppendByte(',')
	}
}

func (e *encoder) closeOpenNamespaces() {
	for range e.openNamespaces {
		e.buf.AppendByte('}')
	}
	e.depth -= e.openNamespaces
	e.openNamespaces = 0
}

// AddArray implements zapcore.ObjectEncoder.
func (e *encoder) AddArray(key string, arr zapcore.ArrayMarshaler) error {
	e.addKey(key)
	return e.AppendArray(arr)
}

// AddObject implements zapcore.ObjectEncoder.
func (e *encoder) AddObject(key string, obj zapcore.ObjectMarshaler) error {
	e.addKey(key)
	return e.AppendObject(obj)
}

// AddBinary implements zapcore.ObjectEncoder: base64, as zap.
func (e *encoder) AddBinary(key string, val []byte) {
	e.addKey(key)
	e.quote()
	var chunk [64]byte
	for len(val) > 0 {
		n := min(len(val), 48) // 48 bytes → 64 characters, no padding until the end
		base64.StdEncoding.Encode(chunk[:], val[:n])
		e.buf.Write(chunk[:base64.StdEncoding.EncodedLen(n)])
		val = val[n:]
	}
	e.quote()
}

// AddByteString implements zapcore.ObjectEncoder.
func (e *encoder) AddByteString(key string, val []byte) {
	e.addKey(key)
	e.AppendByteString(val)
}

// AddBool implements zapcore.ObjectEncoder.
func (e *encoder) AddBool(key string, val bool) {
	e.addKey(key)
	e.buf.AppendBool(val)
}

// AddComplex128 implements zapcore.ObjectEncoder.
func (e *encoder) AddComplex128(key string, val complex128) {
	e.addKey(key)
	e.AppendComplex128(val)
}

// AddComplex64 implements zapcore.ObjectEncoder.
func (e *encoder) AddComplex64(key string, val complex64) {
	e.addKey(key)
	e.AppendComplex64(val)
}

// AddDuration implements zapcore.ObjectEncoder: seconds as a number.
func (e *encoder) AddDuration(key string, val time.Duration) {
	e.addKey(key)
	e.AppendDuration(val)
}

// AddFloat64 implements zapcore.ObjectEncoder.
func (e *encoder) AddFloat64(key string, val float64) {
	e.addKey(key)
	e.appendFloat(val, 64)
}

// AddFloat32 implements zapcore.ObjectEncoder.
func (e *encoder) AddFloat32(key string, val float32) {
	e.addKey(key)
	e.appendFloat(float64(val), 32)
}

// AddInt implements zapcore.ObjectEncoder.
func (e *encoder) AddInt(key string, val int) { e.AddInt64(key, int64(val)) }

// AddInt64 implements zapcore.ObjectEncoder.
func (e *encoder) AddInt64(key string, val int64) {
	e.addKey(key)
	e.buf.AppendInt(val)
}

// AddInt32 implements zapcore.ObjectEncoder.
func (e *encoder) AddInt32(key string, val int32) { e.AddInt64(key, int64(val)) }

// AddInt16 implements zapcore.ObjectEncoder.
func (e *encoder) AddInt16(key string, val int16) { e.AddInt64(key, int64(val)) }

// AddInt8 implements zapcore.ObjectEncoder.
func (e *encoder) AddInt8(key string, val int8) { e.AddInt64(key, int64(val)) }

// AddString implements zapcore.ObjectEncoder.
func (e *encoder) AddString(key, val string) {
	e.addKey(key)
	e.quote()
	e.safeAddString(val)
	e.quote()
}

// AddTime implements zapcore.ObjectEncoder.
func (e *encoder) AddTime(key string, val time.Time) {
	e.addKey(key)
	e.AppendTime(val)
}

// AddUint implements zapcore.ObjectEncoder.
func (e *encoder) AddUint(key string, val uint) { e.AddUint64(key, uint64(val)) }

// AddUint64 implements zapcore.ObjectEncoder.
func (e *encoder) AddUint64(key string, val uint64) {
	e.addKey(key)
	e.buf.AppendUint(val)
}

// AddUint32 implements zapcore.ObjectEncoder.
func (e *encoder) AddUint32(key string, val uint32) { e.AddUint64(key, uint64(val)) }

// AddUint16 implements zapcore.ObjectEncoder.
func (e *encoder) AddUint16(key string, val uint16) { e.AddUint64(key, uint64(val)) }

// AddUint8 implements zapcore.ObjectEncoder.
func (e *encoder) AddUint8(key string, val uint8) { e.AddUint64(key, uint64(val)) }

// AddUintptr implements zapcore.ObjectEncoder.
func (e *encoder) AddUintptr(key string, val uintptr) { e.AddUint64(key, uint64(val)) }

// AddReflected implements zapcore.ObjectEncoder with encoding/json. A value
// that fails to marshal is left out and its error returned (zap's Field.AddTo
// then writes "<key>Error").
func (e *encoder) AddReflected(key string, obj any) error {
	b, err := e.encodeReflected(obj)
	if err != nil {
		return err
	}
	e.addKey(key)
	e.raw(b)
	return nil
}

// OpenNamespace implements zapcore.ObjectEncoder: later fields go into a
// nested object, closed with the entry (or the enclosing object).
func (e *encoder) OpenNamespace(key string) {
	e.addKey(key)
	e.buf.AppendByte('{')
	e.openNamespaces++
	e.depth++
}

var _null = []byte("null")

func (e *encoder) encodeReflected(obj any) (b []byte, err error) {
	if obj == nil {
		return _null, nil
	}
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, panicError(r)
		}
	}()
	if e.reflectBuf == nil {
		e.reflectBuf = _bufPool.Get()
		e.reflectEnc = json.NewEncoder(e.reflectBuf)
		e.reflectEnc.SetEscapeHTML(false)
	} else {
		e.reflectBuf.Reset()
	}
	if err := e.reflectEnc.Encode(obj); err != nil {
		return nil, err
	}
	e.reflectBuf.TrimNewline()
	b = e.reflectBuf.Bytes()
	if !utf8.Valid(b) {
		// A MarshalJSON's text (json.RawMessage) is checked as JSON, not
		// as UTF-8; the wire form and its size (wireSize) need UTF-8.
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	return b, nil
}

// Arrays: the zapcore.ArrayEncoder methods, which write array elements
// and the values of a custom EncodeTime.

// AppendArray implements zapcore.ArrayEncoder. A panicking MarshalLogArray
// is recovered: the array is closed and the panic returned as an error.
func (e *encoder) AppendArray(arr zapcore.ArrayMarshaler) (err error) {
	e.addElementSeparator()
	depth, ns := e.depth, e.openNamespaces
	e.depth++
	e.openNamespaces = 0
	e.buf.AppendByte('[')
	defer func() {
		if r := recover(); r != nil {
			e.repair()
			err = panicError(r)
		}
		e.closeOpenNamespaces() // none in arrays; kept for symmetry
		e.buf.AppendByte(']')
		e.depth, e.openNamespaces = depth, ns
	}()
	return arr.MarshalLogArray(e)
}

// AppendObject implements zapcore.ArrayEncoder. A panicking
// MarshalLogObject is recovered: the object (and namespaces it opened) is
// closed and the panic returned as an error.
func (e *encoder) AppendObject(obj zapcore.ObjectMarshaler) (err error) {
	e.addElementSeparator()
	depth, ns := e.depth, e.openNamespaces
	e.depth++
	e.openNamespaces = 0
	e.buf.AppendByte('{')
	defer func() {
		if r := recover(); r != nil {
			e.repair()
			err = panicError(r)
		}
		e.closeOpenNamespaces()
		e.buf.AppendByte('}')
		e.depth, e.openNamespaces = depth, ns
	}()
	return obj.MarshalLogObject(e)
}

// AppendReflected implements zapcore.ArrayEncoder.
func (e *encoder) AppendReflected(val any) error {
	b, err := e.encodeReflected(val)
	if err != nil {
		return err
	}
	e.addElementSeparator()
	e.raw(b)
	return nil
}

// AppendBool implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendBool(val bool) {
	e.addElementSeparator()
	e.buf.AppendBool(val)
}

// AppendByteString implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendByteString(val []byte) {
	e.addElementSeparator()
	e.quote()
	e.less += appendEscapedTo(e.set.esc, e.buf, val)
	e.quote()
}

func (e *encoder) appendComplex(val complex128, precision int) {
	e.addElementSeparator()
	r, i := real(val), imag(val)
	e.quote()
	e.buf.AppendFloat(r, precision) // quoted: NaN and Inf need no care
	if i >= 0 || math.IsNaN(i) {
		e.buf.AppendByte('+')
	}
	e.buf.AppendFloat(i, precision)
	e.lit(e.set.t.complexEnd)
}

// AppendComplex128 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendComplex128(val complex128) { e.appendComplex(val, 64) }

// AppendComplex64 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendComplex64(val complex64) { e.appendComplex(complex128(val), 32) }

// AppendDuration implements zapcore.ArrayEncoder: seconds as a number.
func (e *encoder) AppendDuration(val time.Duration) {
	e.addElementSeparator()
	var a [_shortLen]byte
	if b, ok := appendShortSeconds(a[:0], val); ok {
		e.buf.Write(b)
		return
	}
	e.buf.AppendFloat(val.Seconds(), 64)
}

func (e *encoder) appendFloat(val float64, bitSize int) {
	e.addElementSeparator()
	switch {
	case math.IsNaN(val):
		e.lit(e.set.t.nan)
	case math.IsInf(val, 1):
		e.lit(e.set.t.posInf)
	case math.IsInf(val, -1):
		e.lit(e.set.t.negInf)
	case bitSize == 64:
		var a [_shortLen]byte
		if b, ok := appendShortFloat(a[:0], val); ok {
			e.buf.Write(b)
			return
		}
		fallthrough
	default:
		e.buf.AppendFloat(val, bitSize)
	}
}

// AppendFloat64 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendFloat64(val float64) { e.appendFloat(val, 64) }

// AppendFloat32 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendFloat32(val float32) { e.appendFloat(float64(val), 32) }

// AppendInt implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendInt(val int) { e.AppendInt64(int64(val)) }

// AppendInt64 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendInt64(val int64) {
	e.addElementSeparator()
	e.buf.AppendInt(val)
}

// AppendInt32 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendInt32(val int32) { e.AppendInt64(int64(val)) }

// AppendInt16 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendInt16(val int16) { e.AppendInt64(int64(val)) }

// AppendInt8 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendInt8(val int8) { e.AppendInt64(int64(val)) }

// AppendString implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendString(val string) {
	e.addElementSeparator()
	e.quote()
	e.safeAddString(val)
	e.quote()
}

// AppendTime implements zapcore.ArrayEncoder: EncodeTime, or RFC 3339 with
// nanoseconds.
func (e *encoder) AppendTime(val time.Time) {
	e.addElementSeparator()
	if e.set.encodeTime != nil {
		e.appendCustomTime(val)
		return
	}
	e.quote()
	e.buf.AppendTime(val, time.RFC3339Nano)
	e.quote()
}

// AppendTimeLayout lets zap's layout-based TimeEncoders format without
// allocating.
func (e *encoder) AppendTimeLayout(t time.Time, layout string) {
	e.addElementSeparator()
	e.quote()
	start := e.buf.Len()
	e.buf.AppendTime(t, layout)
	if needsEscape(e.buf.Bytes()[start:]) {
		s := string(e.buf.Bytes()[start:])
		truncate(e.buf, start)
		e.safeAddString(s)
	}
	e.quote()
}

// AppendUint implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendUint(val uint) { e.AppendUint64(uint64(val)) }

// AppendUint64 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendUint64(val uint64) {
	e.addElementSeparator()
	e.buf.AppendUint(val)
}

// AppendUint32 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendUint32(val uint32) { e.AppendUint64(uint64(val)) }

// AppendUint16 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendUint16(val uint16) { e.AppendUint64(uint64(val)) }

// AppendUint8 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendUint8(val uint8) { e.AppendUint64(uint64(val)) }

// AppendUintptr implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendUintptr(val uintptr) { e.AppendUint64(uint64(val)) }

// valueEncoder is what EncodeTime writes to: it counts the values so that
// the encoder can keep the result one JSON value.
type valueEncoder struct {
	e *encoder
	n int
}

var _ zapcore.PrimitiveArrayEncoder = (*valueEncoder)(nil)

func (v *valueEncoder) AppendBool(x bool) { v.n++; v.e.AppendBool(x) }

func (v *valueEncoder) AppendByteString(x []byte) { v.n++; v.e.AppendByteString(x) }

func (v *valueEncoder) AppendComplex128(x complex128) { v.n++; v.e.AppendComplex128(x) }

func (v *valueEncoder) AppendComplex64(x complex64) { v.n++; v.e.AppendComplex64(x) }

func (v *valueEncoder) AppendFloat64(x float64) { v.n++; v.e.AppendFloat64(x) }

func (v *valueEncoder) AppendFloat32(x float32) { v.n++; v.e.AppendFloat32(x) }

func (v *valueEncoder) AppendInt(x int) { v.n++; v.e.AppendInt(x) }

func (v *valueEncoder) AppendInt64(x int64) { v.n++; v.e.AppendInt64(x) }

func (v *valueEncoder) AppendInt32(x int32) { v.n++; v.e.AppendInt32(x) }

func (v *valueEncoder) AppendInt16(x int16) { v.n++; v.e.AppendInt16(x) }

func (v *valueEncoder) AppendInt8(x int8) { v.n++; v.e.AppendInt8(x) }

func (v *valueEncoder) AppendString(x string) { v.n++; v.e.AppendString(x) }

func (v *valueEncoder) AppendUint(x uint) { v.n++; v.e.AppendUint(x) }

func (v *valueEncoder) AppendUint64(x uint64) { v.n++; v.e.AppendUint64(x) }

func (v *valueEncoder) AppendUint32(x uint32) { v.n++; v.e.AppendUint32(x) }

func (v *valueEncoder) AppendUint16(x uint16) { v.n++; v.e.AppendUint16(x) }

func (v *valueEncoder) AppendUint8(x uint8) { v.n++; v.e.AppendUint8(x) }

func (v *valueEncoder) AppendUintptr(x uintptr) { v.n++; v.e.AppendUintptr(x) }

func (v *valueEncoder) AppendTimeLayout(t time.Time, l string) { v.n++; v.e.AppendTimeLayout(t, l) }

// Strings: JSON escaping and UTF-8 repair, shared by every string the
// encoder writes.

// truncate cuts buf to n bytes; buffer.Buffer has no such method.
func truncate(buf *buffer.Buffer, n int) {
	b := buf.Bytes()[:n]
	buf.Reset()
	buf.Write(b) // same memory: copies in place
}

// appendValidUTF8 appends s with invalid UTF-8 replaced as by
// strings.ToValidUTF8(s, "\uFFFD").
func appendValidUTF8(buf *buffer.Buffer, s string) {
	if utf8.ValidString(s) {
		buf.AppendString(s)
		return
	}
	buf.AppendString(strings.ToValidUTF8(s, "\uFFFD"))
}

func needsEscape(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// safeAddString JSON-escapes s into the buffer, as zap does.
func (e *encoder) safeAddString(s string) {
	e.less += appendEscapedTo(e.set.esc, e.buf, s)
}
