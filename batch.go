package cwzap

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// A batch holds the events of one PutLogEvents call. Each event is stored
// in the arena as the request body's event object
// {"timestamp":N,"message":"…"}, after a comma, so that the escaping runs
// on the logging goroutines, in parallel, and the arena is the event list
// of the request body: sending reads it in one piece (see bodyReader) with
// no copy of the events.
//
// The accumulator fills a batch and seals it (sort); from then on it is
// read only, by its put and by a deadline's handover at once, and its life
// is the dispatcher's (batchlife.go).
type batch struct {
	seq      uint64 // from 1, in the order batches are opened; the ledger settles by it
	after    uint64 // a batch holding an earlier part of a split entry: put this one only once that one is settled; 0 for none
	route    string // the route of its events (route.go)
	maxBytes int    // the most log data it takes: WithMaxBatchBytes, or its route's share of the buffer, widened while it is open
	// Where it goes, set when it is sealed: tgt, and tgt2 for the events of
	// the next day when it spans midnight.
	tgt, tgt2 *target
	arena     []byte
	slots     []slot
	size      int   // as the service counts it: message bytes + EventOverhead each
	minTS     int64 // ms
	maxTS     int64 // ms
	sorted    bool  // slots are in time order
	metrics   int   // events that carry metrics (EMF)

	life batchState // once sealed: the dispatcher's, under its lock
}

// A slot locates one event object in the arena.
type slot struct {
	ts  int64  // ms since the epoch
	off uint32 // start of its object in the arena, after its comma; _metricsBit set when the event carries metrics
	end uint32
}

// _metricsBit marks the slot of an event carrying metrics: arenas are far
// smaller than 2 GiB.
const _metricsBit = 1 << 31

func (s slot) start() uint32 { return s.off &^ _metricsBit }

func (s slot) metrics() bool { return s.off&_metricsBit != 0 }

// object returns the event object of s.
func (b *batch) object(s slot) []byte { return b.arena[s.start():s.end] }

func newBatch(arenaCap, maxEvents int) *batch {
	return &batch{
		arena:  make([]byte, 0, arenaCap),
		slots:  make([]slot, 0, maxEvents),
		sorted: true,
	}
}

func (b *batch) reset() {
	b.arena = b.arena[:0]
	b.slots = b.slots[:0]
	b.seq, b.after, b.route, b.maxBytes, b.tgt, b.tgt2 = 0, 0, "", 0, nil, nil
	b.size, b.minTS, b.maxTS, b.sorted, b.metrics = 0, 0, 0, true, 0
	b.life = batchQueued
}

func (b *batch) len() int { return len(b.slots) }

// fits reports whether ev may join b without breaking a limit or growing
// b.
func (b *batch) fits(ev *event, maxEvents int) bool {
	if len(b.arena)+1+len(ev.obj) > cap(b.arena) || len(b.slots) == cap(b.slots) {
		return false
	}
	return b.fitsLimits(ev, maxEvents)
}

// fitsLimits reports whether ev may join b without breaking a limit:
// count, bytes (b.maxBytes), or the 24-hour span.
func (b *batch) fitsLimits(ev *event, maxEvents int) bool {
	if len(b.slots) == 0 {
		return true
	}
	if len(b.slots) >= maxEvents || b.size+ev.size+EventOverhead > b.maxBytes {
		return false
	}
	return max(b.maxTS, ev.ts)-min(b.minTS, ev.ts) <= _maxBatchSpan.Milliseconds()
}

// add appends ev's object after a comma, so that runs of the arena are
// runs of the request body's event list (see bodyReader). Its slot
// excludes the comma.
func (b *batch) add(ev *event) {
	ts := ev.ts
	if len(b.slots) == 0 {
		b.minTS, b.maxTS = ts, ts
	} else {
		if ts < b.maxTS {
			b.sorted = false
		}
		b.minTS, b.maxTS = min(b.minTS, ts), max(b.maxTS, ts)
	}
	b.arena = append(b.arena, ',')
	off := uint32(len(b.arena))
	b.arena = append(b.arena, ev.obj...)
	if ev.metrics {
		off |= _metricsBit
		b.metrics++
	}
	b.slots = append(b.slots, slot{ts: ts, off: off, end: uint32(len(b.arena))})
	b.size += ev.size + EventOverhead
}

// sort puts the events in time order, keeping the order of equal times as
// the service requires. Only the slots move; the arena stays as it is.
func (b *batch) sort() {
	if b.sorted {
		return
	}
	slices.SortStableFunc(b.slots, func(x, y slot) int {
		switch {
		case x.ts < y.ts:
			return -1
		case x.ts > y.ts:
			return 1
		}
		return 0
	})
	b.sorted = true
}

// bodyReader streams the PutLogEvents body for events [lo, hi) of a sorted
// batch: the header, the event objects joined by commas, and "]}". Since
// every object in the arena follows its comma, a run of events in arena
// order is one slice of it, commas included: the body of a batch whose
// events came in time order is three pieces (header, arena slice,
// trailer), and one sorted on sealing a few more. Signing (io.Copy into
// the hash, through WriteTo) and sending read those slices, not the events
// one by one, and nothing is copied to build the body. The SDK reads it
// twice, seeking back in between; Len tells it the length up front.
type bodyReader struct {
	header []byte
	b      *batch
	lo, hi int
	size   int64 // total length
	pos    int64
	next   int    // the first event after cur; hi+1 once cur is the trailer
	cur    []byte // what is left of the piece being read
}

var _trailer = []byte("]}")

var _ io.WriterTo = (*bodyReader)(nil)

func newBodyReader(header []byte, b *batch, lo, hi int) *bodyReader {
	r := &bodyReader{header: header, b: b, lo: lo, hi: hi, next: lo, cur: header}
	r.size = int64(len(header) + len(_trailer) + max(hi-lo-1, 0))
	for _, e := range b.slots[lo:hi] {
		r.size += int64(e.end - e.start())
	}
	return r
}

// nextPiece makes cur the piece after it: the next run of events that are
// in arena order, with the comma before it but for the first, then the
// trailer. It reports false at the end of the body.
func (r *bodyReader) nextPiece() bool {
	slots := r.b.slots
	switch {
	case r.next < r.hi:
		i := r.next
		start, end := slots[i].start(), slots[i].end
		if i > r.lo {
			start-- // its comma
		}
		for i++; i < r.hi && slots[i].start() == end+1; i++ {
			end = slots[i].end
		}
		r.cur, r.next = r.b.arena[start:end], i
	case r.next == r.hi:
		r.cur, r.next = _trailer, r.hi+1
	default:
		return false
	}
	return true
}

func (r *bodyReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(r.cur) == 0 && !r.nextPiece() {
			break
		}
		c := copy(p[n:], r.cur)
		r.cur = r.cur[c:]
		n += c
	}
	r.pos += int64(n)
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// WriteTo writes the rest of the body to w in its few large pieces, so
// that io.Copy (the SDK's payload hash, gzip) reads the arena in place.
func (r *bodyReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for len(r.cur) > 0 || r.nextPiece() {
		n, err := w.Write(r.cur)
		if n < 0 || n > len(r.cur) {
			return total, fmt.Errorf("cwzap: %T wrote %d of %d bytes", w, n, len(r.cur))
		}
		r.cur = r.cur[n:]
		r.pos += int64(n)
		total += int64(n)
		if err != nil {
			return total, err
		}
		if len(r.cur) > 0 {
			return total, io.ErrShortWrite
		}
	}
	return total, nil
}

// Seek supports what the SDK does: find the position, and rewind.
func (r *bodyReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size
	}
	if offset < 0 || offset > r.size {
		return r.pos, fmt.Errorf("cwzap: seek to %d of a %d-byte body", offset, r.size)
	}
	if offset == r.pos {
		return r.pos, nil
	}
	r.next, r.cur, r.pos = r.lo, r.header, offset
	for skip := offset; skip > 0; {
		if len(r.cur) == 0 {
			r.nextPiece()
			continue
		}
		c := min(int64(len(r.cur)), skip)
		r.cur = r.cur[c:]
		skip -= c
	}
	return offset, nil
}

// Len is the number of bytes left to read.
func (r *bodyReader) Len() int { return int(r.size - r.pos) }

// span is a run of a batch's events, sent as one request to one stream.
type span struct {
	b      *batch
	lo, hi int
	tgt    *target
}

func (s *span) len() int { return s.hi - s.lo }

func (s *span) put(ctx context.Context, st *logStream, token *string) (*cloudwatchlogs.PutLogEventsOutput, error) {
	// st is s.tgt.st: the machine runs on the span's own stream.
	in := &cloudwatchlogs.PutLogEventsInput{
		LogGroupName:  &st.group,
		LogStreamName: &st.name,
		SequenceToken: token,
	}
	if !st.fast {
		in.LogEvents = make([]types.InputLogEvent, 0, s.len())
		for _, e := range s.b.slots[s.lo:s.hi] {
			in.LogEvents = append(in.LogEvents, types.InputLogEvent{
				Message:   aws.String(string(appendMessage(nil, s.b.object(e)))),
				Timestamp: aws.Int64(e.ts),
			})
		}
		outside("PutLogEvents")
		return st.client.PutLogEvents(ctx, in, callOptions)
	}
	// The SDK serialises this stand-in event (it must validate), then
	// rawBody swaps in the batch's own body.
	in.LogEvents = _standIn
	header := s.tgt.header
	if token != nil {
		header = tokenHeader(st.group, st.name, *token)
	}
	ctx = context.WithValue(ctx, rawBodyKey{}, newBodyReader(header, s.b, s.lo, s.hi))
	outside("PutLogEvents")
	return st.client.PutLogEvents(ctx, in, callOptions, withRawBody)
}

var _standIn = []types.InputLogEvent{{Message: aws.String("-"), Timestamp: aws.Int64(0)}}

func withRawBody(o *cloudwatchlogs.Options) {
	o.APIOptions = append(o.APIOptions, addRawBody)
}

func addRawBody(stack *middleware.Stack) error {
	if err := stack.Serialize.Add(rawBody{}, middleware.After); err != nil {
		return err
	}
	return stack.Build.Add(emfHeader{}, middleware.Before) // emf_wire.go
}

// rawBodyKey carries the body in a plain context value: the SDK clears
// middleware stack values when an operation starts.
type rawBodyKey struct{}

// rawBody is a serialize-step middleware that replaces the request body
// with the one the Syncer wrote. Everything after it (content length,
// signing, endpoints, the transport) stays the SDK's.
type rawBody struct{}

var _ middleware.SerializeMiddleware = rawBody{}

func (rawBody) ID() string { return "cwzap.RawBody" }

func (rawBody) HandleSerialize(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
	body, _ := ctx.Value(rawBodyKey{}).(*bodyReader)
	req, ok := in.Request.(*smithyhttp.Request)
	if body == nil || !ok {
		return next.HandleSerialize(ctx, in)
	}
	req, err := req.SetStream(body)
	if err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, err
	}
	in.Request = req
	return next.HandleSerialize(ctx, in)
}

// requestHeader is the start of every request body for one stream.
func requestHeader(group, stream string) []byte {
	h := []byte(`{"logGroupName":`)
	h = appendJSONString(h, group)
	h = append(h, `,"logStreamName":`...)
	h = appendJSONString(h, stream)
	return append(h, `,"logEvents":[`...)
}

// tokenHeader is requestHeader with a legacy sequence token.
func tokenHeader(group, stream, token string) []byte {
	h := requestHeader(group, stream)
	h = h[:len(h)-len(`"logEvents":[`)]
	h = append(h, `"sequenceToken":`...)
	h = appendJSONString(h, token)
	return append(h, `,"logEvents":[`...)
}
