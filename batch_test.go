package cwzap

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// An event object must be valid JSON whose message is the input (with
// U+FFFD for invalid UTF-8), and appendMessage must give the input back.
func FuzzEventObjectRoundTrip(f *testing.F) {
	for _, s := range []string{"", "plain", `{"json":"with \"quotes\" and \\"}`, "ctl \x00\x01\x1f\x7f\n\r\t\b\f", "bad \xff\xfe utf8", "日本 🎉 \u2028"} {
		f.Add([]byte(s), int64(1732500000000))
	}
	f.Fuzz(func(t *testing.T, p []byte, ts int64) {
		_, obj1 := appendEventObject(nil, ts, p)
		obj, size := obj1.obj, obj1.size
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
	b.maxBytes = 1 << 20
	for i, m := range []string{"c", "a \"q\"", "b", "d"} {
		_, obj1 := appendEventObject(nil, int64(3-i%3), []byte(m))
		b.add(&obj1)
	}
	b.sort()
	header := requestHeader("g", "s")
	var want bytes.Buffer
	want.Write(header)
	for i, e := range b.slots[1:3] {
		if i > 0 {
			want.WriteByte(',')
		}
		want.Write(b.arena[e.start():e.end])
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

// testEvent is one event of the body tests: its time and message.
type testEvent struct {
	ts  int64
	msg string
}

// _bodyMessages need escaping of every kind, and differ in length.
var _bodyMessages = []string{"a", `{"json":"with \"quotes\""}`, "ctl \x00\x1f\n\t", "日本 🎉", "bad \xff utf8", "", `back\slash`, "plain text of some length"}

// newTestBatch adds evs to a new batch in their order and sorts it, as the
// accumulator does when it seals it.
func newTestBatch(t *testing.T, evs []testEvent) *batch {
	t.Helper()
	b := newBatch(64<<10, len(evs))
	b.maxBytes = 1 << 20
	for _, ev := range evs {
		_, obj1 := appendEventObject(nil, ev.ts, []byte(ev.msg))
		if !b.fits(&obj1, len(evs)) {
			t.Fatalf("event %d does not fit", b.len())
		}
		b.add(&obj1)
	}
	b.sort()
	return b
}

// wantBody builds the request body of evs one event at a time, apart from
// any arena: the header, each event object after a comma but the first,
// and "]}". evs are in the order of the body.
func wantBody(header []byte, evs []testEvent) []byte {
	body := append([]byte(nil), header...)
	for i, ev := range evs {
		if i > 0 {
			body = append(body, ',')
		}
		body, _ = appendEventObject(body, ev.ts, []byte(ev.msg))
	}
	return append(body, "]}"...)
}

// sortedEvents returns evs in time order, equal times in their order.
func sortedEvents(evs []testEvent) []testEvent {
	return slices.SortedStableFunc(slices.Values(evs), func(x, y testEvent) int { return cmp.Compare(x.ts, y.ts) })
}

// checkAllSpans checks the body of every span [lo, hi) of events
// [from, to) of b, which holds sorted (evs in time order).
func checkAllSpans(t *testing.T, header []byte, b *batch, sorted []testEvent, from, to int) {
	t.Helper()
	for lo := from; lo <= to; lo++ {
		for hi := lo; hi <= to; hi++ {
			checkBody(t, header, b, lo, hi, wantBody(header, sorted[lo:hi]))
		}
	}
}

// checkBody checks that the body of span [lo, hi) of b is want, read every
// way the SDK and net/http read it: Read in chunks of any size, WriteTo (as
// io.Copy does), from any position Seek reaches, and again after seeking
// back.
func checkBody(t *testing.T, header []byte, b *batch, lo, hi int, want []byte) {
	t.Helper()
	if !json.Valid(want) {
		t.Fatalf("span [%d, %d): reference body is not JSON: %s", lo, hi, want)
	}
	r := newBodyReader(header, b, lo, hi)
	if r.Len() != len(want) {
		t.Fatalf("span [%d, %d): Len = %d, want %d", lo, hi, r.Len(), len(want))
	}
	for _, chunk := range []int{1, 2, 3, 5, 7, 13, 64, 32 << 10} {
		if len(want)/chunk > 1<<14 {
			continue // enough calls to cross every piece many times
		}
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got := readChunks(t, r, chunk)
		if !bytes.Equal(got, want) {
			t.Fatalf("span [%d, %d), chunks of %d: read\n%s\nwant\n%s", lo, hi, chunk, got, want)
		}
	}
	// Every position, reached from each end and from where the reader is:
	// part of the rest by Read, the remainder by WriteTo.
	step := max(1, len(want)/97) // a stride prime to the pieces' lengths
	var rest bytes.Buffer
	rest.Grow(len(want))
	for pos := 0; pos <= len(want); pos += step {
		whence := pos % 3
		offset := int64(pos)
		switch whence {
		case io.SeekCurrent:
			offset -= int64(len(want) - r.Len())
		case io.SeekEnd:
			offset -= int64(len(want))
		}
		if got, err := r.Seek(offset, whence); err != nil || got != int64(pos) {
			t.Fatalf("span [%d, %d): Seek(%d, %d) = %d, %v; want %d", lo, hi, offset, whence, got, err, pos)
		}
		if r.Len() != len(want)-pos {
			t.Fatalf("span [%d, %d): at %d Len = %d, want %d", lo, hi, pos, r.Len(), len(want)-pos)
		}
		head := make([]byte, pos%11)
		n, err := r.Read(head)
		if err != nil && !(err == io.EOF && pos == len(want)) {
			t.Fatalf("span [%d, %d): Read at %d: %v", lo, hi, pos, err)
		}
		rest.Reset()
		m, err := r.WriteTo(&rest)
		if err != nil || int(m) != rest.Len() {
			t.Fatalf("span [%d, %d): WriteTo at %d = %d, %v (wrote %d)", lo, hi, pos+n, m, err, rest.Len())
		}
		if got := append(head[:n], rest.Bytes()...); !bytes.Equal(got, want[pos:]) {
			t.Fatalf("span [%d, %d): from %d read %q, want %q", lo, hi, pos, got, want[pos:])
		}
		if r.Len() != 0 {
			t.Fatalf("span [%d, %d): Len = %d after WriteTo", lo, hi, r.Len())
		}
		if n, err := r.Read(make([]byte, 4)); n != 0 || err != io.EOF {
			t.Fatalf("span [%d, %d): Read at the end = %d, %v", lo, hi, n, err)
		}
	}
	for _, bad := range []int64{-1, int64(len(want)) + 1} {
		if _, err := r.Seek(bad, io.SeekStart); err == nil {
			t.Fatalf("span [%d, %d): Seek(%d) of a %d-byte body succeeded", lo, hi, bad, len(want))
		}
	}
}

// readChunks reads r to the end with a buffer of chunk bytes.
func readChunks(t *testing.T, r io.Reader, chunk int) []byte {
	t.Helper()
	var got []byte
	buf := make([]byte, chunk)
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("Read(%d bytes) = 0, nil", chunk)
		}
	}
}

// A batch whose events came in time order is sent as its arena: the body
// of every span is the header, one slice of the arena, and "]}", and
// io.Copy (the SDK's payload hash) writes the slice itself, uncopied.
func TestBodyOfSortedBatch(t *testing.T) {
	var evs []testEvent
	for i := range 24 {
		evs = append(evs, testEvent{int64(1732500000000 + i/3), _bodyMessages[i%len(_bodyMessages)]})
	}
	b := newTestBatch(t, evs)
	header := requestHeader("g", "s")
	checkAllSpans(t, header, b, evs, 0, len(evs))

	for _, sp := range [][2]int{{0, len(evs)}, {0, 1}, {5, 6}, {7, 19}, {23, 24}} {
		lo, hi := sp[0], sp[1]
		var w recordingWriter
		if _, err := io.Copy(&w, newBodyReader(header, b, lo, hi)); err != nil {
			t.Fatal(err)
		}
		if len(w.writes) != 3 {
			t.Fatalf("span [%d, %d): io.Copy made %d writes, want 3 (header, events, trailer)", lo, hi, len(w.writes))
		}
		events := w.writes[1]
		first, last := b.slots[lo], b.slots[hi-1]
		if &events[0] != &b.arena[first.start()] || len(events) != int(last.end-first.start()) {
			t.Fatalf("span [%d, %d): the events were not written from the arena in place", lo, hi)
		}
	}
}

// A batch sorted on sealing is sent in runs of its arena, whichever of its
// events come first, and its body is the events in time order.
func TestBodyOfUnsortedBatch(t *testing.T) {
	// The arena's first event sorts into the middle, and runs of events
	// stay in arena order: sorted, the events are those added 4, 8, 1 2,
	// 10, 0, 11, 5 6 7, 9, 3: nine runs.
	var evs []testEvent
	for i, ts := range []int64{5, 3, 3, 9, 1, 7, 7, 7, 2, 8, 4, 6} {
		evs = append(evs, testEvent{1732500000000 + ts, _bodyMessages[i%len(_bodyMessages)]})
	}
	b := newTestBatch(t, evs)
	checkAllSpans(t, requestHeader("g", "s"), b, sortedEvents(evs), 0, len(evs))
	var w recordingWriter
	if _, err := io.Copy(&w, newBodyReader(requestHeader("g", "s"), b, 0, len(evs))); err != nil {
		t.Fatal(err)
	}
	if len(w.writes) != 2+9 {
		t.Fatalf("io.Copy made %d writes, want 11 (header, nine runs, trailer)", len(w.writes))
	}
	// Another header, as the entity's (wire.go), reads the same events.
	checkAllSpans(t, []byte(`{"entity":{},"logEvents":[`), b, sortedEvents(evs), 2, 9)
}

// A batch across midnight is sent as one span per day, each to its day's
// stream, and halves of them when the service refuses one as too large.
func TestBodyOfBatchAcrossMidnight(t *testing.T) {
	g, s, _, err := parseNames("g", "s-{date}")
	if err != nil {
		t.Fatal(err)
	}
	tg := newTargets(g, s, streamConfig{})
	midnight := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC).UnixMilli()
	var evs []testEvent
	for i, d := range []int64{-2, 1, -1, 5, -3, 2, 2, -5, 9, 0} {
		evs = append(evs, testEvent{midnight + d, _bodyMessages[i%len(_bodyMessages)]})
	}
	b := newTestBatch(t, evs)
	tg.assign(b)
	defer tg.release(b)
	k := b.nextDay()
	if b.tgt2 == nil || k != 4 || bytes.Equal(b.tgt.header, b.tgt2.header) {
		t.Fatalf("batch across midnight: second day from event %d of %d, headers %s and %v", k, b.len(), b.tgt.header, b.tgt2)
	}
	sorted := sortedEvents(evs)
	checkAllSpans(t, b.tgt.header, b, sorted, 0, k)
	checkAllSpans(t, b.tgt2.header, b, sorted, k, b.len())
}

// A body of a large batch reads the same through a hash, net/http's 32 KB
// reads and the rest.
func TestBodyOfLargeBatch(t *testing.T) {
	var evs []testEvent
	msg := strings.Repeat(`x"\`, 100)
	for i := range 1200 {
		ts := int64(1732500000000 + i)
		if i%300 == 7 {
			ts -= 400 // out of order now and then
		}
		evs = append(evs, testEvent{ts, fmt.Sprint(i, msg)})
	}
	b := newBatch(1<<19, len(evs))
	b.maxBytes = 1 << 20
	for _, ev := range evs {
		_, obj1 := appendEventObject(nil, ev.ts, []byte(ev.msg))
		b.add(&obj1)
	}
	b.sort()
	header := requestHeader("g", "s")
	sorted := sortedEvents(evs)
	for _, sp := range [][2]int{{0, len(evs)}, {0, 600}, {450, 1000}} {
		want := wantBody(header, sorted[sp[0]:sp[1]])
		checkBody(t, header, b, sp[0], sp[1], want)
		h := sha256.New()
		if _, err := io.Copy(h, newBodyReader(header, b, sp[0], sp[1])); err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(want); !bytes.Equal(h.Sum(nil), sum[:]) {
			t.Fatalf("span %v: SHA-256 of the body differs from the reference's", sp)
		}
	}
}

// Sorting a batch keeps events of equal time in the order they were
// added, at every size up to a full batch: the service stores a batch in
// its order, so entries logged within one millisecond read back in the
// order they were logged. Go's unstable sort keeps that order only up to
// 12 elements, which it sorts by insertion.
func TestBatchSortKeepsTheOrderOfEqualTimes(t *testing.T) {
	for _, n := range []int{3, 12, 13, 33, 100, 1000, MaxBatchEvents} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			b := newBatch(n*48, n)
			// Three milliseconds, falling: the batch is out of order, and
			// each event shares its time with a third of the others.
			for i := range n {
				_, ev := appendEventObject(nil, int64(1732500000000+(n-i)%3), []byte(strconv.Itoa(i)))
				b.add(&ev)
			}
			b.sort()
			prevTS, prev := int64(0), -1
			for k, s := range b.slots {
				msg := string(appendMessage(nil, b.object(s)))
				i, err := strconv.Atoi(msg)
				if err != nil || s.ts < prevTS || s.ts == prevTS && i <= prev {
					t.Fatalf("sorted position %d: event %s at %d after event %d at %d; want time order, and equal times in the order added",
						k, msg, s.ts, prev, prevTS)
				}
				prevTS, prev = s.ts, i
			}
			if b.len() != n {
				t.Fatalf("%d events after sorting, want %d", b.len(), n)
			}
		})
	}
}

// WriteTo stops at a writer's error or short write, where it is.
func TestBodyWriteToShortWrite(t *testing.T) {
	b := newTestBatch(t, []testEvent{{1, "a"}, {2, "b"}})
	header := requestHeader("g", "s")
	want := wantBody(header, []testEvent{{1, "a"}, {2, "b"}})
	r := newBodyReader(header, b, 0, 2)
	w := &limitedWriter{left: 10}
	n, err := r.WriteTo(w)
	if n != 10 || !errors.Is(err, io.ErrShortWrite) || r.Len() != len(want)-10 {
		t.Fatalf("WriteTo a writer taking 10 bytes = %d, %v, Len %d", n, err, r.Len())
	}
	rest, _ := io.ReadAll(r)
	if got := append(w.buf.Bytes(), rest...); !bytes.Equal(got, want) {
		t.Fatalf("after a short write read %s, want %s", got, want)
	}
}

// recordingWriter keeps the slices written to it, to see where they were.
type recordingWriter struct{ writes [][]byte }

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, p)
	return len(p), nil
}

// limitedWriter takes left bytes, then writes short.
type limitedWriter struct {
	buf  bytes.Buffer
	left int
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	n := min(len(p), w.left)
	w.left -= n
	w.buf.Write(p[:n])
	return n, nil
}

// The room a batch has counts the comma before each event in the arena:
// an arena sized for k events and their commas takes k, one byte smaller
// takes k-1, and the arena never grows past its capacity.
func TestBatchFitsCountsCommas(t *testing.T) {
	_, obj1 := appendEventObject(nil, 1, []byte("message"))
	obj := obj1.obj
	for k := 1; k <= 4; k++ {
		exact := k * (1 + len(obj))
		for _, capacity := range []int{exact, exact - 1} {
			b := newBatch(capacity, 16)
			b.maxBytes = 1 << 20
			n := 0
			for b.fits(&obj1, 16) {
				b.add(&obj1)
				n++
			}
			want := k
			if capacity < exact {
				want = k - 1
			}
			if n != want || cap(b.arena) != capacity {
				t.Fatalf("arena of %d bytes for events of %d: took %d, want %d (capacity now %d)", capacity, len(obj), n, want, cap(b.arena))
			}
		}
	}
}

// grow makes room for the comma too, within the arena cap.
func TestBudgetGrowCountsCommas(t *testing.T) {
	_, obj1 := appendEventObject(nil, 1, []byte("message"))
	obj := obj1.obj
	for _, tt := range []struct {
		arenaCap int
		want     bool
	}{
		{2 * (1 + len(obj)), true},
		{2*(1+len(obj)) - 1, false},
	} {
		m := newBudget(1<<20, tt.arenaCap, 16)
		b := newBatch(1+len(obj), 1)
		b.maxBytes = 1 << 20
		b.add(&obj1)
		if got := m.grow(b, len(obj)); got != tt.want {
			t.Fatalf("arena cap %d: grow for a second event of %d bytes = %v, want %v", tt.arenaCap, len(obj), got, tt.want)
		}
		if tt.want && !b.fits(&obj1, 16) {
			t.Fatalf("arena cap %d: the second event does not fit after grow (arena %d of %d)", tt.arenaCap, len(b.arena), cap(b.arena))
		}
	}
}
