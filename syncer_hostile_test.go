package cwzap_test

// Reliability tests: the promise that every event Write or WriteEntry
// accepted ends delivered, in the fallback writer, or counted as dropped,
// under every fault cwlogstest can inject; memory through an outage; hostile
// input; and credentials that never reach an error or the fallback writer.
//
// The default run is sized for CI (`go test -race ./...`). The flag
//
//	go test -race -run 'Reliab|Memory' -cwzap.soak -timeout 30m .
//
// runs the long variants: 200,000 entries per fault instead of 10,000, and
// ten times the entries in the memory test.

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cwzap/cwzap"
)

// fixedClock makes a zap.Logger stamp entries with one time.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func (c fixedClock) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }

type panicStringer struct{}

func (panicStringer) String() string { panic("stringer boom") }

// deliveredOne logs through fn, syncs, and returns the one event stored;
// call it in a bubble.
func deliveredOne(t *testing.T, fn func(*zap.Logger)) (*fixture, string) {
	t.Helper()
	f := bubbleFixture(t)
	logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel))
	fn(logger)
	if err := logger.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	events := f.srv.Events(f.group, f.stream)
	if len(events) != 1 {
		t.Fatalf("endpoint holds %d events, want 1", len(events))
	}
	msg := events[0].Message
	if !json.Valid([]byte(msg)) || !utf8.ValidString(msg) {
		t.Fatalf("event is not valid JSON in UTF-8: %.300q", msg)
	}
	st := f.syncer.Stats()
	checkStatsAddUp(t, st)
	if st.Delivered != 1 || st.Fallback != 0 {
		t.Errorf("stats = %+v, want one event delivered", st)
	}
	return f, msg
}

func TestHostileInput(t *testing.T) {
	t.Run("empty entry", inBubble(func(t *testing.T) {
		f, msg := deliveredOne(t, func(l *zap.Logger) { l.Info("") })
		var v map[string]any
		json.Unmarshal([]byte(msg), &v)
		if m, ok := v["message"]; !ok || m != "" || v["level"] != "INFO" {
			t.Errorf("event = %s, want the layout with an empty message", msg)
		}
		// A raw empty write stores nothing and counts nothing.
		if n, err := f.syncer.Write(nil); n != 0 || err != nil {
			t.Errorf("Write(nil) = %d, %v", n, err)
		}
		if st := f.syncer.Stats(); st.Written != 1 {
			t.Errorf("an empty raw write was counted: %+v", st)
		}
	}))

	for _, size := range []int{1 << 20, 10 << 20} {
		t.Run(fmt.Sprintf("%d MB message", size>>20), inBubble(func(t *testing.T) {
			f := bubbleFixture(t)
			logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel))
			unit := "日本語 \"quoted\" back\\slash \n\t\x01 end. "
			big := strings.Repeat(unit, size/len(unit)+1)[:size]
			big = strings.ToValidUTF8(big, "")
			logger.Info(big, zap.Int("id", 42))
			if err := logger.Sync(); err != nil {
				t.Fatalf("Sync: %v", err)
			}
			events := f.srv.Events(f.group, f.stream)
			wantParts := size / cwzap.MaxEventBytes
			if len(events) <= wantParts {
				t.Fatalf("got %d events, want more than %d parts", len(events), wantParts)
			}
			entries := rejoin(t, events)
			if len(entries) != 1 {
				t.Fatalf("the parts rejoin into %d entries, want 1", len(entries))
			}
			whole := entries[0]
			var entry struct {
				Message string
				ID      int
			}
			if err := json.Unmarshal([]byte(whole), &entry); err != nil {
				t.Fatalf("reassembled entry is not JSON: %v", err)
			}
			if entry.Message != big || entry.ID != 42 {
				t.Errorf("reassembled entry differs from the original (%d bytes of message, want %d)", len(entry.Message), len(big))
			}
			st := f.syncer.Stats()
			checkStatsAddUp(t, st)
			if st.Written != uint64(len(events)) || st.Delivered != st.Written {
				t.Errorf("stats = %+v, want %d parts written and delivered", st, len(events))
			}
		}))
	}

	t.Run("10000 fields", inBubble(func(t *testing.T) {
		fields := make([]zap.Field, 10_000)
		for i := range fields {
			fields[i] = zap.Int(fmt.Sprintf("f%05d", i), i)
		}
		_, msg := deliveredOne(t, func(l *zap.Logger) { l.Info("many fields", fields...) })
		var v map[string]any
		json.Unmarshal([]byte(msg), &v)
		if len(v) != 10_000+4 {
			t.Errorf("event has %d keys, want 10,004", len(v))
		}
		for _, i := range []int{0, 4_999, 9_999} {
			if got := v[fmt.Sprintf("f%05d", i)]; got != float64(i) {
				t.Errorf("field f%05d = %v", i, got)
			}
		}
	}))

	t.Run("nested 1000 deep", inBubble(func(t *testing.T) {
		var nest func(d int) zapcore.ObjectMarshalerFunc
		nest = func(d int) zapcore.ObjectMarshalerFunc {
			return func(enc zapcore.ObjectEncoder) error {
				if d == 0 {
					enc.AddString("leaf", "bottom")
					return nil
				}
				return enc.AddObject("n", nest(d-1))
			}
		}
		_, msg := deliveredOne(t, func(l *zap.Logger) { l.Info("deep", zap.Object("n", nest(999))) })
		var v map[string]any
		json.Unmarshal([]byte(msg), &v)
		depth := 0
		cur := v
		for {
			next, ok := cur["n"].(map[string]any)
			if !ok {
				break
			}
			depth++
			cur = next
		}
		if depth != 1000 || cur["leaf"] != "bottom" {
			t.Errorf("nesting depth %d with leaf %v, want 1000 and \"bottom\"", depth, cur["leaf"])
		}
	}))

	t.Run("panicking MarshalLogObject", inBubble(func(t *testing.T) {
		boom := zapcore.ObjectMarshalerFunc(func(enc zapcore.ObjectEncoder) error {
			enc.AddString("before", "x")
			panic("object boom")
		})
		_, msg := deliveredOne(t, func(l *zap.Logger) { l.Info("obj", zap.Object("obj", boom), zap.Int("id", 1)) })
		var v map[string]any
		json.Unmarshal([]byte(msg), &v)
		if e, _ := v["objError"].(string); !strings.Contains(e, "object boom") {
			t.Errorf("event = %s, want objError with the panic text", msg)
		}
		if v["id"] != float64(1) {
			t.Errorf("the fields after the panic were lost: %s", msg)
		}
	}))

	t.Run("panicking Stringer", inBubble(func(t *testing.T) {
		_, msg := deliveredOne(t, func(l *zap.Logger) { l.Info("str", zap.Stringer("s", panicStringer{}), zap.Int("id", 2)) })
		var v map[string]any
		json.Unmarshal([]byte(msg), &v)
		if e, _ := v["sError"].(string); !strings.Contains(e, "stringer boom") {
			t.Errorf("event = %s, want sError with the panic text", msg)
		}
		if v["id"] != float64(2) {
			t.Errorf("the fields after the panic were lost: %s", msg)
		}
	}))

	t.Run("timestamps out of range", inBubble(func(t *testing.T) {
		f := bubbleFixture(t)
		core := cwzap.NewCore(f.syncer, zap.InfoLevel)
		now := time.Now()
		zap.New(core, zap.WithClock(fixedClock(now.Add(-15*24*time.Hour)))).Info("old", zap.Int("id", 1))
		zap.New(core).Info("now", zap.Int("id", 2))
		zap.New(core, zap.WithClock(fixedClock(now.Add(3*time.Hour)))).Info("ahead", zap.Int("id", 3))
		err := f.syncer.Sync()
		var de *cwzap.DeliveryError
		if !errors.As(err, &de) || de.Rejected == 0 {
			t.Errorf("Sync = %v, want a DeliveryError for rejected events", err)
		}
		st := f.syncer.Stats()
		checkStatsAddUp(t, st)
		if st.Written != 3 || st.Delivered != 1 || st.Rejected != 2 || st.Fallback != 2 {
			t.Errorf("stats = %+v, want 3 written, 1 delivered, 2 rejected into the fallback", st)
		}
		var ids []int
		for _, line := range f.fallback.Lines() {
			id, err := entryID(line)
			if err != nil {
				t.Errorf("fallback line is not the entry: %v: %q", err, line)
			}
			ids = append(ids, id)
		}
		sort.Ints(ids)
		if fmt.Sprint(ids) != "[1 3]" {
			t.Errorf("fallback holds ids %v, want [1 3]", ids)
		}
		if events := f.srv.Events(f.group, f.stream); len(events) != 1 {
			t.Errorf("endpoint holds %d events, want 1", len(events))
		} else if id, _ := entryID(events[0].Message); id != 2 {
			t.Errorf("endpoint holds %q, want the entry on time", events[0].Message)
		}
	}))

	t.Run("invalid UTF-8", inBubble(func(t *testing.T) {
		f, msg := deliveredOne(t, func(l *zap.Logger) {
			l.Info("bad \xff message \xc3\x28", zap.String("k\xfeey", "v\xffal"), zap.Int("id", 3))
		})
		var v map[string]any
		json.Unmarshal([]byte(msg), &v)
		if m, _ := v["message"].(string); !strings.Contains(m, "\ufffd") || !strings.HasPrefix(m, "bad ") {
			t.Errorf("message = %q, want the bad bytes as U+FFFD", m)
		}
		if val, ok := v["k\ufffdey"].(string); !ok || !strings.Contains(val, "\ufffd") {
			t.Errorf("event = %s, want key k\\ufffdey with a repaired value", msg)
		}
		// Raw text through the Syncer is repaired too.
		if _, err := f.syncer.Write([]byte("raw \xff\xfe text")); err != nil {
			t.Fatal(err)
		}
		if err := f.syncer.Sync(); err != nil {
			t.Fatal(err)
		}
		events := f.srv.Events(f.group, f.stream)
		// A run of invalid bytes may become one U+FFFD or one each.
		if got := events[len(events)-1].Message; !utf8.ValidString(got) || !strings.HasPrefix(got, "raw \ufffd") || !strings.HasSuffix(got, "\ufffd text") {
			t.Errorf("raw event stored as %q, want \"raw \ufffd text\" in valid UTF-8", got)
		}
	}))
}
