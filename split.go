package cwzap

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// An event larger than MaxEventBytes is never dropped or cut into invalid
// JSON: whatever its text (the JSON layout, a text format, raw bytes), it
// becomes several JSON objects
//
//	{"timestamp":…,"level":…,"location":…,"part":1,"parts":3,"entry":"k3j9x2ab-7","chunk":"…"}
//
// whose chunks, concatenated in part order, give the original event text
// back byte for byte (after U+FFFD replaces invalid UTF-8). timestamp,
// level and location are copied from the original when it is an object
// that starts with them, as the layout does; chunks are cut at UTF-8
// boundaries. entry tells the parts of one entry from those of another
// written at the same time. All parts keep the entry's time, and the
// Syncer stores them in order (see dispatcher).

// splitEvent cuts p into part objects of at most limit bytes each, or
// returns p alone when it fits. id names the entry.
func splitEvent(p []byte, limit int, id string) [][]byte {
	if !utf8.Valid(p) {
		p = bytes.ToValidUTF8(p, []byte("\ufffd"))
	}
	if len(p) <= limit {
		return [][]byte{p}
	}
	return splitParts(p, limit, id)
}

// _partFrame is the text each part adds around head and chunk, plus room
// for the two numbers.
var _partFrame = len(`{,"part":,"parts":,"entry":"","chunk":""}`) + 2*len(strconv.Itoa(1<<31))

func splitParts(p []byte, limit int, id string) [][]byte {
	var head []byte
	if p[0] == '{' {
		head = layoutHead(p)
	}
	if len(head) > limit/4 {
		head = nil // a huge head would leave no room for chunks
	}
	budget := max(limit-len(head)-len(id)-_partFrame, 6) // at least one escaped byte
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
		m = append(m, `,"entry":`...)
		m = appendJSONString(m, id)
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
		return 1 + int(_json.extra[c]), 1
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
