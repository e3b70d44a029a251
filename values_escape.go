package cwzap

import (
	"strings"
	"unicode/utf8"

	"go.uber.org/zap/buffer"
)

// This file holds JSON string escaping and UTF-8 repair, shared by every
// string the encoder writes.

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
	appendJSONEscaped(e.buf, (*buffer.Buffer).AppendString, utf8.DecodeRuneInString, s)
}

const _hexDigits = "0123456789abcdef"

// _plain marks the bytes written as they are: printable ASCII other than
// '"' and '\\'. One table load per byte is what keeps the common, all-plain
// string fast.
var _plain = func() (t [utf8.RuneSelf + 128]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONEscaped writes s JSON-escaped: '"' and '\\' escaped, control
// characters as \n \r \t or \u00XX, each invalid UTF-8 byte as \ufffd.
func appendJSONEscaped[S []byte | string](buf *buffer.Buffer, appendTo func(*buffer.Buffer, S), decodeRune func(S) (rune, int), s S) {
	last := 0
	for i := 0; i < len(s); {
		for i < len(s) && _plain[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := decodeRune(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			appendTo(buf, s[last:i])
			buf.AppendString(`\ufffd`)
			i++
			last = i
			continue
		}
		appendTo(buf, s[last:i])
		switch c {
		case '\\', '"':
			buf.AppendByte('\\')
			buf.AppendByte(c)
		case '\n':
			buf.AppendString(`\n`)
		case '\r':
			buf.AppendString(`\r`)
		case '\t':
			buf.AppendString(`\t`)
		default:
			buf.AppendString(`\u00`)
			buf.AppendByte(_hexDigits[c>>4])
			buf.AppendByte(_hexDigits[c&0xF])
		}
		i++
		last = i
	}
	appendTo(buf, s[last:])
}
