package cwzap

import (
	"fmt"
	"strings"

	"go.uber.org/zap/zapcore"
)

// This file holds the text formats: Format, its named prefixes and
// templates, and encodeText, which writes prefix, message and fields.

// Format selects the encoding: FormatJSON, one of the named text formats,
// or a text template using {level}, {func} and {caller}.
//
// In a template, {level} is the level name (DEBUG, INFO, WARNING, ERROR,
// CRITICAL), {func} is EncoderConfig.Function and {caller} is the bare name
// of the calling function (as in the JSON layout's location, without the
// line). Other text is copied as is, and so is a '{' that does not start a
// name ("{ ", "{}"). A template must not start with '#': names starting
// with '#' are named formats.
//
// Use the constants, or ParseFormat for text from a configuration file:
// it refuses an unknown name ("#standrad"), an unknown placeholder
// ("{levle}") and an unclosed one ("{level: "). New, Spec.Build and
// ParseSpec refuse such a format with ParseFormat's error. NewCore and
// NewEncoder cannot return an error: they encode with FormatStandard
// instead and add a "formatError" field holding that error to every
// event, so the mistake shows in the first event read back.
type Format string

// The named formats.
const (
	// FormatJSON is the JSON layout: one JSON object per entry. The default.
	FormatJSON Format = ""
	// FormatStandard is the prefix "{level}: {func}: {caller}: ".
	FormatStandard Format = "#standard"
	// FormatShort is the prefix "{level}: {func}: ".
	FormatShort Format = "#short"
	// FormatSimple is the prefix "{func}: ".
	FormatSimple Format = "#simple"
	// FormatMini is "LEVEL: " for WARNING and above only, then "func: " only
	// when a function name is set: "WARNING: CoolLambdaFunc: msg", or just
	// "msg" for INFO without a function.
	FormatMini Format = "#mini"
)

// ParseFormat returns s as a Format, or an error naming what is wrong:
// an unknown named format ('#' and a name other than standard, short,
// simple or mini), or a template with an unknown or unclosed placeholder.
// "" is FormatJSON.
func ParseFormat(s string) (Format, error) {
	f := Format(s)
	if err := f.Validate(); err != nil {
		return FormatJSON, err
	}
	return f, nil
}

// Validate reports whether f is usable: FormatJSON, a named format, or a
// template whose placeholders are all {level}, {func} or {caller}. The
// error is ParseFormat's. See Format for what NewCore does with a format
// that fails it.
func (f Format) Validate() error {
	if f == FormatJSON {
		return nil
	}
	if f[0] == '#' {
		switch f {
		case FormatStandard, FormatShort, FormatSimple, FormatMini:
			return nil
		}
		return fmt.Errorf("cwzap: unknown format %q (want %q, %q, %q, %q, \"\" for JSON, or a template such as \"[{level}] {func}: \")",
			string(f), FormatStandard, FormatShort, FormatSimple, FormatMini)
	}
	for rest := string(f); ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return nil
		}
		rest = rest[i:]
		name, closed := placeholderName(rest)
		switch {
		case name == "":
			rest = rest[1:] // a literal '{'
			continue
		case !closed:
			return fmt.Errorf("cwzap: format %q: unclosed placeholder {%s (want {level}, {func} or {caller})", string(f), name)
		case name != "level" && name != "func" && name != "caller":
			return fmt.Errorf("cwzap: format %q: unknown placeholder {%s} (want {level}, {func} or {caller})", string(f), name)
		}
		rest = rest[len(name)+2:]
	}
}

// placeholderName returns the name s starts with after its '{': ASCII
// letters, digits or '_' starting with a letter; closed reports whether a
// '}' follows it.
func placeholderName(s string) (name string, closed bool) {
	j := 1
	for ; j < len(s); j++ {
		c := s[j]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (j == 1 || c != '_' && (c < '0' || c > '9')) {
			break
		}
	}
	return s[1:j], j < len(s) && s[j] == '}'
}

// PrefixFunc computes the text prefix of an entry from its level, the
// configured function name (EncoderConfig.Function), the bare name of the
// calling function ("" when the caller is unknown) and the message. The
// returned text is written as is, with invalid UTF-8 replaced by U+FFFD.
type PrefixFunc func(level zapcore.Level, function, caller, msg string) string

// template part kinds.
const (
	partLiteral = iota
	partLevel
	partFunc
	partCaller
)

type templatePart struct {
	kind int
	lit  string
}

var _standardParts = parseTemplate("{level}: {func}: {caller}: ")

func parseTemplate(t string) []templatePart {
	t = strings.ToValidUTF8(t, "\uFFFD")
	var parts []templatePart
	lit := 0 // start of the pending literal
	for i := 0; i < len(t); i++ {
		if t[i] != '{' {
			continue
		}
		var kind int
		var n int
		switch {
		case strings.HasPrefix(t[i:], "{level}"):
			kind, n = partLevel, len("{level}")
		case strings.HasPrefix(t[i:], "{func}"):
			kind, n = partFunc, len("{func}")
		case strings.HasPrefix(t[i:], "{caller}"):
			kind, n = partCaller, len("{caller}")
		default:
			continue
		}
		if i > lit {
			parts = append(parts, templatePart{kind: partLiteral, lit: t[lit:i]})
		}
		parts = append(parts, templatePart{kind: kind})
		i += n - 1
		lit = i + 1
	}
	if lit < len(t) {
		parts = append(parts, templatePart{kind: partLiteral, lit: t[lit:]})
	}
	return parts
}

func (e *encoder) encodeText(ctx *encoder, ent zapcore.Entry, fields []zapcore.Field) {
	buf := e.buf
	set := e.set
	caller := ""
	if ent.Caller.Defined {
		caller = bareFunction(ent.Caller.Function)
	}
	lt, _ := levelText(ent.Level)
	switch {
	case set.prefixFunc != nil:
		appendValidUTF8(buf, set.prefixFunc(ent.Level, set.function, caller, ent.Message))
	case set.mini:
		if ent.Level >= zapcore.WarnLevel {
			appendValidUTF8(buf, lt)
			buf.AppendString(": ")
		}
		if set.function != "" {
			buf.AppendString(set.function)
			buf.AppendString(": ")
		}
	default:
		for _, p := range set.parts {
			switch p.kind {
			case partLiteral:
				buf.AppendString(p.lit)
			case partLevel:
				appendValidUTF8(buf, lt)
			case partFunc:
				buf.AppendString(set.function)
			case partCaller:
				appendValidUTF8(buf, caller)
			}
		}
	}
	appendValidUTF8(buf, strings.TrimRight(ent.Message, "\r\n"))

	if ctx.buf.Len() > 0 || len(fields) > 0 || set.seq != nil || set.formatErr != "" || ctx.ctxTrace != (traceIDs{}) {
		mark := buf.Len()
		buf.AppendString(" {")
		start := buf.Len()
		if set.seq != nil {
			buf.AppendString(`"` + _sequenceKey + `":"`)
			set.seq.append(buf)
			buf.AppendByte('"')
		}
		if set.formatErr != "" {
			e.AddString("formatError", set.formatErr)
		}
		if set.trace != nil {
			e.appendTraceIDs(e.entryTrace(ctx, fields))
		}
		if ctx.buf.Len() > 0 {
			if buf.Len() > start {
				buf.AppendByte(',')
			}
			buf.Write(ctx.buf.Bytes())
		}
		for i := range fields {
			if f := &fields[i]; !e.isTraceContext(f) {
				e.addField(f)
			}
		}
		e.closeOpenNamespaces()
		if buf.Len() == start {
			truncate(buf, mark) // only skipped fields: no object
		} else {
			buf.AppendByte('}')
		}
	}
	if ent.Stack != "" {
		buf.AppendByte('\n')
		appendValidUTF8(buf, strings.TrimRight(ent.Stack, "\r\n"))
	}
	buf.AppendByte('\n')
}
