package cwzap_test

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// lines is a WriteSyncer that keeps each write.
type lines struct {
	mu  sync.Mutex
	got []string
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, string(p))
	return len(p), nil
}

func (l *lines) Sync() error { return nil }

// keys returns the top-level keys of a JSON object, in order.
func keys(t *testing.T, obj string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(obj))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var out []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

var _seqPattern = regexp.MustCompile(`^[a-z2-7]{8}-[1-9][0-9]*$`)

func TestSequenceKeyInTheJSONLayout(t *testing.T) {
	out := &lines{}
	logger := zap.New(cwzap.NewCore(out, zap.InfoLevel, cwzap.WithSequenceKey()))
	logger.Info("first", zap.String("seq", "mine"))
	child := logger.With(zap.Int("ctx", 1))
	child.Error("second", zap.Error(errors.New("boom")), zap.Int("n", 2))
	other := zap.New(cwzap.NewCore(out, zap.InfoLevel, cwzap.WithSequenceKey()))
	other.Info("third")

	var got []map[string]any
	for _, l := range out.got {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v in %s", err, l)
		}
		got = append(got, m)
	}
	if want := []string{"timestamp", "level", "location", "message", "seq", "_seq"}; strings.Join(keys(t, out.got[0]), ",") != strings.Join(want, ",") {
		t.Errorf("keys %v, want %v: a field named seq is written as _seq", keys(t, out.got[0]), want)
	}
	if want := []string{"timestamp", "level", "location", "message", "exception", "seq", "ctx", "n"}; strings.Join(keys(t, out.got[1]), ",") != strings.Join(want, ",") {
		t.Errorf("keys %v, want %v: seq after exception, before the fields", keys(t, out.got[1]), want)
	}
	s1, s2, s3 := got[0]["seq"].(string), got[1]["seq"].(string), got[2]["seq"].(string)
	for _, s := range []string{s1, s2, s3} {
		if !_seqPattern.MatchString(s) {
			t.Errorf("seq %q: want 8 base32 characters, '-', a counter", s)
		}
	}
	id := s1[:8]
	if s1 != id+"-1" || s2 != id+"-2" {
		t.Errorf("seq %q then %q: want %s-1 then %s-2, one counter for the core and its With children", s1, s2, id, id)
	}
	if s3[:8] == id || s3[9:] != "1" {
		t.Errorf("another core's seq %q: want its own writer id and counter", s3)
	}
}

func TestSequenceKeyInTextFormats(t *testing.T) {
	out := &lines{}
	logger := zap.New(cwzap.NewCore(out, zap.InfoLevel, cwzap.WithSequenceKey(), cwzap.WithFormat(cwzap.FormatShort)))
	logger.Info("bare")
	logger.With(zap.Int("ctx", 1)).Warn("with fields", zap.String("seq", "mine"))
	re := regexp.MustCompile(`^INFO: : bare \{"seq":"([a-z2-7]{8})-1"\}\n$`)
	m := re.FindStringSubmatch(out.got[0])
	if m == nil {
		t.Fatalf("text entry %q: want the fields object holding only seq", out.got[0])
	}
	if want := `WARNING: : with fields {"seq":"` + m[1] + `-2","ctx":1,"_seq":"mine"}` + "\n"; out.got[1] != want {
		t.Errorf("text entry %q, want %q", out.got[1], want)
	}
}

func TestSequenceKeyOffByDefault(t *testing.T) {
	out := &lines{}
	zap.New(cwzap.NewCore(out, zap.InfoLevel)).Info("m", zap.String("seq", "mine"))
	if !strings.Contains(out.got[0], `,"seq":"mine"}`) {
		t.Errorf("entry %s: without the option there is no seq and a field seq keeps its name", out.got[0])
	}
}

// Answers lost after the events were stored make the Syncer put them
// again: the sequence key tells the copies apart from distinct entries.
func TestSequenceKeyFindsDuplicates(t *testing.T) {
	synctest.Test(t, testSequenceKeyFindsDuplicates)
}

// On the bubble's clock the Sync deadline counts the retries' backoff,
// not the machine's speed.
func testSequenceKeyFindsDuplicates(t *testing.T) {
	f := bubbleFixture(t, cwzap.WithMaxBatchEvents(10), cwzap.WithConcurrency(1))
	f.createStream(t)
	f.srv.SetFaults(cwlogstest.Faults{DropAfter: 0.3, Seed: 7})
	logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel, cwzap.WithSequenceKey()))
	const n = 300
	for i := range n {
		logger.Info("entry", zap.Int("i", i))
	}
	if err := logger.Sync(); err != nil {
		t.Fatal(err)
	}
	f.srv.SetFaults(cwlogstest.Faults{})

	bySeq := map[string][]string{}
	stored := f.messages(t)
	for _, msg := range stored {
		var v struct{ Seq string }
		if err := json.Unmarshal([]byte(msg), &v); err != nil || v.Seq == "" {
			t.Fatalf("event %s: no seq (%v)", msg, err)
		}
		bySeq[v.Seq] = append(bySeq[v.Seq], msg)
	}
	if len(bySeq) != n {
		t.Errorf("%d distinct seq values, want one per entry, %d", len(bySeq), n)
	}
	dups := 0
	for seq, msgs := range bySeq {
		for _, m := range msgs[1:] {
			dups++
			if m != msgs[0] {
				t.Errorf("seq %s holds two different entries: %s and %s", seq, msgs[0], m)
			}
		}
	}
	if dups == 0 || len(stored) != n+dups {
		t.Errorf("%d events stored, %d duplicates found: want some duplicates (DropAfter), and every extra event one of them", len(stored), dups)
	}
}

var _ zapcore.WriteSyncer = (*lines)(nil)
