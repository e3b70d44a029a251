package cwzap

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A spool makes a Syncer crash safe (WithSpool): every event the
// accumulator takes is appended to it before WriteEntry returns, and every
// batch the ledger settles is marked settled in it, so that a Syncer
// started on the same directory after a crash replays what the crashed
// process had not settled. segments.go has the files.
//
// Callers copy records into buf, under mu; a goroutine of the spool's own,
// started when records wait and ended when none do, writes them with
// write(2), so that under load a caller never waits for the disk. An event
// that finds the writer idle and whose time is a millisecond or more past
// the last such event's (so at most some 1,000 a second) is written by its
// caller before Write returns: then a process killed as soon as Write
// returns keeps it. The kernel's page cache
// outlives the process (SIGKILL, a panic, the OOM killer), so no caller
// pays for an fsync: a segment is fsynced when it is full, at most a
// second after a write while records keep coming, and at Close. Only a
// power loss or a kernel crash loses what was not fsynced.
//
// The accumulator calls fits and append under its own lock, the ledger
// settle under its own; NewSyncer and Close call the rest. mu guards the
// fields below it. w is the writer goroutine's, and Close's once it has
// ended.
type spool struct {
	limit    int64         // WithSpoolLimit
	timeout  time.Duration // the longest a caller waits for the writer: WithSyncTimeout
	lock     *os.File
	w        *segWriter
	runWrite func() // s.write, made once so that starting the writer allocates nothing
	stats    spoolCounters

	mu      sync.Mutex
	buf     []byte        // records waiting to be written
	spare   []byte        // the writer's buffer, swapped with buf
	bufTop  uint64        // the highest batch seq of the events in buf
	size    int64         // bytes in live segments and buf, as the limit counts them
	top     uint64        // the highest batch seq ever appended
	mark    uint64        // every batch up to it is settled
	writing bool          // the writer runs: its goroutine, or a caller
	lastTS  int64         // the time (ms) of the last event that found the writer idle
	idleCh  chan struct{} // closed when the writer ends; nil when nobody waits
	stuck   bool          // a caller's wait for the disk ran out; cleared by the next write
	room    chan struct{} // closed when the writer takes buf; nil when nobody waits
	closed  bool
}

type spoolCounters struct {
	replayed, skipped, skippedBytes, refused, unspooled atomic.Uint64
}

// SpoolStats describes a Syncer's spool (WithSpool).
type SpoolStats struct {
	Replayed     uint64 // events an earlier process left unsettled, stored again by NewSyncer
	Skipped      uint64 // damaged records skipped at replay (the end of a write cut short by a crash, or a corrupt file): one for each segment they end
	SkippedBytes uint64 // bytes of those records
	Refused      uint64 // events the spool had no room for (WithSpoolLimit): the overflow policy took them
	Unspooled    uint64 // events taken while the disk was stuck: delivered as usual, but not kept for a crash
	Bytes        int64  // the spool's size now, as WithSpoolLimit counts it
}

// openSpool locks dir, creating it if need be, and returns the spool with
// the names of the segments an earlier process left, to replay. Another
// process (or Syncer) holding the directory is an error.
func openSpool(dir string, limit int64, timeout time.Duration, onError func(error)) (*spool, []string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("cwzap: spool: %w", err)
	}
	lock, err := lockDir(dir, filepath.Join(dir, _spoolLock))
	if err != nil {
		return nil, nil, err
	}
	old, next, err := listSegments(dir)
	if err != nil {
		lock.Close()
		return nil, nil, err
	}
	s := &spool{
		limit:   limit,
		timeout: timeout,
		lock:    lock,
		w: &segWriter{
			dir:     dir,
			segMax:  min(_segmentMax, limit/4),
			gen:     rand.Uint64() | 1,
			next:    next,
			onError: onError,
		},
	}
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

// fits reports whether an event object of n bytes has room, and counts it
// refused when not. The accumulator calls it, then append, under its lock.
func (s *spool) fits(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.size+int64(_recPrefix+_eventFixed+n) <= s.limit {
		return true
	}
	s.stats.refused.Add(1)
	return false
}

// _spoolBuf is the starting size of the spool's two buffers.
const _spoolBuf = 256 << 10

// append records one event of batch seq.
func (s *spool) append(seq uint64, ts int64, size int, obj []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.stuck {
		// The accumulator's lock is held: never wait on a stuck disk
		// twice. The event is delivered as usual, only not kept.
		s.stats.unspooled.Add(1)
		return
	}
	s.buf = appendEventRecord(s.buf, seq, ts, size, obj)
	s.size += int64(_recPrefix + _eventFixed + len(obj))
	s.bufTop = max(s.bufTop, seq)
	s.top = max(s.top, seq)
	if s.writing {
		if len(s.buf) >= _spoolBuf && !s.waitLocked() {
			s.stuck = true
			s.w.onError(fmt.Errorf("cwzap: spool %s: the disk took nothing for %v; events are delivered but not kept for a crash until it does", s.w.dir, s.timeout))
		}
		return
	}
	// Writes are rare: write this one now, so that a process killed as
	// soon as Write returns keeps it. Otherwise the writer goroutine
	// takes it with the others, a moment later.
	s.writing = true
	inline := ts-s.lastTS >= 1 || ts < s.lastTS // by the events' own times: no clock read
	s.lastTS = ts
	if inline {
		s.writeNow()
	} else {
		go s.runWrite()
	}
}

// waitLocked waits, with mu released, until the writer takes buf, or for
// the sync timeout, and reports whether the writer took it: buf stays
// within its size, as long as the disk keeps up, and callers slow down to
// the disk's pace rather than fill memory.
func (s *spool) waitLocked() bool {
	if s.room == nil {
		s.room = make(chan struct{})
	}
	ch := s.room
	s.mu.Unlock()
	t := time.NewTimer(s.timeout)
	took := true
	select {
	case <-ch:
	case <-t.C:
		took = false
	}
	t.Stop()
	s.mu.Lock()
	return took
}

// writeNow writes buf on the caller's goroutine, and leaves to the writer
// goroutine what more there is: the chores of the files, or records added
// meanwhile. mu is held, and writing set.
func (s *spool) writeNow() {
	buf, top := s.buf, s.bufTop
	s.buf, s.spare, s.bufTop = s.spare[:0], nil, 0
	wake(&s.room)
	s.mu.Unlock()
	s.w.put(buf, top)
	s.mu.Lock()
	s.stuck = false
	if cap(buf) <= 2*_segmentMax {
		s.spare = buf
	}
	if len(s.buf) > 0 || s.w.due(s.mark) {
		go s.runWrite()
		return
	}
	s.writing = false
	wake(&s.idleCh)
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
// (segments full, fsync, trimming).
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
		buf, top := s.buf, s.bufTop
		s.buf, s.spare, s.bufTop = s.spare[:0], nil, 0
		wake(&s.room)
		s.mu.Unlock()

		lingered = false
		s.w.put(buf, top)
		delta := s.w.chores(mark)

		s.mu.Lock()
		s.stuck = false
		s.size += delta
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
			// The writer starts only under mu: it cannot start meanwhile.
			s.w.sync()
			s.mu.Unlock()
			return true
		}
		if s.idleCh == nil {
			s.idleCh = make(chan struct{})
		}
		ch := s.idleCh
		s.mu.Unlock()
		select {
		case <-ch:
		case <-t.C:
			s.w.onError(fmt.Errorf("cwzap: spool %s: writing it took longer than the sync timeout; it is left as it is", s.w.dir))
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

func (s *spool) snapshot() SpoolStats {
	s.mu.Lock()
	size := s.size
	s.mu.Unlock()
	return SpoolStats{
		Replayed:     s.stats.replayed.Load(),
		Skipped:      s.stats.skipped.Load(),
		SkippedBytes: s.stats.skippedBytes.Load(),
		Refused:      s.stats.refused.Load(),
		Unspooled:    s.stats.unspooled.Load(),
		Bytes:        size,
	}
}

// SpoolStats returns the counters of the Syncer's spool, or the zero
// SpoolStats without WithSpool. It is safe to call at any time.
func (s *Syncer) SpoolStats() SpoolStats {
	if s.spool == nil {
		return SpoolStats{}
	}
	return s.spool.snapshot()
}

// replay stores again, with their own times, the events that the segments
// an earlier process left hold and do not mark settled, in the order they
// were written; once they are in this process's spool, fsynced, it
// removes those segments. Events beyond the buffer limit wait for a Sync,
// then follow the overflow policy. Damaged records are skipped, counted
// and reported.
func (s *Syncer) replay(old []string) error {
	if len(old) == 0 {
		return nil
	}
	dir := s.spool.w.dir
	set, skipped, skippedBytes, err := readSettled(dir, old)
	if err != nil {
		return err
	}
	if skipped > 0 {
		s.spool.stats.skipped.Add(uint64(skipped))
		s.spool.stats.skippedBytes.Add(uint64(skippedBytes))
		s.spool.w.onError(fmt.Errorf("cwzap: spool %s: skipped %d damaged records (%d bytes), the end of a write cut short by a crash or a corrupt file; the events before them are replayed", dir, skipped, skippedBytes))
	}
	for _, name := range old {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("cwzap: spool: %w", err)
		}
		r := segmentReader{data: data}
		for {
			body, ok := r.next()
			if !ok {
				break
			}
			if e, ok := parseEvent(body); ok && !set.has(r.gen, e.seq) {
				s.replayEvent(e)
			}
		}
	}
	if s.spool.flush(time.Now().Add(s.syncTimeout), false) {
		s.spool.w.remove(old)
	}
	return nil
}

// replayEvent stores one spooled event, after a Sync if the buffer is full.
func (s *Syncer) replayEvent(e spooledEvent) {
	s.ledger.accepted()
	s.spool.stats.replayed.Add(1)
	for try := 0; ; try++ {
		_, r := s.acc.add(e.ts, e.obj, e.size, 0)
		if r == added {
			return
		}
		if try == 0 {
			s.syncContext(context.Background(), false)
			continue
		}
		s.ledger.overflowed(appendMessage(nil, e.obj), s.overflow == OverflowDrop, r == overflowFirst, s.bufferLimit)
		return
	}
}
