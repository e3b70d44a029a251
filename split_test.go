package cwzap

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// reassemble joins the chunks of JSON parts, checking each part on the way.
func reassemble(t testing.TB, parts [][]byte, limit int) []byte {
	t.Helper()
	var out []byte
	for i, p := range parts {
		if len(p) > limit {
			t.Fatalf("part %d is %d bytes, over the limit %d", i+1, len(p), limit)
		}
		var v struct {
			Part, Parts int
			Chunk       string
		}
		if err := json.Unmarshal(p, &v); err != nil {
			t.Fatalf("part %d is not JSON: %v", i+1, err)
		}
		if v.Part != i+1 || v.Parts != len(parts) {
			t.Fatalf("part %d says part %d of %d, want %d of %d", i+1, v.Part, v.Parts, i+1, len(parts))
		}
		out = append(out, v.Chunk...)
	}
	return out
}

func TestSplitJSONReassembles(t *testing.T) {
	big := strings.Repeat(`quote " backslash \ newline `+"\n"+` tab `+"\t"+` ctl `+"\x01"+` é 日本 🎉 `, 40_000)
	event := []byte(`{"timestamp":"2026-11-25 03:21:36,000","level":"INFO","location":"root.main:7","message":` + string(mustJSON(t, big)) + `,"n":1}`)
	if len(event) <= MaxEventBytes {
		t.Fatalf("test event is only %d bytes", len(event))
	}
	parts := splitEvent(event, MaxEventBytes)
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
	parts := splitEvent(event, MaxEventBytes)
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

func TestSplitTextAtRuneBoundaries(t *testing.T) {
	text := []byte(strings.Repeat("日本語のテキスト", MaxEventBytes/10))
	parts := splitEvent(text, MaxEventBytes)
	var joined []byte
	for i, p := range parts {
		if len(p) > MaxEventBytes {
			t.Fatalf("part %d is %d bytes", i, len(p))
		}
		if !utf8.Valid(p) {
			t.Fatalf("part %d cuts a rune", i)
		}
		joined = append(joined, p...)
	}
	if !bytes.Equal(joined, text) {
		t.Fatal("text parts do not reassemble the text")
	}
}

func TestSplitReplacesInvalidUTF8(t *testing.T) {
	text := bytes.Repeat([]byte("ab\xffc"), MaxEventBytes/3)
	parts := splitEvent(text, MaxEventBytes)
	want := bytes.ToValidUTF8(text, []byte("\ufffd"))
	if got := bytes.Join(parts, nil); !bytes.Equal(got, want) {
		t.Fatal("parts are not the text with U+FFFD for invalid bytes")
	}
}

func TestSplitSmallEventIsOnePart(t *testing.T) {
	if parts := splitEvent([]byte(`{"a":1}`), MaxEventBytes); len(parts) != 1 || string(parts[0]) != `{"a":1}` {
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
		parts := splitEvent([]byte(event), limit)
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
		limit = 4 + (limit%64+64)%64
		parts := splitEvent(text, limit)
		want := bytes.ToValidUTF8(text, []byte("\ufffd"))
		var got []byte
		for _, p := range parts {
			if len(want) > limit && (len(p) > limit || len(p) == 0 || !utf8.Valid(p)) {
				t.Fatalf("bad part %q (limit %d)", p, limit)
			}
			got = append(got, p...)
		}
		if !bytes.Equal(got, want) && !(len(want) > limit && want[0] == '{' && json.Valid(want)) {
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
