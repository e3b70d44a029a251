package cwzaplambda

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/cwzap/cwzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// DefaultLogBufferBytes is the room of one invocation's log buffer when
// NewLogBuffer is given no size: 20 KiB, as Powertools for AWS Lambda.
const DefaultLogBufferBytes = 20 << 10

// _bufferedEventBytes is the size an index slot is budgeted for: the
// index holds maxBytes/_bufferedEventBytes entries at most.
const _bufferedEventBytes = 32

// A LogBuffer holds each invocation's entries at or below a level (DEBUG
// by default) instead of writing them, and delivers them only when that
// invocation goes wrong: when it logs an entry at ERROR or above (the
// held entries are written just before it), returns an error, or panics.
// Otherwise they are discarded when the invocation ends, and counted. So
// detail costs nothing unless something fails, as Powertools' log
// buffering does.
//
// Overflow: each invocation holds at most maxBytes of encoded entries
// (and maxBytes/32 entries); an entry that does not fit evicts the oldest
// held entries, and one larger than maxBytes is not held. Both are
// counted as Evicted. Held entries are encoded at once, in cwzap's JSON
// layout with the invocation's fields, into memory the buffer reuses, so
// holding an entry does not allocate; they keep their own time when
// delivered. Entries logged after their invocation ended are discarded.
//
// Give it to Wrap or WrapHandler with WithLogBuffer; it then applies to
// Logger(ctx). A LogBuffer is safe for concurrent use; under Managed
// Instances each invocation has its own room.
type LogBuffer struct {
	level    zapcore.Level
	maxBytes int
	rooms    sync.Pool // *bufferRoom

	delivered, discarded, evicted atomic.Uint64
}

// NewLogBuffer returns a LogBuffer for entries at or below level, with
// maxBytes of room per invocation (DefaultLogBufferBytes when <= 0).
func NewLogBuffer(level zapcore.Level, maxBytes int) *LogBuffer {
	if maxBytes <= 0 {
		maxBytes = DefaultLogBufferBytes
	}
	return &LogBuffer{level: level, maxBytes: maxBytes}
}

// LogBufferStats counts what a LogBuffer did with the entries it held.
type LogBufferStats struct {
	Delivered uint64 // written to the Syncer because their invocation went wrong
	Discarded uint64 // dropped when their invocation ended well, or logged after it ended
	Evicted   uint64 // pushed out by newer entries, or too large to hold
}

// Stats returns the counts so far.
func (b *LogBuffer) Stats() LogBufferStats {
	return LogBufferStats{Delivered: b.delivered.Load(), Discarded: b.discarded.Load(), Evicted: b.evicted.Load()}
}

// bufferRoom is one invocation's held entries: encoded bytes in arena,
// their places in held (from first on). gen changes when the invocation
// ends, so that a late writer with an older gen is turned away.
type bufferRoom struct {
	mu    sync.Mutex // guards everything below
	gen   uint64
	arena []byte
	held  []heldEntry
	first int
}

type heldEntry struct {
	t        time.Time
	off, end int
}

// open returns a room for a new invocation and its generation.
func (b *LogBuffer) open() (*bufferRoom, uint64) {
	r, _ := b.rooms.Get().(*bufferRoom)
	if r == nil {
		r = &bufferRoom{
			arena: make([]byte, 0, b.maxBytes),
			held:  make([]heldEntry, 0, max(1, b.maxBytes/_bufferedEventBytes)),
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r, r.gen
}

// hold keeps one encoded entry of generation gen.
func (b *LogBuffer) hold(r *bufferRoom, gen uint64, t time.Time, p []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gen != r.gen {
		b.discarded.Add(1)
		return
	}
	if len(p) > cap(r.arena) {
		b.evicted.Add(1)
		return
	}
	if len(r.arena)+len(p) > cap(r.arena) || len(r.held) == cap(r.held) {
		// Evict the oldest until p fits, then move what is left to the
		// front of both slices: no allocation.
		need := len(p)
		free := cap(r.arena) - (len(r.arena) - r.bytesBefore(r.first))
		for r.first < len(r.held) && (free < need || len(r.held)-r.first >= cap(r.held)) {
			e := r.held[r.first]
			free += e.end - e.off
			r.first++
			b.evicted.Add(1)
		}
		r.compact()
	}
	off := len(r.arena)
	r.arena = append(r.arena, p...)
	r.held = append(r.held, heldEntry{t: t, off: off, end: len(r.arena)})
}

// bytesBefore is where entry i starts in arena (its end when i is past
// the last).
func (r *bufferRoom) bytesBefore(i int) int {
	if i < len(r.held) {
		return r.held[i].off
	}
	return len(r.arena)
}

// compact moves the entries from first on to the front.
func (r *bufferRoom) compact() {
	start := r.bytesBefore(r.first)
	n := copy(r.arena, r.arena[start:])
	r.arena = r.arena[:n]
	k := copy(r.held, r.held[r.first:])
	r.held = r.held[:k]
	for i := range r.held {
		r.held[i].off -= start
		r.held[i].end -= start
	}
	r.first = 0
}

// release writes the held entries of generation gen to ws, oldest first,
// and empties the room; the invocation goes on.
func (b *LogBuffer) release(r *bufferRoom, gen uint64, ws *cwzap.Syncer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gen != r.gen {
		return
	}
	for _, e := range r.held[r.first:] {
		ws.WriteEntry(e.t, r.arena[e.off:e.end])
		b.delivered.Add(1)
	}
	r.arena, r.held, r.first = r.arena[:0], r.held[:0], 0
}

// close ends the invocation of generation gen: its held entries are
// delivered when it failed, discarded otherwise; the room goes back for
// another invocation.
func (b *LogBuffer) close(r *bufferRoom, gen uint64, failed bool, ws *cwzap.Syncer) {
	if failed {
		b.release(r, gen, ws)
	}
	r.mu.Lock()
	b.discarded.Add(uint64(len(r.held) - r.first))
	r.arena, r.held, r.first = r.arena[:0], r.held[:0], 0
	r.gen++
	r.mu.Unlock()
	b.rooms.Put(r)
}

// bufferCore is the zapcore.Core that holds an invocation's entries at or
// below the buffer's level, and releases them before an entry at ERROR or
// above.
type bufferCore struct {
	b    *LogBuffer
	r    *bufferRoom
	gen  uint64
	ws   *cwzap.Syncer
	enc  zapcore.Encoder
	next zapcore.Core // the base logger's core, for entries above the level
}

var _ zapcore.Core = (*bufferCore)(nil)

func (c *bufferCore) Enabled(l zapcore.Level) bool {
	return l <= c.b.level || c.next.Enabled(l)
}

func (c *bufferCore) With(fields []zapcore.Field) zapcore.Core {
	enc := c.enc.Clone()
	for i := range fields {
		fields[i].AddTo(enc)
	}
	clone := *c
	clone.enc, clone.next = enc, c.next.With(fields)
	return &clone
}

func (c *bufferCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if ent.Level <= c.b.level {
		return ce.AddCore(ent, c)
	}
	if ent.Level >= zapcore.ErrorLevel {
		c.b.release(c.r, c.gen, c.ws) // the detail goes before the error
	}
	return c.next.Check(ent, ce)
}

func (c *bufferCore) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	buf, err := c.enc.EncodeEntry(ent, fields)
	if err != nil {
		return err
	}
	c.b.hold(c.r, c.gen, ent.Time, buf.Bytes())
	buf.Free()
	return nil
}

func (c *bufferCore) Sync() error { return c.next.Sync() }

// logger returns base with its entries at or below the level held in
// room r of generation gen.
func (b *LogBuffer) logger(base *zap.Logger, ws *cwzap.Syncer, r *bufferRoom, gen uint64) *zap.Logger {
	return base.WithOptions(zap.WrapCore(func(next zapcore.Core) zapcore.Core {
		return &bufferCore{b: b, r: r, gen: gen, ws: ws, enc: cwzap.NewEncoder(cwzap.EncoderConfig{}), next: next}
	}))
}
