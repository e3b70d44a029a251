package cwzap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
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
//	routed   kind, batch seq u64, time i64, size u32, route length u16, route, the event object
//	settled  kind, batch seq u64, watermark u64 (every batch up to it is settled)
//
// A routed event is an event of a Syncer whose names take values from
// entries: the route (route.go) sends it to its stream again at replay.
//
// Batch seqs count from 1 in each process, so a mark applies to the
// events of its own generation only.

const (
	_recHeader  = 1
	_recEvent   = 2
	_recSettled = 3
	_recRouted  = 4

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
func appendEventRecord(b []byte, seq uint64, ev *event) []byte {
	at := len(b)
	b = binary.LittleEndian.AppendUint64(b, 0) // length and CRC, filled below
	kind := byte(_recEvent)
	if len(ev.route) > 0 {
		kind = _recRouted
	}
	b = append(b, kind)
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = binary.LittleEndian.AppendUint64(b, uint64(ev.ts))
	b = binary.LittleEndian.AppendUint32(b, uint32(ev.size))
	if kind == _recRouted {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(ev.route)))
		b = append(b, ev.route...)
	}
	b = append(b, ev.obj...)
	return sealRecord(b, at)
}

// eventRecordSize is what the event record of ev takes.
func eventRecordSize(ev *event) int64 {
	n := int64(_recPrefix + _eventFixed + len(ev.obj))
	if len(ev.route) > 0 {
		n += 2 + int64(len(ev.route))
	}
	return n
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
	seq   uint64
	ts    int64
	size  int
	route []byte // in the segment's bytes; nil for none
	obj   []byte // likewise
}

// A segmentReader reads the records of one segment's bytes. A record
// whose length runs past the end, whose kind or size is not one the spool
// writes, or whose CRC does not match is damaged (a write cut short by a
// crash or a full disk, a corrupt file): the reader skips to the next good
// record, so that damage costs only the records it touches, and counts
// what it skipped.
type segmentReader struct {
	data    []byte
	gen     uint64
	damaged int // bytes skipped
	lost    int // events in them: the event objects they hold, at least one a run of damage
}

// next returns the next record's body, or false at the end.
func (r *segmentReader) next() ([]byte, bool) {
	for len(r.data) > 0 {
		body, n, ok := readRecord(r.data)
		if !ok {
			r.skip()
			continue
		}
		r.data = r.data[n:]
		if body[0] == _recHeader {
			r.gen = binary.LittleEndian.Uint64(body[1:])
			continue
		}
		return body, true
	}
	return nil, false
}

// skip skips the damage at the start of data, up to the next good record.
func (r *segmentReader) skip() {
	k := 1
	for k < len(r.data) {
		if _, _, ok := readRecord(r.data[k:]); ok {
			break
		}
		k++
	}
	bad := r.data[:k]
	r.damaged += k
	r.lost += max(1, bytes.Count(bad, _eventStart))
	r.data = r.data[k:]
}

// _eventStart begins every event object, and so every event record's
// object; an object's message, escaped, never holds it.
var _eventStart = []byte(`{"timestamp":`)

// readRecord reads the record at the start of data: its body and length,
// or ok false when it is damaged. The kind and size are checked before
// the CRC, so that looking for the next good record in damaged bytes
// computes few CRCs.
func readRecord(data []byte) (body []byte, n int, ok bool) {
	if len(data) < _recPrefix+1 {
		return nil, 0, false
	}
	size := int(binary.LittleEndian.Uint32(data))
	if size == 0 || size > len(data)-_recPrefix {
		return nil, 0, false
	}
	body = data[_recPrefix : _recPrefix+size]
	switch body[0] {
	case _recHeader:
		ok = size == 9
	case _recSettled:
		ok = size == 17
	case _recEvent, _recRouted:
		_, ok = parseEvent(body)
	}
	if !ok || crc32.Checksum(body, _castagnoli) != binary.LittleEndian.Uint32(data[4:]) {
		return nil, 0, false
	}
	return body, _recPrefix + size, true
}

// parseEvent reads an event body, routed or not; ok is false for other
// kinds and for bodies whose object does not start as one.
func parseEvent(body []byte) (spooledEvent, bool) {
	if body[0] != _recEvent && body[0] != _recRouted || len(body) < _eventFixed {
		return spooledEvent{}, false
	}
	e := spooledEvent{
		seq:  binary.LittleEndian.Uint64(body[1:]),
		ts:   int64(binary.LittleEndian.Uint64(body[9:])),
		size: int(binary.LittleEndian.Uint32(body[17:])),
		obj:  body[_eventFixed:],
	}
	if body[0] == _recRouted {
		if len(e.obj) < 2 || len(e.obj) < 2+int(binary.LittleEndian.Uint16(e.obj)) {
			return spooledEvent{}, false
		}
		n := int(binary.LittleEndian.Uint16(e.obj))
		e.route, e.obj = e.obj[2:2+n], e.obj[2+n:]
	}
	return e, bytes.HasPrefix(e.obj, _eventStart)
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
// what their damaged records held.
func readSettled(fsys spoolFS, dir string, names []string) (set settledSet, lost, damaged int, err error) {
	set = settledSet{mark: map[uint64]uint64{}, seqs: map[uint64]map[uint64]struct{}{}}
	for _, n := range names {
		data, err := fsys.ReadFile(filepath.Join(dir, n))
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
		lost += r.lost
		damaged += r.damaged
	}
	return set, lost, damaged, nil
}

// listSegments returns the segment files in dir, oldest first, and the
// index after the last.
func listSegments(fsys spoolFS, dir string) ([]string, int, error) {
	ents, err := fsys.ReadDir(dir)
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
