package cwzap

import (
	"math/bits"
	"slices"
	"unicode/utf8"
	"unsafe"

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
//
// It makes one pass over a string, which checks the UTF-8 as it goes:
// runs that need no change (plain ASCII, eight bytes at a time, and valid
// multi-byte runes) are copied whole, and only the bytes between them are
// looked up.

// An escaper is the tables of one depth.
type escaper struct {
	extra [256]uint8  // bytes escaping adds to each byte; above 3 for \u00XX
	cost  [256]uint64 // extra, and less in the high 32 bits: one add a byte measures both
	// seq is what each ASCII byte that needs escaping becomes, with its
	// less; "" for the others.
	seq     [utf8.RuneSelf]string
	invalid string // what a byte of invalid UTF-8 becomes
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
	x := &escaper{invalid: `\ufffd`, invalidLess: 3}
	if depth == 2 {
		x.invalid, x.invalidLess = `\\ufffd`, 1
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
		if c < utf8.RuneSelf && len(s) > 1 {
			x.seq[c] = string(s)
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

// plainRun returns the end of the run of s from i that escaping leaves as
// it is: the index of the first byte from i on that is escaped or is not
// valid UTF-8, or len(s).
func plainRun(s string, i int) int {
	var m uint64
	for {
		// Plain ASCII eight bytes at a time; then the last bytes in the
		// word that ends s, or in the two of four bytes that make a short
		// string; or, in one shorter than that, one by one.
		for ; i+8 <= len(s); i += 8 {
			if m = specials(load64(s[i : i+8])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				goto special
			}
		}
		if i == len(s) {
			return i
		}
		switch n := len(s); {
		case n >= 8:
			m = specials(load64(s[n-8:])) >> (8 * (i + 8 - n))
		case n >= 4:
			const low4 = 1<<32 - 1
			m = (specials(load32(s[:4]))&low4 | (specials(load32(s[n-4:]))&low4)<<(8*(n-4))) >> (8 * i)
		default:
			for ; _plainASCII[s[i]]; i++ {
				if i+1 == n {
					return n
				}
			}
			goto special
		}
		if m == 0 {
			return len(s)
		}
		i += bits.TrailingZeros64(m) >> 3
	special:
		// s[i] is escaped or the start of a rune; or plain ASCII marked by
		// a borrow from a byte before i, in a word that overlaps those
		// before it.
		if c := s[i]; c < utf8.RuneSelf {
			if !_plainASCII[c] {
				return i
			}
			i++
			continue
		}
		// Runes, as long as they last; those of two bytes, the most
		// common, checked here.
		for {
			if c := s[i]; c >= 0xc2 && c < 0xe0 && i+1 < len(s) && s[i+1]&0xc0 == 0x80 {
				i += 2
			} else if n := runeLen(s, i); n > 0 {
				i += n
			} else {
				return i
			}
			if i == len(s) || s[i] < utf8.RuneSelf {
				break
			}
		}
	}
}

// _plainASCII marks the ASCII bytes JSON does not escape.
var _plainASCII = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

// load64 reads eight bytes little-endian: one load where the machine
// allows it.
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// load32 reads four bytes as load64 does.
func load32(s string) uint64 {
	_ = s[3]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
}

// specials returns, of the eight bytes of v (or the four of a load32),
// the high bit of each one that is not plain ASCII: below 0x20, '"', '\\'
// or above 0x7f. Above the lowest one marked, a byte may be marked wrongly
// (a borrow); the lowest is right.
func specials(v uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// A subtraction sets a byte's high bit, for ASCII, only when it goes
	// below zero. XOR 2 swaps '"' and ' ' and keeps the bytes below 0x20
	// below it: those and '"' are then the bytes below 0x21. And '\\' is 0
	// after its own XOR.
	return (((v ^ 2*ones) - 0x21*ones) | ((v ^ '\\'*ones) - ones) | v) & highs
}

// runeLen returns the length of the rune at s[i], a byte above 0x7f, when
// it is valid UTF-8 (as utf8.DecodeRune finds it), else 0.
func runeLen(s string, i int) int {
	c, n := s[i], len(s)-i
	switch {
	case c < 0xc2:
	case c < 0xe0:
		if n >= 2 && s[i+1]&0xc0 == 0x80 {
			return 2
		}
	case c < 0xf0:
		lo, hi := byte(0x80), byte(0xbf)
		if c == 0xe0 {
			lo = 0xa0 // overlong
		} else if c == 0xed {
			hi = 0x9f // surrogates
		}
		if n >= 3 && s[i+1] >= lo && s[i+1] <= hi && s[i+2]&0xc0 == 0x80 {
			return 3
		}
	case c < 0xf5:
		lo, hi := byte(0x80), byte(0xbf)
		if c == 0xf0 {
			lo = 0x90 // overlong
		} else if c == 0xf4 {
			hi = 0x8f // above U+10FFFF
		}
		if n >= 4 && s[i+1] >= lo && s[i+1] <= hi && s[i+2]&0xc0 == 0x80 && s[i+3]&0xc0 == 0x80 {
			return 4
		}
	}
	return 0
}

// appendTo appends s escaped by x to buf and returns the less of what it
// wrote. Plain text, most keys and values, is one copy.
func (x *escaper) appendTo(buf *buffer.Buffer, s string) (less int) {
	if i := plainRun(s, 0); i < len(s) {
		return x.appendRest(buf, s, i)
	}
	buf.AppendString(s)
	return 0
}

// appendRest is appendTo from s[i], the first byte that escaping changes.
func (x *escaper) appendRest(buf *buffer.Buffer, s string, i int) (less int) {
	last := 0
	for ; i < len(s); i = plainRun(s, last) {
		buf.AppendString(s[last:i])
		if c := s[i]; c < utf8.RuneSelf {
			buf.AppendString(x.seq[c])
			less += int(x.cost[c] >> 32)
		} else {
			buf.AppendString(x.invalid)
			less += x.invalidLess
		}
		last = i + 1
	}
	buf.AppendString(s[last:])
	return less
}

// append is appendTo into a slice. It also returns the UTF-8 size of the
// text s stands for at depth 1 (each byte of invalid UTF-8 stands for
// U+FFFD, 3 bytes).
func (x *escaper) append(dst []byte, s string) (_ []byte, size, less int) {
	size = len(s)
	last := 0
	for i := plainRun(s, 0); i < len(s); i = plainRun(s, last) {
		dst = append(dst, s[last:i]...)
		if c := s[i]; c < utf8.RuneSelf {
			dst = append(dst, x.seq[c]...)
			less += int(x.cost[c] >> 32)
		} else {
			dst = append(dst, x.invalid...)
			less += x.invalidLess
			size += 2 // as the service counts U+FFFD
		}
		last = i + 1
	}
	return append(dst, s[last:]...), size, less
}

// asString returns s as a string; bytes without a copy, for the escaper,
// which only reads them and keeps nothing.
func asString[S []byte | string](s S) string {
	switch s := any(s).(type) {
	case []byte:
		return unsafe.String(unsafe.SliceData(s), len(s))
	case string:
		return s
	}
	return ""
}

// cost returns the bytes escaping adds to s, and the OR of its bytes:
// below utf8.RuneSelf, s is ASCII and needs no UTF-8 check.
func cost[S []byte | string](x *escaper, s S) (extra int, high byte) {
	var sum uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		sum += x.cost[c]
		high |= c
	}
	return int(uint32(sum)), high
}

// appendEscaped appends s as the inside of a JSON string and returns the
// UTF-8 size of the text it stands for.
func appendEscaped[S []byte | string](dst []byte, s S) ([]byte, int) {
	dst, size, _ := _json.append(dst, asString(s))
	return dst, size
}

// appendCost appends s escaped by x, into dst grown once by what cost
// measured of s. The size it returns is the UTF-8 size of the text s stands
// for at depth 1.
func appendCost[S []byte | string](x *escaper, dst []byte, s S, extra int, high byte) ([]byte, int) {
	if extra == 0 && high < utf8.RuneSelf {
		return append(dst, s...), len(s)
	}
	dst = slices.Grow(dst, len(s)+extra)
	dst, size, _ := x.append(dst, asString(s))
	return dst, size
}

// appendJSONString appends s as a JSON string, quotes included.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst, _ = appendEscaped(dst, s)
	return append(dst, '"')
}

// appendEscapedTo appends s escaped by x to buf and returns the less of
// what it wrote.
func appendEscapedTo[S []byte | string](x *escaper, buf *buffer.Buffer, s S) (less int) {
	return x.appendTo(buf, asString(s))
}
