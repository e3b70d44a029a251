package cwzap

import (
	"encoding/json"
	"strings"
	"sync"

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
}

// _maxPooledBuffer keeps a huge entry (up to MaxEventBytes) from pinning
// its buffer in the pool forever.
const _maxPooledBuffer = 64 << 10

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
}

func newSettings(cfg EncoderConfig) *encoderSettings {
	s := &encoderSettings{
		text:       cfg.Format != FormatJSON || cfg.PrefixFunc != nil,
		prefixFunc: cfg.PrefixFunc,
		function:   strings.ToValidUTF8(cfg.Function, "\uFFFD"),
		encodeTime: cfg.EncodeTime,
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
	case f == FormatStandard, f == FormatJSON, f.Validate() != nil:
		s.parts = _standardParts
	default:
		s.parts = parseTemplate(string(f))
	}
	return s
}

// NewEncoder returns a zapcore.Encoder for the JSON layout or, when
// cfg.Format is not FormatJSON or cfg.PrefixFunc is set, a text format. The
// zero EncoderConfig gives the JSON layout. The encoder is also registered
// with zap as EncodingName, "cwzap", which ignores zap's EncoderConfig.
// An unknown named format ("#…") falls back to FormatStandard; see
// Format.Validate.
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
//   - then the context fields (from With), then the entry's fields.
//
// Colliding keys: a top-level field (from With or the entry, not inside a
// zap.Namespace or a nested object) whose key is one of the layout keys
// timestamp, level, location, message or exception, or seq with
// SequenceKey, is written with a "_" prefix ("_level"), whether or not
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
// object is always there and starts with "seq". A stack follows on the
// next lines. Invalid UTF-8 in the text becomes U+FFFD, and newlines ending
// the message are dropped so the entry ends in exactly one "\n".
func NewEncoder(cfg EncoderConfig) zapcore.Encoder {
	return newEncoder(cfg)
}

func newEncoder(cfg EncoderConfig) *encoder {
	return &encoder{set: newSettings(cfg), buf: _bufPool.Get()}
}

// encoder implements zapcore.Encoder. An encoder built by NewEncoder or
// Clone holds encoded context in buf; EncodeEntry works on a pooled clone.
type encoder struct {
	set *encoderSettings
	buf *buffer.Buffer

	openNamespaces int // namespaces open in the current object
	depth          int // 0 at the top-level object; namespaces and nesting add 1
	ctxExc         string

	reflectBuf *buffer.Buffer
	reflectEnc *json.Encoder

	values valueEncoder // EncodeTime's target, kept here to avoid an allocation
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
	if b.Cap() <= _maxPooledBuffer {
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
	return c
}

// with returns a clone holding fields as context. In the JSON layout an
// error field keyed "error" goes to the exception text instead.
func (e *encoder) with(fields []zapcore.Field) *encoder {
	c := e.cloneWith()
	for i := range fields {
		f := &fields[i]
		if !c.set.text && f.Type == zapcore.ErrorType && f.Key == "error" && c.depth == 0 {
			t := errorText(f.Interface)
			if c.ctxExc == "" {
				c.ctxExc = t
			} else {
				c.ctxExc += "\n" + t
			}
			continue
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
	if buf.Cap() > _maxPooledBuffer {
		// Free would put it back into the shared pool: hand out a copy from
		// a throwaway pool instead and let both go to the collector.
		big := buffer.NewPool().Get()
		big.Write(buf.Bytes())
		buf = big
	}
	return buf, nil
}
