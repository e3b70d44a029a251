package cwzap

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"unicode/utf8"
)

// An event object must be valid JSON whose message is the input (with
// U+FFFD for invalid UTF-8), and appendMessage must give the input back.
func FuzzEventObjectRoundTrip(f *testing.F) {
	for _, s := range []string{"", "plain", `{"json":"with \"quotes\" and \\"}`, "ctl \x00\x01\x1f\x7f\n\r\t\b\f", "bad \xff\xfe utf8", "日本 🎉 \u2028"} {
		f.Add([]byte(s), int64(1732500000000))
	}
	f.Fuzz(func(t *testing.T, p []byte, ts int64) {
		obj, size := appendEventObject(nil, ts, p)
		want := bytes.ToValidUTF8(p, []byte("\ufffd"))
		var v struct {
			Timestamp int64  `json:"timestamp"`
			Message   string `json:"message"`
		}
		if err := json.Unmarshal(obj, &v); err != nil {
			t.Fatalf("event object %q is not JSON: %v", obj, err)
		}
		if v.Timestamp != ts || v.Message != string(want) {
			t.Fatalf("object %q decodes to %d %q, want %d %q", obj, v.Timestamp, v.Message, ts, want)
		}
		if size != len(want) || !utf8.Valid(obj) {
			t.Fatalf("size %d, want %d (valid UTF-8: %v)", size, len(want), utf8.Valid(obj))
		}
		if got := appendMessage(nil, obj); !bytes.Equal(got, want) {
			t.Fatalf("appendMessage = %q, want %q", got, want)
		}
	})
}

// The body reader must produce exactly the request a full copy would, read
// in any chunk size, and again after seeking back.
func TestBodyReader(t *testing.T) {
	b := newBatch(1024, 16)
	for i, m := range []string{"c", "a \"q\"", "b", "d"} {
		obj, size := appendEventObject(nil, int64(3-i%3), []byte(m))
		b.add(int64(3-i%3), size, obj)
	}
	b.sort()
	header := requestHeader("g", "s")
	var want bytes.Buffer
	want.Write(header)
	for i, e := range b.events[1:3] {
		if i > 0 {
			want.WriteByte(',')
		}
		want.Write(b.arena[e.off:e.end])
	}
	want.WriteString("]}")
	if !json.Valid(want.Bytes()) {
		t.Fatalf("reference body is not JSON: %s", want.Bytes())
	}
	for _, chunk := range []int{1, 3, 7, 1 << 10} {
		r := newBodyReader(header, b, 1, 3)
		if r.Len() != want.Len() {
			t.Fatalf("Len = %d, want %d", r.Len(), want.Len())
		}
		for round := range 2 {
			var got []byte
			buf := make([]byte, chunk)
			for {
				n, err := r.Read(buf)
				got = append(got, buf[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("chunk %d, round %d: read %s, want %s", chunk, round, got, want.Bytes())
			}
			if pos, err := r.Seek(0, io.SeekStart); err != nil || pos != 0 {
				t.Fatalf("Seek(0) = %d, %v", pos, err)
			}
		}
		if pos, err := r.Seek(5, io.SeekStart); err != nil || pos != 5 {
			t.Fatalf("Seek(5) = %d, %v", pos, err)
		}
		rest, _ := io.ReadAll(r)
		if !bytes.Equal(rest, want.Bytes()[5:]) {
			t.Fatalf("after Seek(5) read %s", rest)
		}
		if _, err := r.Seek(int64(want.Len()+1), io.SeekStart); err == nil {
			t.Fatal("Seek past the end succeeded")
		}
	}
}
