package cwzap

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"
)

// This file holds the JSON layout: encodeJSON writes an entry's
// timestamp, level, location, message and exception, then the fields
// (values.go), escaped by values_escape.go.

func (e *encoder) encodeJSON(ctx *encoder, ent zapcore.Entry, fields []zapcore.Field) {
	buf := e.buf
	buf.AppendString(`{"timestamp":`)
	e.appendEntryTime(ent.Time)
	buf.AppendString(`,"level":"`)
	if lt, ok := levelText(ent.Level); ok {
		buf.AppendString(lt)
	} else {
		e.safeAddString(lt)
	}
	buf.AppendString(`","location":"`)
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
	buf.AppendString(`","message":`)
	e.appendMessage(ent.Message)

	// exception: context errors, entry errors, then the stack.
	inNS := e.depth > 0
	started := false
	if ctx.ctxExc != "" {
		buf.AppendString(`,"exception":"`)
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
			buf.AppendString(`\n`)
		} else {
			buf.AppendString(`,"exception":"`)
			started = true
		}
		e.safeAddString(errorText(f.Interface))
	}
	if ent.Stack != "" {
		if started {
			buf.AppendString(`\n`)
		} else {
			buf.AppendString(`,"exception":"`)
			started = true
		}
		e.safeAddString(ent.Stack)
	}
	if started {
		buf.AppendByte('"')
	}
	if e.set.seq != nil {
		buf.AppendString(`,"` + SequenceKey + `":`)
		e.set.seq.append(buf)
	}

	if ctx.buf.Len() > 0 {
		buf.AppendByte(',')
		buf.Write(ctx.buf.Bytes())
	}
	inNS = e.depth > 0
	for i := range fields {
		f := &fields[i]
		if f.Type == zapcore.NamespaceType {
			inNS = true
		} else if !inNS && f.Type == zapcore.ErrorType && f.Key == "error" {
			continue
		}
		e.addField(f)
	}
	e.closeOpenNamespaces()
	buf.AppendString("}\n")
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
	e.buf.AppendByte('"')
	appendAsctime(e.buf, t)
	e.buf.AppendByte('"')
}

// _asctime is the layout's default time: Python's asctime, in UTC; Go
// accepts ',' as the fraction separator.
const _asctime = "2006-01-02 15:04:05,000"

// appendAsctime writes t in UTC as 2006-01-02 15:04:05,000, by hand for the
// common years (three times faster than time.AppendFormat).
func appendAsctime(buf *buffer.Buffer, t time.Time) {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		buf.AppendTime(t, _asctime)
		return
	}
	h, mi, s := t.Clock()
	ms := t.Nanosecond() / 1e6
	var a [23]byte
	a[0] = byte('0' + y/1000)
	a[1] = byte('0' + y/100%10)
	a[2] = byte('0' + y/10%10)
	a[3] = byte('0' + y%10)
	a[4] = '-'
	a[5] = byte('0' + mo/10)
	a[6] = byte('0' + mo%10)
	a[7] = '-'
	a[8] = byte('0' + d/10)
	a[9] = byte('0' + d%10)
	a[10] = ' '
	a[11] = byte('0' + h/10)
	a[12] = byte('0' + h%10)
	a[13] = ':'
	a[14] = byte('0' + mi/10)
	a[15] = byte('0' + mi%10)
	a[16] = ':'
	a[17] = byte('0' + s/10)
	a[18] = byte('0' + s%10)
	a[19] = ','
	a[20] = byte('0' + ms/100)
	a[21] = byte('0' + ms/10%10)
	a[22] = byte('0' + ms%10)
	buf.Write(a[:])
}

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
		e.buf.AppendByte('"')
		appendAsctime(e.buf, t)
		e.buf.AppendByte('"')
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
		appendCompactJSON(e.buf, j)
		return
	}
	e.buf.AppendByte('"')
	e.safeAddString(msg)
	e.buf.AppendByte('"')
}

// appendCompactJSON writes the valid JSON document j without insignificant
// whitespace.
func appendCompactJSON(buf *buffer.Buffer, j string) {
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
			buf.AppendString(j[last:i])
			last = i + 1
		}
	}
	buf.AppendString(j[last:])
}

// isLayoutKey reports whether key is one of the JSON layout's own keys.
func isLayoutKey(key string) bool {
	switch len(key) {
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
