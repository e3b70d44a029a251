package cwzap_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cwzap/cwzap"
)

// The spool's file faults, through a file layer the tests control
// (cwzap.FaultFS): a full disk, failing writes, a hanging disk and a
// removed directory are each said once, when they happen, and the events
// they keep from the files are counted; every event is still delivered,
// and SpoolStats.Bytes is what the files hold.

// spoolOnDisk returns the bytes of the segment files in dir.
func spoolOnDisk(t *testing.T, dir string) int64 {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".spool") {
			fi, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			n += fi.Size()
		}
	}
	return n
}

// writeRare writes n events of about 200 bytes, a millisecond apart in
// their own times and in the bubble's, so that each is written to the
// spool before WriteEntry returns.
func writeRare(f *fixture, from, n int) {
	for i := from; i < from+n; i++ {
		f.syncer.WriteEntry(time.Now(), fmt.Appendf(nil, "event %d %s", i, strings.Repeat("x", 190)))
		time.Sleep(time.Millisecond)
	}
}

// reportsLike returns the reports that contain each of words.
func reportsLike(errs []error, words ...string) []error {
	var out []error
	for _, err := range errs {
		keep := true
		for _, w := range words {
			keep = keep && strings.Contains(err.Error(), w)
		}
		if keep {
			out = append(out, err)
		}
	}
	return out
}

func TestSpoolFullDisk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		fsys := cwzap.NewFaultFS()
		fsys.Fill(32 << 10)
		f := bubbleFixture(t, cwzap.WithSpool(dir), cwzap.WithSpoolFS(fsys))
		writeRare(f, 0, 1000)
		synctest.Wait()
		// Said once, as it happened: before any Sync.
		full := reportsLike(f.errs.all(), "spool", "no space left on device")
		if len(full) != 1 || len(f.errs.all()) != 1 {
			t.Fatalf("reports %v, want one saying the disk is full", f.errs.all())
		}
		st := f.syncer.SpoolStats()
		if st.Unspooled == 0 || st.Unspooled >= 1000 {
			t.Errorf("SpoolStats %+v: want the events after the disk filled counted as not kept", st)
		}
		if onDisk := spoolOnDisk(t, dir); st.Bytes != onDisk {
			t.Errorf("SpoolStats.Bytes = %d; the files hold %d", st.Bytes, onDisk)
		}

		// Room again: within a second the spool writes a new segment, says
		// so, and keeps the events from then on.
		fsys.Fail(nil)
		writeRare(f, 1000, 1500)
		synctest.Wait()
		if again := reportsLike(f.errs.all(), "writing again"); len(again) != 1 {
			t.Errorf("reports %v, want one saying the spool writes again", f.errs.all())
		}
		after := f.syncer.SpoolStats()
		if lost := after.Unspooled - st.Unspooled; lost == 0 || lost > 1000 {
			t.Errorf("after room came back %d of 1500 events were not kept, want some and at most a second's (1000) (SpoolStats %+v)", lost, after)
		}
		if onDisk := spoolOnDisk(t, dir); after.Bytes != onDisk {
			t.Errorf("SpoolStats.Bytes = %d; the files hold %d", after.Bytes, onDisk)
		}
		f.syncOK(t)
		if st := f.syncer.Stats(); st.Delivered != 2500 {
			t.Errorf("Stats %+v: want every event delivered", st)
		}
	})
}

func TestSpoolFailingWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		fsys := cwzap.NewFaultFS()
		f := bubbleFixture(t, cwzap.WithSpool(dir), cwzap.WithSpoolFS(fsys))
		writeRare(f, 0, 100)
		fsys.Fail(syscall.EIO)
		writeRare(f, 100, 100)
		synctest.Wait()
		if eio := reportsLike(f.errs.all(), "spool", "input/output error"); len(eio) != 1 || len(f.errs.all()) != 1 {
			t.Fatalf("reports %v, want one naming the I/O error", f.errs.all())
		}
		if st := f.syncer.SpoolStats(); st.Unspooled != 100 || st.Bytes != spoolOnDisk(t, dir) {
			t.Errorf("SpoolStats %+v (files %d bytes): want the 100 events after the failure counted, Bytes as on disk", st, spoolOnDisk(t, dir))
		}
		f.syncOK(t)
		if st := f.syncer.Stats(); st.Delivered != 200 {
			t.Errorf("Stats %+v: want every event delivered", st)
		}
	})
}

// A disk that hangs holds a caller no longer than WithSyncTimeout, once:
// then events are delivered and not kept until it writes again.
func TestSpoolHangingDisk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout = 2 * time.Second
		fsys := cwzap.NewFaultFS()
		f := bubbleFixture(t, cwzap.WithSpool(t.TempDir()), cwzap.WithSpoolFS(fsys), cwzap.WithSyncTimeout(timeout))
		writeRare(f, 0, 10)
		release := fsys.Hang()
		for i, want := range []time.Duration{timeout, 0, 0} {
			start := time.Now()
			f.syncer.WriteEntry(start, fmt.Appendf(nil, "while it hangs %d", i))
			if took := time.Since(start); took != want {
				t.Errorf("write %d with the disk hanging took %v, want %v", i, took, want)
			}
			time.Sleep(time.Millisecond)
		}
		synctest.Wait()
		if hung := reportsLike(f.errs.all(), "spool", "took nothing for 2s"); len(hung) != 1 || len(f.errs.all()) != 1 {
			t.Errorf("reports %v, want one saying the disk took nothing", f.errs.all())
		}
		if st := f.syncer.SpoolStats(); st.Unspooled != 2 {
			t.Errorf("SpoolStats %+v: want the two events written while it was stuck counted", st)
		}
		release()
		synctest.Wait()
		start := time.Now()
		writeRare(f, 10, 10)
		if took := time.Since(start); took != 10*time.Millisecond {
			t.Errorf("ten writes after the disk came back took %v, want their own 10ms", took)
		}
		if st := f.syncer.SpoolStats(); st.Unspooled != 2 {
			t.Errorf("SpoolStats %+v: events not kept once the disk writes again", st)
		}
		f.syncOK(t)
	})
}

func TestSpoolDirectoryRemoved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "spool")
		f := bubbleFixture(t, cwzap.WithSpool(dir))
		writeRare(f, 0, 100)
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		// Found at the next second's fsync, said at once; the directory is
		// made again a second later, and events are kept from then on.
		writeRare(f, 100, 3000)
		synctest.Wait()
		errs := f.errs.all()
		if gone := reportsLike(errs, "spool", "was the directory removed?"); len(gone) != 1 {
			t.Errorf("reports %v, want one saying the directory went", errs)
		}
		if again := reportsLike(errs, "writing again"); len(again) != 1 || len(errs) != 2 {
			t.Errorf("reports %v, want one saying the spool writes again", errs)
		}
		st := f.syncer.SpoolStats()
		if st.Unspooled == 0 || st.Unspooled > 1100 {
			t.Errorf("SpoolStats %+v: want the events of the second or so before the directory came back counted", st)
		}
		if onDisk := spoolOnDisk(t, dir); st.Bytes != onDisk {
			t.Errorf("SpoolStats.Bytes = %d; the files hold %d", st.Bytes, onDisk)
		}
		f.syncOK(t)
		if st := f.syncer.Stats(); st.Delivered != 3100 {
			t.Errorf("Stats %+v: want every event delivered", st)
		}
	})
}
