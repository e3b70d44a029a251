package cwzap_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cwzap/cwzap/cwlogstest"
)

// Damaged segments (segments.go): the spool's children and helpers are in
// spool_test.go.

// A crash cuts the last record short: the replay skips it, counts it,
// says so, and replays every event before it.
func TestSpoolTornTail(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	const n = 200
	crashChild(t, srv, dir, 0, n)
	segs := spoolSegments(t, dir)
	if len(segs) != 1 {
		t.Fatalf("segments %v, want one", segs)
	}
	last := filepath.Join(dir, segs[0])
	fi, err := os.Stat(last)
	if err != nil {
		t.Fatal(err)
	}
	// The last record is event n-1: cut it short.
	if err := os.Truncate(last, fi.Size()-100); err != nil {
		t.Fatal(err)
	}
	s, errs := replaySyncer(t, srv, dir)
	st := s.SpoolStats()
	if st.Replayed != n-1 || st.Skipped != 1 || st.SkippedBytes == 0 {
		t.Errorf("SpoolStats %+v, want Replayed %d, Skipped 1, SkippedBytes > 0", st, n-1)
	}
	checkStoredOnce(t, srv, n-1)
	if e := errs.all(); len(e) != 1 || !strings.Contains(e[0].Error(), "skipped 1 event in") {
		t.Errorf("errors %v, want one naming the skipped record", e)
	}
}

// A corrupt record (a flipped byte) fails its checksum: it alone is
// skipped and counted; the events before and after it are replayed.
func TestSpoolCorruptRecord(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	const n = 100
	crashChild(t, srv, dir, 0, n)
	segs := spoolSegments(t, dir)
	path := filepath.Join(dir, segs[0])
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Flip a byte of the message of event 50.
	i := strings.Index(string(data), `event 50 `)
	if i < 0 {
		t.Fatal("event 50 not found in the segment")
	}
	data[i] ^= 0x20
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := replaySyncer(t, srv, dir)
	if st := s.SpoolStats(); st.Replayed != n-1 || st.Skipped != 1 {
		t.Errorf("SpoolStats %+v, want Replayed %d, Skipped 1", st, n-1)
	}
	checkStoredOnce(t, srv, n, 50)
}
