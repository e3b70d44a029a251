package cwzap

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// An event larger than MaxEventBytes is never dropped or cut into invalid
// JSON. A JSON object becomes several objects
//
//	{"timestamp":…,"level":…,"location":…,"part":1,"parts":3,"chunk":"…"}
//
// whose chunks, concatenated in part order, give the original event text
// back byte for byte (timestamp, level and location are copied from the
// original when it starts with them, as the layout does). Any other text is
// cut at UTF-8 boundaries into plain parts. All parts keep the entry's time.

// writeParts stores an oversize event as several events.
func (s *Syncer) writeParts(ts int64, p []byte) error {
	var buf []byte
	for _, part := range splitEvent(p, MaxEventBytes) {
		var size int
		buf, size = appendEventObject(buf[:0], ts, part)
		if err := s.add(ts, buf, part, size); err != nil {
			return err
		}
	}
	return nil
}

// splitEvent cuts p into messages of at most limit bytes each.
func splitEvent(p []byte, limit int) [][]byte {
	if !utf8.Valid(p) {
		p = bytes.ToValidUTF8(p, []byte("\ufffd"))
	}
	if len(p) <= limit {
		return [][]byte{p}
	}
	if p[0] == '{' && json.Valid(p) {
		return splitJSON(p, limit)
	}
	return splitText(p, limit)
}

func splitText(p []byte, limit int) [][]byte {
	var parts [][]byte
	for len(p) > 0 {
		n := min(limit, len(p))
		for n < len(p) && n > 0 && !utf8.RuneStart(p[n]) {
			n--
		}
		parts = append(parts, p[:n])
		p = p[n:]
	}
	return parts
}

// _partFrame is the text each part adds around head and chunk, plus room
// for the two numbers.
var _partFrame = len(`{,"part":,"parts":,"chunk":""}`) + 2*len(strconv.Itoa(1<<31))

func splitJSON(p []byte, limit int) [][]byte {
	head := layoutHead(p)
	budget := limit - len(head) - _partFrame
	var chunks [][]byte
	for start := 0; start < len(p); {
		cost, i := 0, start
		for i < len(p) {
			c, n := escapedLen(p[i:])
			if cost+c > budget {
				break
			}
			cost += c
			i += n
		}
		chunks = append(chunks, p[start:i])
		start = i
	}
	parts := make([][]byte, len(chunks))
	for k, chunk := range chunks {
		m := append([]byte{'{'}, head...)
		if len(head) > 0 {
			m = append(m, ',')
		}
		m = append(m, `"part":`...)
		m = strconv.AppendInt(m, int64(k+1), 10)
		m = append(m, `,"parts":`...)
		m = strconv.AppendInt(m, int64(len(chunks)), 10)
		m = append(m, `,"chunk":"`...)
		m, _ = appendEscaped(m, chunk)
		parts[k] = append(m, `"}`...)
	}
	return parts
}

// escapedLen returns how many bytes the first rune of p takes inside a JSON
// string, and its length in p.
func escapedLen(p []byte) (int, int) {
	if c := p[0]; c < utf8.RuneSelf {
		return 1 + int(_extra[c]), 1
	}
	_, n := utf8.DecodeRune(p)
	return n, n
}

// layoutHead returns the members timestamp, level and location of a JSON
// object that starts with them, as `"timestamp":…,"level":…,"location":…`.
func layoutHead(p []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(p))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var head []byte
	for _, want := range [...]string{"timestamp", "level", "location"} {
		if !dec.More() {
			break
		}
		t, err := dec.Token()
		if key, ok := t.(string); err != nil || !ok || key != want {
			break
		}
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			break
		}
		if len(head) > 0 {
			head = append(head, ',')
		}
		head = strconv.AppendQuote(head, want)
		head = append(head, ':')
		head = append(head, raw...)
	}
	return head
}
