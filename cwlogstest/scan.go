package cwlogstest

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A hand-written scanner for PutLogEvents bodies: encoding/json reflects
// per event, which is too slow for benchmarks that push tens of thousands
// of events a second. It unescapes strings in place, so a message is a
// slice of the body.

var errSyntax = errors.New("cwlogstest: malformed JSON in PutLogEvents body")

type scanner struct {
	b []byte
	i int
}

// parsePut decodes a PutLogEvents body into req. Unknown members (entity)
// are skipped.
func parsePut(body []byte, req *putRequest, wantHash bool) error {
	sc := scanner{b: body}
	sc.ws()
	return sc.members(func(key []byte) (err error) {
		switch string(key) {
		case "logGroupName":
			req.group, err = sc.strValue()
		case "logStreamName":
			req.stream, err = sc.strValue()
		case "sequenceToken":
			req.token, err = sc.strValue()
		case "entity":
			start := sc.i
			if err = sc.skip(); err == nil {
				req.entity = append([]byte(nil), body[start:sc.i]...)
			}
		case "logEvents":
			start := sc.i
			if err = sc.events(req); err == nil && wantHash {
				req.hash = hashBytes(body[start:sc.i])
			}
		default:
			err = sc.skip()
		}
		return err
	})
}

// members reads a JSON object, calling member with each key while the
// scanner stands at its value; member must consume the value.
func (sc *scanner) members(member func(key []byte) error) error {
	if !sc.eat('{') {
		return errSyntax
	}
	sc.ws()
	if sc.eat('}') {
		return nil
	}
	for {
		ks, ke, err := sc.str()
		if err != nil {
			return err
		}
		sc.ws()
		if !sc.eat(':') {
			return errSyntax
		}
		sc.ws()
		if err := member(sc.b[ks:ke]); err != nil {
			return err
		}
		sc.ws()
		if sc.eat('}') {
			return nil
		}
		if !sc.eat(',') {
			return errSyntax
		}
		sc.ws()
	}
}

func (sc *scanner) ws() {
	for sc.i < len(sc.b) {
		switch sc.b[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

func (sc *scanner) eat(c byte) bool {
	if sc.i < len(sc.b) && sc.b[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

// strValue reads a string or null.
func (sc *scanner) strValue() (string, error) {
	if sc.literal("null") {
		return "", nil
	}
	s, e, err := sc.str()
	return string(sc.b[s:e]), err
}

func (sc *scanner) literal(lit string) bool {
	if bytes.HasPrefix(sc.b[sc.i:], []byte(lit)) {
		sc.i += len(lit)
		return true
	}
	return false
}

// events reads the logEvents array.
func (sc *scanner) events(req *putRequest) error {
	if sc.literal("null") {
		return nil
	}
	if !sc.eat('[') {
		return errSyntax
	}
	sc.ws()
	if sc.eat(']') {
		return nil
	}
	for {
		var ev inEvent
		err := sc.members(func(key []byte) (err error) {
			switch string(key) {
			case "timestamp":
				ev.ts, err = sc.int()
			case "message":
				if !sc.literal("null") {
					ev.start, ev.end, err = sc.str()
				}
			default:
				err = sc.skip()
			}
			return err
		})
		if err != nil {
			return err
		}
		req.events = append(req.events, ev)
		sc.ws()
		if sc.eat(']') {
			return nil
		}
		if !sc.eat(',') {
			return errSyntax
		}
		sc.ws()
	}
}

// int reads an integer; a number with a fraction or exponent is truncated.
func (sc *scanner) int() (int64, error) {
	start := sc.i
	for sc.i < len(sc.b) {
		c := sc.b[sc.i]
		if '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			sc.i++
			continue
		}
		break
	}
	num := sc.b[start:sc.i]
	if n, err := strconv.ParseInt(string(num), 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(string(num), 64)
	if err != nil {
		return 0, errSyntax
	}
	return int64(f), nil
}

// str reads a string and returns the bounds of its unescaped bytes, which
// it writes in place over the escaped ones (unescaping never lengthens).
func (sc *scanner) str() (start, end int, err error) {
	if !sc.eat('"') {
		return 0, 0, errSyntax
	}
	start = sc.i
	q := bytes.IndexByte(sc.b[start:], '"')
	if q < 0 {
		return 0, 0, errSyntax
	}
	bs := bytes.IndexByte(sc.b[start:start+q], '\\')
	if bs < 0 {
		sc.i = start + q + 1
		return start, start + q, nil
	}
	r, w := start+bs, start+bs
	b := sc.b
	for r < len(b) {
		c := b[r]
		switch {
		case c == '"':
			sc.i = r + 1
			return start, w, nil
		case c != '\\':
			b[w] = c
			w++
			r++
			continue
		}
		if r+1 >= len(b) {
			return 0, 0, errSyntax
		}
		esc := b[r+1]
		r += 2
		switch esc {
		case '"', '\\', '/':
			b[w] = esc
		case 'b':
			b[w] = '\b'
		case 'f':
			b[w] = '\f'
		case 'n':
			b[w] = '\n'
		case 'r':
			b[w] = '\r'
		case 't':
			b[w] = '\t'
		case 'u':
			rn, ok := hex4(b, r)
			if !ok {
				return 0, 0, errSyntax
			}
			r += 4
			if utf16.IsSurrogate(rn) {
				rn2, ok := rune(-1), false
				if r+6 <= len(b) && b[r] == '\\' && b[r+1] == 'u' {
					rn2, ok = hex4(b, r+2)
				}
				if dec := utf16.DecodeRune(rn, rn2); ok && dec != utf8.RuneError {
					rn = dec
					r += 6
				} else {
					rn = utf8.RuneError
				}
			}
			w += utf8.EncodeRune(b[w:], rn)
			continue
		default:
			return 0, 0, errSyntax
		}
		w++
	}
	return 0, 0, errSyntax
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// skip skips one value of any kind.
func (sc *scanner) skip() error {
	if sc.i >= len(sc.b) {
		return errSyntax
	}
	switch c := sc.b[sc.i]; {
	case c == '"':
		_, _, err := sc.str()
		return err
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		sc.i++
		sc.ws()
		if sc.eat(closer) {
			return nil
		}
		for {
			if c == '{' {
				if _, _, err := sc.str(); err != nil {
					return err
				}
				sc.ws()
				if !sc.eat(':') {
					return errSyntax
				}
				sc.ws()
			}
			if err := sc.skip(); err != nil {
				return err
			}
			sc.ws()
			if sc.eat(closer) {
				return nil
			}
			if !sc.eat(',') {
				return errSyntax
			}
			sc.ws()
		}
	case sc.literal("null") || sc.literal("true") || sc.literal("false"):
		return nil
	default:
		_, err := sc.int()
		return err
	}
}
