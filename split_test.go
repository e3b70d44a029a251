package cwzap

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// reassemble joins the chunks of parts, checking each part on the way:
// valid JSON within the limit, numbered in order, of one entry.
func reassemble(t testing.TB, parts [][]byte, limit int) []byte {
	t.Helper()
	var out []byte
	for i, p := range parts {
		if len(p) > limit {
			t.Fatalf("part %d is %d bytes, over the limit %d", i+1, len(p), limit)
		}
		var v struct {
			Part, Parts  int
			Entry, Chunk string
		}
		if err := json.Unmarshal(p, &v); err != nil {
			t.Fatalf("part %d is not JSON: %v", i+1, err)
		}
		if v.Part != i+1 || v.Parts != len(parts) || v.Entry != _testEntry {
			t.Fatalf("part %d says part %d of %d of entry %q, want %d of %d of %q", i+1, v.Part, v.Parts, v.Entry, i+1, len(parts), _testEntry)
		}
		out = append(out, v.Chunk...)
	}
	return out
}

const _testEntry = "abcdefgh-1"

func TestSplitJSONReassembles(t *testing.T) {
	big := strings.Repeat(`quote " backslash \ newline `+"\n"+` tab `+"\t"+` ctl `+"\x01"+` é 日本 🎉 `, 40_000)
	event := []byte(`{"timestamp":"2026-11-25 03:21:36,000","level":"INFO","location":"root.main:7","message":` + string(mustJSON(t, big)) + `,"n":1}`)
	if len(event) <= MaxEventBytes {
		t.Fatalf("test event is only %d bytes", len(event))
	}
	parts := splitEvent(event, MaxEventBytes, _testEntry)
	if len(parts) < 2 {
		t.Fatalf("got %d parts, want several", len(parts))
	}
	if got := reassemble(t, parts, MaxEventBytes); !bytes.Equal(got, event) {
		t.Fatalf("chunks do not reassemble the event (got %d bytes, want %d)", len(got), len(event))
	}
	var head struct{ Timestamp, Level, Location string }
	for i, p := range parts {
		if err := json.Unmarshal(p, &head); err != nil {
			t.Fatal(err)
		}
		if head.Timestamp != "2026-11-25 03:21:36,000" || head.Level != "INFO" || head.Location != "root.main:7" {
			t.Errorf("part %d head = %+v, want the original's timestamp, level and location", i+1, head)
		}
	}
}

func TestSplitJSONWithoutLayoutHead(t *testing.T) {
	event := []byte(`{"a":` + string(mustJSON(t, strings.Repeat("x", 3*MaxEventBytes))) + `}`)
	parts := splitEvent(event, MaxEventBytes, _testEntry)
	if len(parts) != 4 {
		t.Errorf("got %d parts, want 4", len(parts))
	}
	if got := reassemble(t, parts, MaxEventBytes); !bytes.Equal(got, event) {
		t.Fatal("chunks do not reassemble the event")
	}
	if bytes.Contains(parts[0], []byte(`"timestamp"`)) {
		t.Errorf("part carries a timestamp the original did not have: %.80s", parts[0])
	}
}

// Text (a text format, raw Write) becomes numbered part objects too, cut
// at rune boundaries, so that its parts keep their order and rejoin.
func TestSplitTextAtRuneBoundaries(t *testing.T) {
	text := []byte(strings.Repeat("日本語のテキスト", MaxEventBytes/10))
	parts := splitEvent(text, MaxEventBytes, _testEntry)
	if len(parts) < 2 {
		t.Fatalf("got %d parts, want several", len(parts))
	}
	if got := reassemble(t, parts, MaxEventBytes); !bytes.Equal(got, text) {
		t.Fatal("text parts do not reassemble the text")
	}
}

func TestSplitReplacesInvalidUTF8(t *testing.T) {
	text := bytes.Repeat([]byte("ab\xffc"), MaxEventBytes/3)
	parts := splitEvent(text, MaxEventBytes, _testEntry)
	want := bytes.ToValidUTF8(text, []byte("\ufffd"))
	if got := reassemble(t, parts, MaxEventBytes); !bytes.Equal(got, want) {
		t.Fatal("parts are not the text with U+FFFD for invalid bytes")
	}
}

// JSON nested deeper than encoding/json accepts still splits into valid
// JSON parts.
func TestSplitDeepNesting(t *testing.T) {
	const depth = 20_000
	event := []byte(strings.Repeat(`{"a":`, depth) + `"` + strings.Repeat("x", MaxEventBytes) + `"` + strings.Repeat("}", depth))
	parts := splitEvent(event, MaxEventBytes, _testEntry)
	if got := reassemble(t, parts, MaxEventBytes); !bytes.Equal(got, event) {
		t.Fatal("parts do not reassemble the deep event")
	}
}

func TestSplitSmallEventIsOnePart(t *testing.T) {
	if parts := splitEvent([]byte(`{"a":1}`), MaxEventBytes, _testEntry); len(parts) != 1 || string(parts[0]) != `{"a":1}` {
		t.Errorf("got %q, want the event unchanged", parts)
	}
}

func FuzzSplitJSON(f *testing.F) {
	f.Add(`{"timestamp":"t","level":"INFO","location":"root.f:1","message":"hello \" \\ é"}`, 64)
	f.Add(`{"a":"`+strings.Repeat("\x01", 50)+`"}`, 90)
	f.Add(`{"a":["日本","🎉"],"b":{"c":null}}`, 70)
	f.Fuzz(func(t *testing.T, event string, limit int) {
		if !json.Valid([]byte(event)) || !strings.HasPrefix(event, "{") || !utf8.ValidString(event) {
			t.Skip()
		}
		limit = 220 + limit%2000
		if limit < 220 {
			limit += 2000
		}
		parts := splitEvent([]byte(event), limit, _testEntry)
		if len(event) <= limit {
			if len(parts) != 1 {
				t.Fatalf("%d parts for a small event", len(parts))
			}
			return
		}
		if got := reassemble(t, parts, limit); string(got) != event {
			t.Fatalf("reassembled %q, want %q", got, event)
		}
	})
}

func FuzzSplitText(f *testing.F) {
	f.Add([]byte("plain text \xff\xfe with bad bytes and 日本"), 7)
	f.Fuzz(func(t *testing.T, text []byte, limit int) {
		limit = 120 + (limit%64+64)%64
		parts := splitEvent(text, limit, _testEntry)
		want := bytes.ToValidUTF8(text, []byte("\ufffd"))
		if len(want) <= limit {
			if len(parts) != 1 || !bytes.Equal(parts[0], want) {
				t.Fatalf("parts %q for a small event %q", parts, want)
			}
			return
		}
		if got := reassemble(t, parts, limit); !bytes.Equal(got, want) {
			t.Fatalf("parts %q do not reassemble %q", parts, want)
		}
	})
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
