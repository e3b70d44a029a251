package cwzap

import (
	"encoding/binary"
	"slices"
	"unicode/utf8"

	"go.uber.org/zap/buffer"
)

// The one JSON string escaper, for the encoder and for the request body:
// '"' and '\\' escaped, \n \r \t, other control bytes as \u00XX, and each
// byte of invalid UTF-8 as \ufffd; everything else, multi-byte runes
// included, as it is.
//
// It runs at two depths. _json escapes once: the inside of a JSON string.
// _wire escapes twice, which is what a log event's JSON text becomes inside
// a PutLogEvents body: the encoder of a Core writing to a Syncer writes
// that form directly (encoder_wire.go), so that no entry is escaped twice.
//
// Each escaping also says how many of the bytes it wrote the escaping of
// its own depth added to the text one depth down (its "less"): what the
// encoder subtracts to know, as it writes the wire form, the size of the
// entry's text, which the service counts.

// An escaper is the tables of one depth.
type escaper struct {
	extra   [256]uint8  // bytes escaping adds to each byte; above 3 for \u00XX
	cost    [256]uint64 // extra, and less in the high 32 bits: one add a byte measures both
	pat     [256]uint32 // what each byte becomes when at most 4 bytes, little-endian
	unicode string      // what starts \u00XX
	invalid string      // what a byte of invalid UTF-8 becomes
	// invalidLess is the less of a byte of invalid UTF-8: \ufffd stands for
	// U+FFFD, 3 bytes, at depth 1; \\ufffd for \ufffd at depth 2.
	invalidLess int
}

var (
	_json  = newEscaper(1)
	_wire  = newEscaper(2)
	_plain = noLess(_json) // the plain form's strings: depth 1, where nothing is the wire form's
)

// noLess returns x counting no less: for an encoder of the plain form,
// whose every byte is the entry's.
func noLess(x *escaper) *escaper {
	c := *x
	for i := range c.cost {
		c.cost[i] &= 1<<32 - 1
	}
	c.invalidLess = 0
	return &c
}

// newEscaper returns the escaper that escapes depth times.
func newEscaper(depth int) *escaper {
	x := &escaper{unicode: `\u00`, invalid: `\ufffd`, invalidLess: 3}
	if depth == 2 {
		x.unicode, x.invalid, x.invalidLess = `\\u00`, `\\ufffd`, 1
	}
	for c := range 256 {
		s := []byte{byte(c)}
		below := len(s)
		for range depth {
			below = len(s)
			s = escapeOnce(s)
		}
		x.extra[c] = uint8(len(s) - 1)
		x.cost[c] = uint64(len(s)-1) | uint64(len(s)-below)<<32
		if len(s) <= 4 {
			var p [4]byte
			copy(p[:], s)
			x.pat[c] = binary.LittleEndian.Uint32(p[:])
		}
	}
	return x
}

// escapeOnce is the definition the tables are built from, one byte at a
// time: slow, for newEscaper only.
func escapeOnce(s []byte) []byte {
	var out []byte
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c == '\n':
			out = append(out, `\n`...)
		case c == '\r':
			out = append(out, `\r`...)
		case c == '\t':
			out = append(out, `\t`...)
		case c < 0x20:
			out = append(out, '\\', 'u', '0', '0', _hex[c>>4], _hex[c&0xf])
		default:
			out = append(out, c)
		}
	}
	return out
}

const _hex = "0123456789abcdef"

// cost returns the bytes escaping adds to s, and the OR of its bytes:
// below utf8.RuneSelf, s is ASCII and needs no UTF-8 check.
func cost[S []byte | string](x *escaper, s S) (extra int, high byte) {
	extra, _, high = measure(x, s)
	return extra, high
}

// measure is cost, with the less of s when it is valid UTF-8.
func measure[S []byte | string](x *escaper, s S) (extra, less int, high byte) {
	var sum uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		sum += x.cost[c]
		high |= c
	}
	return int(uint32(sum)), int(sum >> 32), high
}

// escapeCost is cost at depth 1.
func escapeCost[S []byte | string](s S) (extra int, high byte) { return cost(_json, s) }

// appendEscaped appends s as the inside of a JSON string and returns the
// UTF-8 size of the text it stands for.
//
// It measures first and then writes into room it has made, because log
// events are JSON themselves: a quote every few bytes would make an append
// per run of plain bytes the dominant cost.
func appendEscaped[S []byte | string](dst []byte, s S) ([]byte, int) {
	extra, high := cost(_json, s)
	return appendCost(_json, dst, s, extra, high)
}

// appendEscapedCost is appendEscaped once escapeCost has measured s.
func appendEscapedCost[S []byte | string](dst []byte, s S, extra int, high byte) ([]byte, int) {
	return appendCost(_json, dst, s, extra, high)
}

// appendCost appends s escaped by x once cost has measured it. The size it
// returns is the UTF-8 size of the text s stands for at depth 1.
func appendCost[S []byte | string](x *escaper, dst []byte, s S, extra int, high byte) ([]byte, int) {
	if high >= utf8.RuneSelf && !validUTF8(s) {
		dst, size, _ := appendInvalid(x, dst, s)
		return dst, size
	}
	return appendValid(x, dst, s, extra), len(s)
}

// appendValid is appendCost for s known to be valid UTF-8.
func appendValid[S []byte | string](x *escaper, dst []byte, s S, extra int) []byte {
	if extra == 0 {
		return append(dst, s...)
	}
	// Branch-free for plain bytes and short escapes (a quote every few
	// bytes defeats branch prediction): write the four bytes of each byte's
	// pattern, of which the next byte overwrites those unused. Three bytes
	// of slack at the end take the last unused ones.
	n := len(dst)
	size := len(s) + extra
	dst = slices.Grow(dst, size+3)[:n+size+3]
	out := dst[n:]
	j := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		e := x.extra[c]
		if e > 3 {
			j += copy(out[j:], x.unicode)
			out[j], out[j+1] = _hex[c>>4], _hex[c&0xf]
			j += 2
			continue
		}
		binary.LittleEndian.PutUint32(out[j:], x.pat[c])
		j += 1 + int(e)
	}
	return dst[:n+size]
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

// appendInvalid is appendCost for text with invalid UTF-8, rune by rune:
// rare, so simple. It returns the size as appendCost does, and the less.
func appendInvalid[S []byte | string](x *escaper, dst []byte, s S) (_ []byte, size, less int) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			dst, _ = appendCost(x, dst, s[i:i+1], int(x.extra[c]), c)
			size++
			less += int(x.cost[c] >> 32)
			i++
			continue
		}
		r, n := decodeRune(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, x.invalid...)
			size += 3 // as the service counts U+FFFD
			less += x.invalidLess
			i++
			continue
		}
		dst = append(dst, s[i:i+n]...)
		size += n
		i += n
	}
	return dst, size, less
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

// appendEscapedTo appends s escaped by x to buf, growing buf's own slice,
// and returns the less of what it wrote.
func appendEscapedTo[S []byte | string](x *escaper, buf *buffer.Buffer, s S) (less int) {
	extra, less, high := measure(x, s)
	if extra == 0 && high < utf8.RuneSelf {
		// Plain ASCII, most keys and values: one copy, straight into buf.
		switch s := any(s).(type) {
		case string:
			buf.AppendString(s)
		case []byte:
			buf.Write(s)
		}
		return 0
	}
	b := buf.Bytes()
	n := len(b)
	if high >= utf8.RuneSelf && !validUTF8(s) {
		b, _, less = appendInvalid(x, b, s)
	} else {
		b = appendValid(x, b, s, extra)
	}
	// In buf's own memory when it had room: a copy onto itself.
	buf.Write(b[n:])
	return less
}
