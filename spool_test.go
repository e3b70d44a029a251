package cwzap_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// A spool child is this test binary run again: it opens a Syncer with
// WithSpool on the endpoint and directory its parent names, writes, and
// then waits to be killed (SIGKILL: no Close, no deferred function).
const (
	_spoolChildEnv = "CWZAP_SPOOL_CHILD" // "dir|url|synced|unsynced" or "lock|dir"
	_spoolStream   = "spooled"
	_spoolGroup    = "/test/spool"
)

// _spoolPad makes a child's events large enough that a few thousand fill
// several segments.
var _spoolPad = strings.Repeat("p", 500)

// spoolEventTime is the time of the i-th event a child writes: distinct,
// in the past, so that a replay that kept the time of the replay instead
// would show.
func spoolEventTime(i int) time.Time {
	return time.Now().Add(-time.Hour).Truncate(time.Hour).Add(time.Duration(i) * time.Millisecond)
}

func TestSpoolChild(t *testing.T) {
	arg := os.Getenv(_spoolChildEnv)
	if arg == "" {
		t.Skip("run by the spool tests")
	}
	a := strings.Split(arg, "|")
	if a[0] == "lock" {
		srv := cwlogstest.NewServer()
		defer srv.Close()
		_, err := cwzap.NewSyncer(_spoolGroup, _spoolStream, cwzap.WithClient(srv.Client()), cwzap.WithSpool(a[1]))
		fmt.Printf("lock-result %v\n", err)
		return
	}
	dir, url := a[0], a[1]
	synced, _ := strconv.Atoi(a[2])
	unsynced, _ := strconv.Atoi(a[3])
	rare := len(a) > 4 // events a millisecond apart, and no wait for the writer
	cfg := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSPOOLCHILD", "secret", ""),
	}
	s, err := cwzap.NewSyncer(_spoolGroup, _spoolStream, cwzap.WithAWSConfig(cfg), cwzap.WithSpool(dir),
		cwzap.WithFlushInterval(time.Hour), cwzap.WithSpoolLimit(2<<20)) // segments of 512 KiB
	if err != nil {
		t.Fatal(err)
	}
	for i := range synced + unsynced {
		if i == synced {
			if err := s.Sync(); err != nil {
				t.Fatal(err)
			}
			waitSpoolBelow(t, s, 1<<20) // settled segments removed
		}
		if err := s.WriteEntry(spoolEventTime(i), []byte("event "+strconv.Itoa(i)+" "+_spoolPad)); err != nil {
			t.Fatal(err)
		}
	}
	if rare {
		fmt.Printf("written %d\n", synced+unsynced)
		time.Sleep(time.Hour) // until killed
	}
	// Wait until the spool's writer has handed every record to the
	// kernel: the files then hold what SpoolStats counts.
	s.WaitSpoolWritten()
	if onDisk := spoolFileBytes(t, dir); onDisk != s.SpoolStats().Bytes {
		t.Fatalf("spool files hold %d bytes, SpoolStats %d", onDisk, s.SpoolStats().Bytes)
	}
	fmt.Printf("written %d\n", synced+unsynced)
	time.Sleep(time.Hour) // until killed
}

// spoolFileBytes returns the bytes of the spool's segment files in dir.
func spoolFileBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	for _, name := range spoolSegments(t, dir) {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

func spoolSegments(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.spool"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	return names
}

// crashChild runs a spool child that writes synced events, syncs, writes
// unsynced more, and is killed with SIGKILL once they are written.
func crashChild(t *testing.T, srv *cwlogstest.Server, dir string, synced, unsynced int, rare ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestSpoolChild$", "-test.count=1")
	arg := fmt.Sprintf("%s=%s|%s|%d|%d", _spoolChildEnv, dir, srv.URL, synced, unsynced)
	if len(rare) > 0 {
		arg += "|rare"
	}
	cmd.Env = append(os.Environ(), arg)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	cmd.Process.Kill() // SIGKILL
	cmd.Wait()
	if !strings.HasPrefix(line, "written ") {
		t.Fatalf("child: %q\n%s", line, stderr.String())
	}
}

// replaySyncer opens a Syncer on dir after a crash, as the next process
// would, and syncs what it replayed.
func replaySyncer(t *testing.T, srv *cwlogstest.Server, dir string, opts ...cwzap.SyncerOption) (*cwzap.Syncer, *errorLog) {
	t.Helper()
	errs := &errorLog{}
	base := []cwzap.SyncerOption{cwzap.WithClient(srv.Client()), cwzap.WithSpool(dir),
		cwzap.WithFlushInterval(time.Hour), cwzap.WithErrorHandler(errs.handle), cwzap.WithFallback(&lockedBuffer{})}
	s, err := cwzap.NewSyncer(_spoolGroup, _spoolStream, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	errs.attach(s)
	t.Cleanup(func() { s.Close() })
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	return s, errs
}

// checkStoredOnce checks that the stream holds events 0 … n-1 exactly
// once each, with the times the child gave them, but for those of lost.
func checkStoredOnce(t *testing.T, srv *cwlogstest.Server, n int, lost ...int) {
	t.Helper()
	seen := map[string]int{}
	for _, e := range srv.Events(_spoolGroup, _spoolStream) {
		seen[strings.TrimSuffix(e.Message, " "+_spoolPad)]++
		i, err := strconv.Atoi(strings.Fields(e.Message)[1])
		if err != nil {
			t.Fatalf("unexpected event %q", e.Message)
		}
		if want := spoolEventTime(i).UnixMilli(); e.Timestamp != want {
			t.Errorf("%q: timestamp %d, want %d (its own time)", e.Message, e.Timestamp, want)
		}
	}
	for i := range n {
		want := 1
		if slices.Contains(lost, i) {
			want = 0
		}
		if m := "event " + strconv.Itoa(i); seen[m] != want {
			t.Errorf("%q stored %d times, want %d", m, seen[m], want)
		}
	}
	if len(seen) != n-len(lost) {
		t.Errorf("%d distinct events stored, want %d", len(seen), n-len(lost))
	}
}

// A process killed with events in memory: the next Syncer on the
// directory stores them, with their own times; those the killed process
// had delivered (synced) are not stored again.
func TestSpoolReplayAfterSIGKILL(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	const synced, unsynced = 3000, 1500
	crashChild(t, srv, dir, synced, unsynced)
	// The unsynced events fill no batch (about 1,900 of them would): none
	// was put before the kill. (A put in flight at the kill, stored by the
	// service and not yet marked settled, would be stored twice.)
	before := len(srv.Events(_spoolGroup, _spoolStream))
	if before != synced {
		t.Fatalf("before the replay the stream holds %d events, want the %d synced", before, synced)
	}
	if segs := spoolSegments(t, dir); len(segs) < 2 {
		t.Errorf("the child left segments %v, want several", segs)
	}
	s, errs := replaySyncer(t, srv, dir)
	checkStoredOnce(t, srv, synced+unsynced)
	st := s.SpoolStats()
	want := uint64(synced + unsynced - before)
	if st.Replayed != want || st.Skipped != 0 {
		t.Errorf("SpoolStats %+v, want Replayed %d, Skipped 0", st, want)
	}
	if stats := s.Stats(); stats.Written != want || stats.Delivered != want {
		t.Errorf("Stats %+v, want %d written and delivered", stats, want)
	}
	if e := errs.all(); len(e) != 0 {
		t.Errorf("errors: %v", e)
	}
	// A clean Close leaves no segment behind, and a third Syncer replays
	// nothing.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if segs := spoolSegments(t, dir); len(segs) != 0 {
		t.Errorf("after Close: segments %v, want none", segs)
	}
	s3, _ := replaySyncer(t, srv, dir)
	if st := s3.SpoolStats(); st.Replayed != 0 {
		t.Errorf("third Syncer replayed %d events, want 0", st.Replayed)
	}
	checkStoredOnce(t, srv, synced+unsynced)
}

// Events that come one by one (a millisecond apart, as their times say)
// are written by their callers: a process killed as soon as the last
// WriteEntry returns loses none of them.
func TestSpoolRareEventsWrittenBeforeWriteReturns(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	const n = 100
	crashChild(t, srv, dir, 0, n, "rare")
	s, _ := replaySyncer(t, srv, dir)
	if st := s.SpoolStats(); st.Replayed != n {
		t.Errorf("SpoolStats %+v, want Replayed %d", st, n)
	}
	checkStoredOnce(t, srv, n)
}

// Settled segments are removed as the Syncer goes: a long run keeps a
// spool of a few segments, not of everything it wrote.
func TestSpoolTrims(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t, cwzap.WithSpool(dir), cwzap.WithSpoolLimit(cwzap.MinSpoolLimit))
	line := []byte(strings.Repeat("x", 1000))
	const n = 20_000 // about 20 MB through a 1 MiB spool
	for i := range n {
		if err := f.syncer.WriteEntry(time.Time{}, line); err != nil {
			t.Fatal(err)
		}
		if i%250 == 249 {
			if err := f.syncer.Sync(); err != nil {
				t.Fatal(err)
			}
			waitSpoolBelow(t, f.syncer, cwzap.MinSpoolLimit/2)
		}
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
	st := f.syncer.SpoolStats()
	if st.Refused != 0 {
		t.Errorf("SpoolStats %+v: refused events, want none (every batch was settled in time)", st)
	}
	if st.Bytes > cwzap.MinSpoolLimit {
		t.Errorf("spool holds %d bytes after Sync, want at most the limit %d", st.Bytes, cwzap.MinSpoolLimit)
	}
	if got := f.syncer.Stats(); got.Delivered != n {
		t.Errorf("Stats %+v, want %d delivered", got, n)
	}
	if err := f.syncer.Close(); err != nil {
		t.Fatal(err)
	}
	if segs := spoolSegments(t, dir); len(segs) != 0 {
		t.Errorf("after Close: segments %v, want none", segs)
	}
}

// waitSpoolBelow waits until the spool's writer is done with the settle
// marks a Sync left it, and checks that it removed settled segments enough
// for the spool to hold less than n bytes.
func waitSpoolBelow(t *testing.T, s *cwzap.Syncer, n int64) {
	t.Helper()
	s.WaitSpoolWritten()
	if got := s.SpoolStats().Bytes; got >= n {
		t.Fatalf("the spool holds %d bytes once its writer is done, want < %d", got, n)
	}
}

// At its limit the spool refuses events to the overflow policy: they go
// to the fallback writer, are counted, and everything adds up.
func TestSpoolLimit(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t, cwzap.WithSpool(dir), cwzap.WithSpoolLimit(cwzap.MinSpoolLimit))
	line := []byte(strings.Repeat("y", 1000))
	const n = 2000 // about 2 MB, none settled until the Sync
	for range n {
		if err := f.syncer.WriteEntry(time.Time{}, line); err != nil {
			t.Fatal(err)
		}
	}
	st := f.syncer.SpoolStats()
	if st.Refused == 0 || st.Refused >= n || st.Bytes > cwzap.MinSpoolLimit {
		t.Fatalf("SpoolStats %+v: want some refused, Bytes <= %d", st, cwzap.MinSpoolLimit)
	}
	var de *cwzap.DeliveryError
	if err := f.syncer.Sync(); !errors.As(err, &de) || de.Overflow != int(st.Refused) {
		t.Errorf("Sync: %v, want a DeliveryError with Overflow %d", err, st.Refused)
	}
	got := f.syncer.Stats()
	if got.Written != n || got.Fallback != st.Refused || got.Delivered != n-st.Refused {
		t.Errorf("Stats %+v, want %d written, %d to the fallback, the rest delivered", got, n, st.Refused)
	}
	if lines := strings.Count(f.fallback.String(), "\n"); lines != int(st.Refused) {
		t.Errorf("fallback holds %d lines, want %d", lines, st.Refused)
	}
	// Settled, the spool takes events again.
	waitSpoolBelow(t, f.syncer, cwzap.MinSpoolLimit/2)
	if err := f.syncer.WriteEntry(time.Time{}, line); err != nil {
		t.Fatal(err)
	}
	if now := f.syncer.SpoolStats().Refused; now != st.Refused {
		t.Errorf("after Sync an event was refused (%d, was %d)", now, st.Refused)
	}
}

// One directory, one Syncer: a second one, in this process or another,
// is refused with an error that says why, and gets it once the first is
// closed.
func TestSpoolLocked(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t, cwzap.WithSpool(dir))
	_, err := cwzap.NewSyncer("/g", "s", cwzap.WithClient(f.srv.Client()), cwzap.WithSpool(dir))
	if err == nil || !strings.Contains(err.Error(), "in use by another Syncer or process") || !strings.HasPrefix(err.Error(), "cwzap:") {
		t.Fatalf("second Syncer: %v, want the directory in use", err)
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestSpoolChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), _spoolChildEnv+"=lock|"+dir)
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "lock-result cwzap: spool directory "+dir+" is in use") {
		t.Errorf("another process: %s", out)
	}
	if err := f.syncer.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := cwzap.NewSyncer("/g", "s", cwzap.WithClient(f.srv.Client()), cwzap.WithSpool(dir))
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	s.Close()
}

func TestSpoolOptions(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	for _, opt := range []cwzap.SyncerOption{cwzap.WithSpool(""), cwzap.WithSpoolLimit(1000)} {
		_, err := cwzap.NewSyncer("/g", "s", cwzap.WithClient(srv.Client()), opt)
		if err == nil || !strings.HasPrefix(err.Error(), "cwzap: WithSpool") {
			t.Errorf("got %v, want a cwzap: WithSpool… error", err)
		}
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := cwzap.NewSyncer("/g", "s", cwzap.WithClient(srv.Client()), cwzap.WithSpool(file)); err == nil {
		t.Error("a spool in a file: no error")
	}
}
