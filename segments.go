package cwzap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The spool's files (WithSpool). A spool is a directory holding a lock
// file and segment files named by a rising index ("000000000007.spool"),
// written one after the other. A segment is a run of records, each a
// little-endian uint32 body length, the CRC-32C (Castagnoli) of the body,
// and the body, whose first byte is its kind:
//
//	header   kind, generation u64            first in every segment: the process that wrote it
//	event    kind, batch seq u64, time i64, size u32, the event object
//	settled  kind, batch seq u64, watermark u64 (every batch up to it is settled)
//
// Batch seqs count from 1 in each process, so a mark applies to the
// events of its own generation only.

const (
	_recHeader  = 1
	_recEvent   = 2
	_recSettled = 3

	_recPrefix    = 8             // length and CRC
	_eventFixed   = 1 + 8 + 8 + 4 // an event body without its object
	_spoolSyncGap = time.Second   // the longest a written record waits for fsync while records keep coming
	_segmentMax   = 4 << 20       // a segment is closed at this size, unless the limit asks for smaller ones
	_spoolExt     = ".spool"
	_spoolLock    = "LOCK"
)

var _castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendEventRecord appends the event record of batch seq. The CRC is
// computed over the body where it lands: a stack array handed to crc32
// would escape, and cost an allocation an event.
func appendEventRecord(b []byte, seq uint64, ts int64, size int, obj []byte) []byte {
	at := len(b)
	b = binary.LittleEndian.AppendUint64(b, 0) // length and CRC, filled below
	b = append(b, _recEvent)
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = binary.LittleEndian.AppendUint64(b, uint64(ts))
	b = binary.LittleEndian.AppendUint32(b, uint32(size))
	b = append(b, obj...)
	return sealRecord(b, at)
}

// sealRecord fills in the length and CRC of the record starting at at,
// whose body runs to the end of b.
func sealRecord(b []byte, at int) []byte {
	body := b[at+_recPrefix:]
	binary.LittleEndian.PutUint32(b[at:], uint32(len(body)))
	binary.LittleEndian.PutUint32(b[at+4:], crc32.Checksum(body, _castagnoli))
	return b
}

func appendSettledRecord(b []byte, seq, mark uint64) []byte {
	at := len(b)
	b = binary.LittleEndian.AppendUint64(b, 0)
	b = append(b, _recSettled)
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = binary.LittleEndian.AppendUint64(b, mark)
	return sealRecord(b, at)
}

func appendHeaderRecord(b []byte, gen uint64) []byte {
	at := len(b)
	b = binary.LittleEndian.AppendUint64(b, 0)
	b = append(b, _recHeader)
	b = binary.LittleEndian.AppendUint64(b, gen)
	return sealRecord(b, at)
}

const _settledRecord = _recPrefix + 17

// A spooled event, as read back.
type spooledEvent struct {
	seq  uint64
	ts   int64
	size int
	obj  []byte // in the segment's bytes
}

// A segmentReader reads the records of one segment's bytes. A record whose
// length runs past the end, or whose CRC does not match, ends the segment:
// it and what follows are counted as damaged (a write cut short by a
// crash, or a corrupt file).
type segmentReader struct {
	data    []byte
	gen     uint64
	damaged int // bytes skipped at the end
}

// next returns the next record's body, or false at the end.
func (r *segmentReader) next() ([]byte, bool) {
	for len(r.data) > 0 {
		if len(r.data) < _recPrefix {
			return r.bad()
		}
		n := int(binary.LittleEndian.Uint32(r.data))
		sum := binary.LittleEndian.Uint32(r.data[4:])
		if n == 0 || n > len(r.data)-_recPrefix {
			return r.bad()
		}
		body := r.data[_recPrefix : _recPrefix+n]
		if crc32.Checksum(body, _castagnoli) != sum {
			return r.bad()
		}
		r.data = r.data[_recPrefix+n:]
		if body[0] == _recHeader && len(body) == 9 {
			r.gen = binary.LittleEndian.Uint64(body[1:])
			continue
		}
		return body, true
	}
	return nil, false
}

func (r *segmentReader) bad() ([]byte, bool) {
	r.damaged += len(r.data)
	r.data = nil
	return nil, false
}

// parseEvent reads an event body; ok is false for other kinds.
func parseEvent(body []byte) (spooledEvent, bool) {
	if body[0] != _recEvent || len(body) < _eventFixed {
		return spooledEvent{}, false
	}
	return spooledEvent{
		seq:  binary.LittleEndian.Uint64(body[1:]),
		ts:   int64(binary.LittleEndian.Uint64(body[9:])),
		size: int(binary.LittleEndian.Uint32(body[17:])),
		obj:  body[_eventFixed:],
	}, true
}

// parseSettled reads a settled body; ok is false for other kinds.
func parseSettled(body []byte) (seq, mark uint64, ok bool) {
	if body[0] != _recSettled || len(body) != 17 {
		return 0, 0, false
	}
	return binary.LittleEndian.Uint64(body[1:]), binary.LittleEndian.Uint64(body[9:]), true
}

// settledSet is what the segments an earlier process left say is settled.
type settledSet struct {
	mark map[uint64]uint64              // generation: every batch up to it is settled
	seqs map[uint64]map[uint64]struct{} // generation: batches settled above the mark
}

func (s *settledSet) add(gen, seq, mark uint64) {
	s.mark[gen] = max(s.mark[gen], mark)
	if s.seqs[gen] == nil {
		s.seqs[gen] = map[uint64]struct{}{}
	}
	s.seqs[gen][seq] = struct{}{}
}

func (s *settledSet) has(gen, seq uint64) bool {
	if seq <= s.mark[gen] {
		return true
	}
	_, ok := s.seqs[gen][seq]
	return ok
}

// readSettled reads the settle marks of the named segments, and counts
// their damaged records.
func readSettled(dir string, names []string) (settledSet, int, int, error) {
	set := settledSet{mark: map[uint64]uint64{}, seqs: map[uint64]map[uint64]struct{}{}}
	var skipped, skippedBytes int
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return set, 0, 0, fmt.Errorf("cwzap: spool: %w", err)
		}
		r := segmentReader{data: data}
		for {
			body, ok := r.next()
			if !ok {
				break
			}
			if seq, mark, ok := parseSettled(body); ok {
				set.add(r.gen, seq, mark)
			}
		}
		if r.damaged > 0 {
			skipped++
			skippedBytes += r.damaged
		}
	}
	return set, skipped, skippedBytes, nil
}

// listSegments returns the segment files in dir, oldest first, and the
// index after the last.
func listSegments(dir string) ([]string, int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("cwzap: spool: %w", err)
	}
	var names []string
	next := 1
	for _, e := range ents {
		n, ok := segmentIndex(e.Name())
		if !ok {
			continue
		}
		names = append(names, e.Name())
		next = max(next, n+1)
	}
	slices.SortFunc(names, func(a, b string) int {
		x, _ := segmentIndex(a)
		y, _ := segmentIndex(b)
		return x - y
	})
	return names, next, nil
}

func segmentIndex(name string) (int, bool) {
	n, ok := strings.CutSuffix(name, _spoolExt)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(n)
	return i, err == nil && i > 0
}

// A segWriter writes the records of one process to its segments: it
// appends to the open one, closes it when full, and removes the oldest
// while every batch with events in them is settled. It holds no lock: the
// spool's writer goroutine owns it, and Close once that has ended.
type segWriter struct {
	dir      string
	segMax   int64
	gen      uint64
	segs     []segment // oldest first; the last one is open
	f        *os.File
	next     int // index of the next segment file
	lastSync time.Time
	err      error // the first error, reported once
	onError  func(error)
}

// A segment is one file of the spool.
type segment struct {
	name  string
	bytes int64
	top   uint64 // the highest batch seq of its events
}

// put appends buf, whose events' highest batch seq is top, to the open
// segment: one write(2), nothing else, so that a caller may do it.
func (w *segWriter) put(buf []byte, top uint64) {
	if w.f == nil {
		return // a write failed: crash safety is lost, delivery goes on
	}
	if _, err := w.f.Write(buf); err != nil {
		w.fail(err)
		return
	}
	cur := &w.segs[len(w.segs)-1]
	cur.bytes += int64(len(buf))
	cur.top = max(cur.top, top)
}

// due reports whether chores has work: a full segment, an fsync due, or a
// settled segment to remove (every batch up to mark is settled).
func (w *segWriter) due(mark uint64) bool {
	if w.f == nil || w.err != nil { // after an error, chores wait for the next write
		return false
	}
	return w.segs[len(w.segs)-1].bytes >= w.segMax || time.Since(w.lastSync) >= _spoolSyncGap ||
		len(w.segs) > 1 && w.segs[0].top <= mark
}

// chores closes the open segment if full and starts the next, fsyncs it if
// the last fsync is a second old, and removes the settled segments. It
// returns the change in the spool's size: a new segment's header, less
// the segments removed.
func (w *segWriter) chores(mark uint64) int64 {
	if w.f == nil {
		return 0
	}
	var delta int64
	switch {
	case w.segs[len(w.segs)-1].bytes >= w.segMax:
		w.fail(w.f.Sync())
		w.fail(w.f.Close())
		w.f = nil
		n, err := w.open()
		w.fail(err)
		delta += n
	case time.Since(w.lastSync) >= _spoolSyncGap:
		w.fail(w.f.Sync())
		w.lastSync = time.Now()
	}
	return delta - w.trim(mark)
}

// trim removes the oldest segments but the open one while every batch
// with events in them is settled, and returns the bytes freed.
func (w *segWriter) trim(mark uint64) int64 {
	var freed int64
	k := 0
	for k < len(w.segs)-1 && w.segs[k].top <= mark {
		if err := os.Remove(filepath.Join(w.dir, w.segs[k].name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			w.fail(err)
			break
		}
		freed += w.segs[k].bytes
		k++
	}
	w.segs = append(w.segs[:0], w.segs[k:]...)
	return freed
}

// open starts the next segment file with its header, and syncs the
// directory so that the file's name outlives a power loss. It returns the
// header's size.
func (w *segWriter) open() (int64, error) {
	name := fmt.Sprintf("%012d%s", w.next, _spoolExt)
	f, err := os.OpenFile(filepath.Join(w.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
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
	w.lastSync = time.Now()
	return int64(len(rec)), syncDir(w.dir)
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
		w.fail(os.Remove(filepath.Join(w.dir, sg.name)))
	}
	w.segs = nil
	w.fail(syncDir(w.dir))
}

// remove removes the named segments of an earlier process.
func (w *segWriter) remove(names []string) {
	for _, n := range names {
		if err := os.Remove(filepath.Join(w.dir, n)); !errors.Is(err, fs.ErrNotExist) {
			w.fail(err)
		}
	}
	w.fail(syncDir(w.dir))
}

// fail reports the first error the spool meets; later ones are alike.
func (w *segWriter) fail(err error) {
	if err == nil || w.err != nil {
		return
	}
	w.err = err
	w.onError(fmt.Errorf("cwzap: spool %s: %w; events are still delivered, but a crash may lose them", w.dir, err))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cwzap: spool: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cwzap: spool: %w", err)
	}
	return nil
}
