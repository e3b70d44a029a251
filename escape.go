package cwzap

import (
	"slices"
	"unicode/utf8"

	"go.uber.org/zap/buffer"
)

// The one JSON string escaper, for the encoder and for the request body:
// '"' and '\\' escaped, \n \r \t, other control bytes as \u00XX, and each
// byte of invalid UTF-8 as \ufffd; everything else, multi-byte runes
// included, as it is.

// _extra is how many bytes escaping adds to each byte inside a JSON string:
// 0 for bytes that stand for themselves (UTF-8 continuation and lead bytes
// included), 1 for the two-byte escapes, 5 for \u00XX.
var _extra = func() (t [256]uint8) {
	for c := range 0x20 {
		t[c] = 5
	}
	for _, c := range []byte{'"', '\\', '\n', '\r', '\t'} {
		t[c] = 1
	}
	return t
}()

// _escape is the letter after the backslash of a two-byte escape.
var _escape = [256]byte{'"': '"', '\\': '\\', '\n': 'n', '\r': 'r', '\t': 't'}

// _lead is the first byte written for each byte: itself, or the backslash
// of its two-byte escape.
var _lead = func() (t [256]byte) {
	for c := range t {
		t[c] = byte(c)
		if _extra[c] == 1 {
			t[c] = '\\'
		}
	}
	return t
}()

const _hex = "0123456789abcdef"

// escapeCost returns the bytes escaping adds to s, and the OR of its bytes:
// below utf8.RuneSelf, s is ASCII and needs no UTF-8 check.
func escapeCost[S []byte | string](s S) (extra int, high byte) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		extra += int(_extra[c])
		high |= c
	}
	return extra, high
}

// appendEscaped appends s as the inside of a JSON string and returns the
// UTF-8 size of the text it stands for.
//
// It measures first and then writes into room it has made, because log
// events are JSON themselves: a quote every few bytes would make an append
// per run of plain bytes the dominant cost.
func appendEscaped[S []byte | string](dst []byte, s S) ([]byte, int) {
	extra, high := escapeCost(s)
	return appendEscapedCost(dst, s, extra, high)
}

// appendEscapedCost is appendEscaped once escapeCost has measured s.
func appendEscapedCost[S []byte | string](dst []byte, s S, extra int, high byte) ([]byte, int) {
	if high >= utf8.RuneSelf && !validUTF8(s) {
		return appendEscapedInvalid(dst, s)
	}
	if extra == 0 {
		return append(dst, s...), len(s)
	}
	// Branch-free for plain bytes and two-byte escapes (a quote every few
	// bytes defeats branch prediction): write the byte or the backslash,
	// then the escape letter, which the next byte overwrites when unused.
	// One byte of slack at the end takes the last unused letter.
	n := len(dst)
	size := len(s) + extra
	dst = slices.Grow(dst, size+1)[:n+size+1]
	out := dst[n:]
	j := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		e := _extra[c]
		if e > 1 {
			out[j], out[j+1], out[j+2], out[j+3], out[j+4], out[j+5] = '\\', 'u', '0', '0', _hex[c>>4], _hex[c&0xf]
			j += 6
			continue
		}
		out[j] = _lead[c]
		out[j+1] = _escape[c]
		j += 1 + int(e)
	}
	return dst[:n+size], len(s)
}

func validUTF8[S []byte | string](s S) bool {
	switch s := any(s).(type) {
	case []byte:
		return utf8.Valid(s)
	case string:
		return utf8.ValidString(s)
	}
	return false
}

// appendEscapedInvalid is appendEscaped for text with invalid UTF-8, rune
// by rune: rare, so simple.
func appendEscapedInvalid[S []byte | string](dst []byte, s S) ([]byte, int) {
	size := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			dst, _ = appendEscaped(dst, s[i:i+1])
			size++
			i++
			continue
		}
		r, n := decodeRune(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, `\ufffd`...)
			size += 3 // as the service counts U+FFFD
			i++
			continue
		}
		dst = append(dst, s[i:i+n]...)
		size += n
		i += n
	}
	return dst, size
}

func decodeRune[S []byte | string](s S) (rune, int) {
	switch s := any(s).(type) {
	case []byte:
		return utf8.DecodeRune(s)
	case string:
		return utf8.DecodeRuneInString(s)
	}
	return utf8.RuneError, 1
}

// appendJSONString appends s as a JSON string, quotes included.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst, _ = appendEscaped(dst, s)
	return append(dst, '"')
}

// appendEscapedTo appends s escaped to buf, growing buf's own slice.
func appendEscapedTo[S []byte | string](buf *buffer.Buffer, s S) {
	extra, high := escapeCost(s)
	if extra == 0 && high < utf8.RuneSelf {
		// Plain ASCII, most keys and values: one copy, straight into buf.
		switch s := any(s).(type) {
		case string:
			buf.AppendString(s)
		case []byte:
			buf.Write(s)
		}
		return
	}
	b := buf.Bytes()
	n := len(b)
	b, _ = appendEscapedCost(b, s, extra, high)
	// In buf's own memory when it had room: a copy onto itself.
	buf.Write(b[n:])
}
