package cwzap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"
)

// A spool makes a Syncer crash safe (WithSpool): every event the
// accumulator takes is appended to it before WriteEntry returns, and every
// batch the ledger settles is marked settled in it, so that a Syncer
// started on the same directory after a crash replays what the crashed
// process had not settled (replay.go). segments.go has the files.
//
// Callers copy records into buf, under mu, after the accumulator has
// taken the event and outside its lock: each caller's events stay in its
// own order, and a batch's events follow no order across callers anyway
// (the batch is sorted by time when sealed), so the spool needs none. A
// goroutine of the spool's own, started when records wait and ended when
// none do, writes them with write(2), so that under load a caller never
// waits for the disk. An event whose time is a millisecond or more past
// the last event's (so at most some 1,000 a second) is waited for: its
// caller returns once the writer has written it, or after WithSyncTimeout,
// so that a process killed as soon as Write returns keeps it, and a disk
// that hangs holds no caller longer than that. The kernel's page cache outlives the process (SIGKILL, a
// panic, the OOM killer), so no caller pays for an fsync: a segment is
// fsynced when it is full, at most a second after a write while records
// keep coming, and at Close. Only a power loss or a kernel crash loses what
// was not fsynced.
//
// When the files fail (a full disk, an I/O error, the directory removed)
// the spool says so once, through the reporter, when it happens; from then
// on the events are still delivered but not kept for a crash, and counted
// (SpoolStats.Unspooled), until a new segment can be written, which the
// writer tries at most once a second while records come.
//
// The Syncer calls reserve, append and unreserve; the ledger calls settle
// under its own lock; NewSyncer and Close call the rest. mu guards the
// fields below it. w is the writer goroutine's, and Close's once it has
// ended.
type spool struct {
	limit    int64         // WithSpoolLimit
	timeout  time.Duration // the longest a caller waits for the writer: WithSyncTimeout
	lock     lockFile
	w        *segWriter
	runWrite func() // s.write, made once so that starting the writer allocates nothing
	stats    spoolCounters

	mu      rankedMutex
	buf     []byte        // records waiting to be written
	spare   []byte        // the writer's buffer, swapped with buf
	bufTop  uint64        // the highest batch seq of the events in buf
	size    int64         // bytes in live segments, buf and reservations: what the limit counts
	top     uint64        // the highest batch seq ever appended
	mark    uint64        // every batch up to it is settled
	writing bool          // the writer runs: its goroutine, or a caller
	idleCh  chan struct{} // closed when the writer ends; nil when nobody waits
	stuck   bool          // a caller's wait for the disk ran out; cleared by the next write
	room    chan struct{} // closed when the writer takes buf; nil when nobody waits
	tickets spoolTickets
	closed  bool
}

// spoolTickets are what a caller waiting for its record to be written
// waits on: its ticket is the count of records taken with its own.
type spoolTickets struct {
	taken   uint64        // records appended to buf, ever
	written uint64        // of those, records the writer has written
	wrote   chan struct{} // closed when written moves; nil when nobody waits
	lastTS  int64         // the time (ms) of the last event: one a millisecond after it is waited for
}

type spoolCounters struct {
	replayed, skipped, skippedBytes, refused, unspooled atomic.Uint64
	fileBytes                                           atomic.Int64 // what the live segments hold
}

// SpoolStats describes a Syncer's spool (WithSpool).
type SpoolStats struct {
	Replayed     uint64 // events an earlier process left unsettled, stored again by NewSyncer
	Skipped      uint64 // events in damaged records at replay (a write cut short by a crash, a corrupt file), lost; each run of damage counts the events it held, at least one
	SkippedBytes uint64 // bytes of those records
	Refused      uint64 // events the spool had no room for (WithSpoolLimit): the overflow policy took them
	Unspooled    uint64 // events delivered as usual but not kept for a crash: the disk was stuck, full or failing, or the directory removed
	Bytes        int64  // what the spool's files hold now
}

// spoolConfig is what a spool is opened with.
type spoolConfig struct {
	dir     string
	limit   int64
	timeout time.Duration
	fs      spoolFS
	rep     *reporter
}

// openSpool locks dir, creating it if need be, and returns the spool with
// the names of the segments an earlier process left, to replay. Another
// process (or Syncer) holding the directory is an error.
func openSpool(c spoolConfig) (*spool, []string, error) {
	if err := c.fs.MkdirAll(c.dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("cwzap: spool: %w", err)
	}
	lock, err := c.fs.Lock(c.dir, filepath.Join(c.dir, _spoolLock))
	if err != nil {
		return nil, nil, err
	}
	old, next, err := listSegments(c.fs, c.dir)
	if err != nil {
		lock.Close()
		return nil, nil, err
	}
	s := &spool{
		limit:   c.limit,
		timeout: c.timeout,
		lock:    lock,
		mu:      rankedMutex{rank: rankSpool},
		w: &segWriter{
			fs:     c.fs,
			dir:    c.dir,
			segMax: min(_segmentMax, c.limit/4),
			gen:    rand.Uint64() | 1,
			next:   next,
			rep:    c.rep,
		},
	}
	s.w.bytes, s.w.lostEvs = &s.stats.fileBytes, &s.stats.unspooled
	s.runWrite = s.write
	s.buf, s.spare = make([]byte, 0, _spoolBuf), make([]byte, 0, _spoolBuf)
	n, err := s.w.open()
	if err != nil {
		lock.Close()
		return nil, nil, err
	}
	s.size = n
	return s, old, nil
}

// _spoolBuf is the starting size of the spool's two buffers.
const _spoolBuf = 256 << 10

// reserve makes room for the record of ev, before the accumulator takes
// the event, and reports whether there was room: an event that finds the
// spool full is refused (counted), and follows the overflow policy. The
// caller then calls append, or unreserve when the accumulator did not
// take the event.
func (s *spool) reserve(ev *event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed && s.size+eventRecordSize(ev) > s.limit {
		s.stats.refused.Add(1)
		return false
	}
	s.size += eventRecordSize(ev)
	return true
}

// unreserve gives back a reservation the event did not use.
func (s *spool) unreserve(ev *event) {
	s.mu.Lock()
	s.size -= eventRecordSize(ev)
	s.mu.Unlock()
}

// append records ev, taken into batch seq, in the room reserve made.
func (s *spool) append(seq uint64, ev *event) {
	s.mu.Lock()
	if s.closed {
		s.size -= eventRecordSize(ev)
		s.mu.Unlock()
		return
	}
	if s.stuck || s.w.lost() {
		// Never wait on a stuck disk twice, nor write to a failed one:
		// the event is delivered as usual, only not kept.
		s.size -= eventRecordSize(ev)
		s.stats.unspooled.Add(1)
		if s.w.lost() {
			s.startLocked() // the writer tries a new segment, at most once a second
		}
		s.mu.Unlock()
		return
	}
	s.buf = appendEventRecord(s.buf, seq, ev) // in the room reserved
	s.bufTop = max(s.bufTop, seq)
	s.top = max(s.top, seq)
	s.tickets.taken++
	// Writes are rare (by the events' own times: no clock read): wait for
	// this one, so that a process killed as soon as Write returns keeps
	// it. Otherwise the writer takes it with the others, a moment later,
	// and callers wait only when they are a buffer ahead of the disk.
	rare := ev.ts-s.tickets.lastTS >= 1 || ev.ts < s.tickets.lastTS
	s.tickets.lastTS = ev.ts
	s.startLocked()
	ticket := s.tickets.taken
	switch {
	case rare && !s.waitLocked(&s.tickets.wrote, func() bool { return s.tickets.written >= ticket }):
		s.stuckLocked()
	case !rare && len(s.buf) >= _spoolBuf && !s.waitLocked(&s.room, func() bool { return len(s.buf) < _spoolBuf }):
		s.stuckLocked()
	}
	s.mu.Unlock()
}

// waitLocked waits, with mu released, until done holds, woken through *ch
// by the writer, or for the sync timeout, and reports whether it holds.
// Callers so slow down to the disk's pace rather than fill memory, and a
// disk that hangs holds none of them longer than the timeout.
func (s *spool) waitLocked(ch *chan struct{}, done func() bool) bool {
	t := time.NewTimer(s.timeout)
	defer t.Stop()
	for !done() {
		if s.stuck {
			return false // one caller waited its time already
		}
		if *ch == nil {
			*ch = make(chan struct{})
		}
		c := *ch
		s.mu.Unlock()
		outside("waiting for the spool's disk")
		select {
		case <-c:
			s.mu.Lock()
		case <-t.C:
			s.mu.Lock()
			return done()
		}
	}
	return true
}

// stuckLocked says, once, that the disk takes nothing: until it writes
// again, events are delivered but not kept.
func (s *spool) stuckLocked() {
	if s.stuck {
		return
	}
	s.stuck = true
	s.w.rep.report(reportSpool, "", fmt.Errorf("cwzap: spool %s: the disk took nothing for %v; events are delivered but not kept for a crash until it does (SpoolStats.Unspooled counts them)", s.w.dir, s.timeout))
}

// settle marks batch seq settled, and every batch up to mark. The ledger
// calls it before it wakes the Syncs waiting for the batch, so that a
// Close after them finds it.
func (s *spool) settle(seq, mark uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.mark = max(s.mark, mark)
	if s.w.lost() {
		return // no file to mark; the writer resumes on the next event
	}
	s.buf = appendSettledRecord(s.buf, seq, s.mark)
	s.size += _settledRecord
	s.startLocked()
}

func (s *spool) startLocked() {
	if !s.writing {
		s.writing = true
		go s.runWrite()
	}
}

// write writes buf until it is empty, and does the chores of the files
// (segments full, fsync, trimming, resuming after a failure).
func (s *spool) write() {
	lingered := false
	for {
		s.mu.Lock()
		mark := s.mark
		if len(s.buf) == 0 && !s.w.due(mark) && !lingered {
			// Let the callers run once before ending: under load, more
			// records come at once, and starting anew costs more.
			lingered = true
			s.mu.Unlock()
			runtime.Gosched()
			continue
		}
		if len(s.buf) == 0 && !s.w.due(mark) {
			s.writing = false
			wake(&s.idleCh)
			s.mu.Unlock()
			return
		}
		buf, top, ticket := s.buf, s.bufTop, s.tickets.taken
		s.buf, s.spare, s.bufTop = s.spare[:0], nil, 0
		wake(&s.room)
		s.mu.Unlock()

		lingered = false
		s.w.put(buf, top)
		s.mu.Lock()
		s.tickets.written = ticket // written, or lost and counted: no caller waits for it longer
		s.stuck = false
		wake(&s.tickets.wrote)
		s.mu.Unlock()
		delta := s.w.chores(mark)

		s.mu.Lock()
		s.size += delta - s.w.takeDropped()
		if cap(buf) <= 2*_segmentMax {
			s.spare = buf // keeps a burst's buffer from staying
		}
		s.mu.Unlock()
	}
}

// flush waits, until deadline, for the writer to end, then fsyncs the open
// segment, and reports whether it did. With closing, no record is taken
// from then on, so the writer stays ended.
func (s *spool) flush(deadline time.Time, closing bool) bool {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for {
		s.mu.Lock()
		if closing {
			s.closed = true
		}
		if !s.writing {
			// The writer starts only under mu, and is not running: sync
			// the file with mu released, and no writer can start before
			// closed says so or until the sync is done.
			s.writing = true
			s.mu.Unlock()
			s.w.sync()
			s.mu.Lock()
			s.writing = false
			wake(&s.idleCh)
			s.mu.Unlock()
			return true
		}
		if s.idleCh == nil {
			s.idleCh = make(chan struct{})
		}
		ch := s.idleCh
		s.mu.Unlock()
		outside("waiting for the spool's writer")
		select {
		case <-ch:
		case <-t.C:
			s.w.rep.report(reportSpool, "", fmt.Errorf("cwzap: spool %s: writing it took longer than the sync timeout; it is left as it is", s.w.dir))
			return false
		}
	}
}

// close writes what is left, by deadline, and lets the directory go. When
// every batch is settled the segments are removed; otherwise they stay,
// fsynced, for the next Syncer on the directory to replay.
func (s *spool) close(deadline time.Time) {
	if s.flush(deadline, true) {
		s.mu.Lock()
		clean := s.mark >= s.top
		s.mu.Unlock()
		s.w.close(clean)
	}
	s.lock.Close() // releases the lock
}

// idle returns a channel closed once the writer has written what it holds
// and done its chores.
func (s *spool) idle() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.writing {
		return _closed
	}
	if s.idleCh == nil {
		s.idleCh = make(chan struct{})
	}
	return s.idleCh
}

func (s *spool) snapshot() SpoolStats {
	return SpoolStats{
		Replayed:     s.stats.replayed.Load(),
		Skipped:      s.stats.skipped.Load(),
		SkippedBytes: s.stats.skippedBytes.Load(),
		Refused:      s.stats.refused.Load(),
		Unspooled:    s.stats.unspooled.Load(),
		Bytes:        s.stats.fileBytes.Load(),
	}
}

// A segWriter writes the records of one process to its segments: it
// appends to the open one, closes it when full, and removes the oldest
// while every batch with events in them is settled. It holds no lock: the
// spool's writer owns it (its goroutine, or a caller while writing is
// set), and Close once that has ended.
type segWriter struct {
	fs       spoolFS
	dir      string
	segMax   int64
	gen      uint64
	segs     []segment // oldest first; the last one is open
	f        spoolFile // nil while the files are lost
	next     int       // index of the next segment file
	lastSync time.Time
	failed   atomic.Bool    // the files are lost: events are not kept until a segment opens again
	lastTry  time.Time      // the last attempt to open a segment after a failure
	dropped  int64          // bytes handed to put but not written, for the spool's size
	bytes    *atomic.Int64  // what the live segments hold (SpoolStats.Bytes)
	lostEvs  *atomic.Uint64 // events not kept (SpoolStats.Unspooled)
	rep      *reporter
}

// A segment is one file of the spool.
type segment struct {
	name  string
	bytes int64
	top   uint64 // the highest batch seq of its events
}

// lost reports whether the files are lost. Any goroutine may ask.
func (w *segWriter) lost() bool { return w.failed.Load() }

// takeDropped returns the bytes put did not write since the last call.
func (w *segWriter) takeDropped() int64 {
	n := w.dropped
	w.dropped = 0
	return n
}

// put appends buf, whose events' highest batch seq is top, to the open
// segment: one write(2), nothing else, so that a caller may do it.
func (w *segWriter) put(buf []byte, top uint64) {
	if w.f == nil {
		w.drop(buf, 0)
		return
	}
	n, err := w.f.Write(buf)
	if err != nil {
		// A write cut short leaves a torn record, which the reader skips;
		// the next segment starts clean.
		w.drop(buf, n)
		w.fail(err)
	}
	cur := &w.segs[len(w.segs)-1]
	cur.bytes += int64(n)
	cur.top = max(cur.top, top)
	w.bytes.Add(int64(n))
}

// drop counts what of buf was not written from byte n on: its bytes, and
// the events of the records not written whole.
func (w *segWriter) drop(buf []byte, n int) {
	w.dropped += int64(len(buf) - n)
	for at := 0; at < len(buf); {
		end := at + _recPrefix + int(binary.LittleEndian.Uint32(buf[at:]))
		if kind := buf[at+_recPrefix]; end > n && (kind == _recEvent || kind == _recRouted) {
			w.lostEvs.Add(1)
		}
		at = end
	}
}

// due reports whether chores has work: a full segment, an fsync due, a
// settled segment to remove (every batch up to mark is settled), or a new
// segment to try after a failure.
func (w *segWriter) due(mark uint64) bool {
	if w.f == nil {
		return time.Since(w.lastTry) >= _spoolSyncGap
	}
	return w.segs[len(w.segs)-1].bytes >= w.segMax || time.Since(w.lastSync) >= _spoolSyncGap ||
		len(w.segs) > 1 && w.segs[0].top <= mark
}

// chores closes the open segment if full and starts the next, fsyncs it if
// the last fsync is a second old (and checks that its file is still
// there), removes the settled segments, and after a failure tries a new
// segment. It returns the change in the spool's size: a new segment's
// header, less the segments removed.
func (w *segWriter) chores(mark uint64) int64 {
	var delta int64
	switch {
	case w.f == nil:
		if time.Since(w.lastTry) < _spoolSyncGap {
			return 0
		}
		w.lastTry = time.Now()
		n, err := w.open()
		if err != nil {
			return 0 // still lost; reported when it was lost
		}
		delta += n
		w.failed.Store(false)
		w.rep.report(reportSetup, "", fmt.Errorf("cwzap: spool %s: writing again; the events taken meanwhile are delivered as usual but were not kept for a crash (SpoolStats.Unspooled)", w.dir))
	case w.segs[len(w.segs)-1].bytes >= w.segMax:
		w.fail(w.f.Sync())
		w.fail(w.f.Close())
		w.f = nil
		if w.lost() {
			break
		}
		n, err := w.open()
		w.fail(err)
		delta += n
	case time.Since(w.lastSync) >= _spoolSyncGap:
		w.fail(w.f.Sync())
		w.lastSync = time.Now()
		// A directory removed under the process: the open file takes
		// writes that no one will ever read.
		if _, err := w.fs.Stat(filepath.Join(w.dir, w.segs[len(w.segs)-1].name)); err != nil {
			w.fail(fmt.Errorf("the open segment is gone (%w); was the directory removed?", err))
		}
	}
	return delta - w.trim(mark)
}

// trim removes the oldest segments but the open one while every batch
// with events in them is settled, and returns the bytes freed.
func (w *segWriter) trim(mark uint64) int64 {
	var freed int64
	k := 0
	for k < len(w.segs)-1 && w.segs[k].top <= mark {
		if err := w.fs.Remove(filepath.Join(w.dir, w.segs[k].name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			w.fail(err)
			break
		}
		freed += w.segs[k].bytes
		k++
	}
	w.segs = append(w.segs[:0], w.segs[k:]...)
	w.bytes.Add(-freed)
	return freed
}

// open starts the next segment file with its header, and syncs the
// directory so that the file's name outlives a power loss. It returns the
// header's size. After a failure it makes the directory again, if it was
// removed.
func (w *segWriter) open() (int64, error) {
	if w.lost() {
		if err := w.fs.MkdirAll(w.dir, 0o700); err != nil {
			return 0, err
		}
		// A removed directory took its segments along: they no longer
		// count. Those still there stay until they are settled.
		kept := w.segs[:0]
		for _, sg := range w.segs {
			if _, err := w.fs.Stat(filepath.Join(w.dir, sg.name)); err == nil {
				kept = append(kept, sg)
			} else {
				w.bytes.Add(-sg.bytes)
			}
		}
		w.segs = kept
	}
	name := fmt.Sprintf("%012d%s", w.next, _spoolExt)
	f, err := w.fs.Create(filepath.Join(w.dir, name))
	if err != nil {
		return 0, fmt.Errorf("cwzap: spool: %w", err)
	}
	w.next++
	rec := appendHeaderRecord(nil, w.gen)
	if _, err := f.Write(rec); err != nil {
		f.Close()
		return 0, fmt.Errorf("cwzap: spool: %w", err)
	}
	w.f = f
	w.segs = append(w.segs, segment{name: name, bytes: int64(len(rec))})
	w.bytes.Add(int64(len(rec)))
	w.lastSync = time.Now()
	return int64(len(rec)), w.fs.SyncDir(w.dir)
}

// sync fsyncs the open segment.
func (w *segWriter) sync() {
	if w.f != nil {
		w.fail(w.f.Sync())
	}
}

// close closes the open segment, and removes every segment when clean
// (every batch settled).
func (w *segWriter) close(clean bool) {
	if w.f != nil {
		w.fail(w.f.Sync())
		w.fail(w.f.Close())
		w.f = nil
	}
	if !clean {
		return
	}
	for _, sg := range w.segs {
		if err := w.fs.Remove(filepath.Join(w.dir, sg.name)); !errors.Is(err, fs.ErrNotExist) {
			w.fail(err)
		}
	}
	w.bytes.Add(-w.segsBytes())
	w.segs = nil
	w.fail(w.fs.SyncDir(w.dir))
}

func (w *segWriter) segsBytes() int64 {
	var n int64
	for _, sg := range w.segs {
		n += sg.bytes
	}
	return n
}

// remove removes the named segments of an earlier process.
func (w *segWriter) remove(names []string) {
	for _, n := range names {
		if err := w.fs.Remove(filepath.Join(w.dir, n)); !errors.Is(err, fs.ErrNotExist) {
			w.fail(err)
		}
	}
	w.fail(w.fs.SyncDir(w.dir))
}

// fail loses the files on an error: the open segment is closed, the
// error reported (once, until the spool writes again), and the events
// taken from then on are not kept until a new segment opens.
func (w *segWriter) fail(err error) {
	if err == nil || w.lost() {
		return
	}
	w.failed.Store(true)
	w.lastTry = time.Now()
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	w.rep.report(reportSpool, "", fmt.Errorf("cwzap: spool %s: %w; events are still delivered, but not kept for a crash until it can write again (SpoolStats.Unspooled counts them)", w.dir, err))
}
