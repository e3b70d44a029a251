package cwzap

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// escapeSlowly is the escaper's definition, rune by rune: each byte of
// invalid UTF-8 (as utf8.DecodeRuneInString finds it) becomes x.invalid,
// each ASCII byte what depth escapings of it make, and a valid rune stays
// as it is. It returns what escaping writes, the size of the text at depth
// 1 (U+FFFD for each invalid byte) and the less.
func escapeSlowly(x *escaper, depth int, s string) (out []byte, size, less int) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			out = append(out, x.invalid...)
			size += 3
			less += x.invalidLess
		case r < utf8.RuneSelf:
			e, below := []byte{s[i]}, []byte{s[i]}
			for range depth {
				below, e = e, escapeOnce(e)
			}
			out = append(out, e...)
			size++
			if x != _plain {
				less += len(e) - len(below)
			}
		default:
			out = append(out, s[i:i+n]...)
			size += n
		}
		i += n
	}
	return out, size, less
}

// checkEscaper checks every way of escaping s against escapeSlowly, at
// both depths, from a string and from bytes, into a buffer and a slice.
func checkEscaper(t *testing.T, s string) {
	t.Helper()
	for _, tt := range []struct {
		name  string
		x     *escaper
		depth int
	}{{"plain", _plain, 1}, {"json", _json, 1}, {"wire", _wire, 2}} {
		want, wantSize, wantLess := escapeSlowly(tt.x, tt.depth, s)
		buf := _bufPool.Get()
		less := appendEscapedTo(tt.x, buf, s)
		if !bytes.Equal(buf.Bytes(), want) || less != wantLess {
			t.Fatalf("%s: appendEscapedTo(%q) = %q, less %d; want %q, less %d", tt.name, s, buf.Bytes(), less, want, wantLess)
		}
		buf.Reset()
		buf.AppendString("prefix")
		less = appendEscapedTo(tt.x, buf, []byte(s))
		if got := buf.Bytes()[len("prefix"):]; !bytes.Equal(got, want) || less != wantLess {
			t.Fatalf("%s: appendEscapedTo([]byte(%q)) = %q, less %d; want %q, less %d", tt.name, s, got, less, want, wantLess)
		}
		buf.Free()
		got, size, less := tt.x.append([]byte("x"), s)
		if !bytes.Equal(got[1:], want) || size != wantSize || less != wantLess {
			t.Fatalf("%s: append(%q) = %q, size %d, less %d; want %q, %d, %d", tt.name, s, got[1:], size, less, want, wantSize, wantLess)
		}
		extra, high := cost(tt.x, s)
		got, size = appendCost(tt.x, nil, []byte(s), extra, high)
		if !bytes.Equal(got, want) || size != wantSize {
			t.Fatalf("%s: appendCost(%q) = %q, size %d; want %q, %d", tt.name, s, got, size, want, wantSize)
		}
	}
}

// TestEscaperAgainstDefinition covers what the word-at-a-time scan could
// get wrong: every position of a special byte in strings of every length
// up to 24 (the words, the last word overlapping those before it, the
// four-byte words of short strings), borrows after a control byte, and
// every two-byte string.
func TestEscaperAgainstDefinition(t *testing.T) {
	specials := []string{"\x00", "\x1f", " ", "!", "\"", "#", "\\", "]", "\x7f", "\x80", "\xc2", "\xff",
		"é", "€", "😀", "\xe0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xef\xbf\xbd", "\n", "\t"}
	for n := range 25 {
		for p := range n {
			for _, sp := range specials {
				s := strings.Repeat("a", p) + sp + strings.Repeat("b", max(n-p-1, 0))
				checkEscaper(t, s)
				// A control byte then a space: a borrow marks the space.
				checkEscaper(t, strings.Repeat("c", p)+"\x01 "+sp+strings.Repeat(" ", n))
			}
		}
	}
	for c := range 1 << 16 {
		checkEscaper(t, string([]byte{byte(c), byte(c >> 8)}))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := append(specials, "plain", "ascii text ", "日本語", "x")
	for range 20000 {
		var b strings.Builder
		for k := rng.IntN(12); k >= 0; k-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		checkEscaper(t, b.String())
	}
}

// TestRuneLen checks runeLen against utf8.DecodeRune on every sequence of
// up to four bytes that starts above 0x7f and continues with bytes from
// the edges of the continuation range, and on every two- and three-byte
// one.
func TestRuneLen(t *testing.T) {
	edges := []byte{0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff}
	check := func(b []byte) {
		r, n := utf8.DecodeRune(b)
		want := n
		if r == utf8.RuneError && n == 1 {
			want = 0
		}
		if got := runeLen(string(b), 0); got != want {
			t.Fatalf("runeLen(%q) = %d; want %d", b, got, want)
		}
	}
	for c := 0x80; c < 0x100; c++ {
		check([]byte{byte(c)})
		for d := range 256 {
			check([]byte{byte(c), byte(d)})
			for e := range 256 {
				check([]byte{byte(c), byte(d), byte(e)})
			}
			for _, e := range edges {
				for _, f := range edges {
					check([]byte{byte(c), byte(d), e, f})
				}
			}
		}
	}
}

func FuzzEscaper(f *testing.F) {
	for _, s := range []string{"", "plain", `a"b\c`, "\x00\x1f\n\r\t", "é€😀", "\xff\xfe", "\u2028", "0123456789abcdef\x01 x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkEscaper(t, s)
	})
}
