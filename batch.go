package cwzap

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync/atomic"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// A batch holds the events of one PutLogEvents call. Each event is stored
// in the arena already escaped as the JSON object
// {"timestamp":N,"message":"…"}, after a comma, so that the escaping runs
// on the logging goroutines, in parallel, and the arena is the event list
// of the request body: sending reads it in one piece (see bodyReader) with
// no copy of the events.
//
// The arena has a fixed capacity, set when the batch is made: the buffer
// limit counts whole arenas, so the memory a Syncer holds is what it says.
type batch struct {
	seq   uint64 // from 1, in the order batches are opened; the ledger settles by it
	after uint64 // a batch holding an earlier part of a split entry: put this one only once that one is settled; 0 for none
	// Where it goes, set when it is sealed: tgt, and tgt2 for the events of
	// the next day when it spans midnight.
	tgt, tgt2 *target
	arena     []byte
	events    []event
	size      int   // as the service counts it: message bytes + EventOverhead each
	minTS     int64 // ms
	maxTS     int64 // ms
	sorted    bool  // events are in time order

	// The dispatcher's, under its mu.
	cancel    context.CancelCauseFunc // ends the batch's put while a sender has it
	abandoned bool                    // a deadline gave up on the batch

	// claim is taken by whichever settles the batch, its put or a
	// deadline's handover; the other leaves its events alone. refs counts
	// the holders of the arena (the ledger until it settles, a put while
	// it runs): the last one returns the batch to the budget.
	claim   atomic.Bool
	refs    atomic.Int32
	results []spanResult // what the put made of each span; the sender's until it settles

	// The ledger's, under its mu.
	done    bool // settled
	claimed bool // a Sync whose wait ran out counted its events as late
}

// event locates one event object in the arena.
type event struct {
	ts  int64  // ms since the epoch
	off uint32 // start of its JSON object in the arena, after its comma
	end uint32
}

func newBatch(arenaCap, maxEvents int) *batch {
	return &batch{
		arena:  make([]byte, 0, arenaCap),
		events: make([]event, 0, maxEvents),
		sorted: true,
	}
}

func (b *batch) reset() {
	b.arena = b.arena[:0]
	b.events = b.events[:0]
	b.results = b.results[:0]
	b.seq, b.after, b.tgt, b.tgt2 = 0, 0, nil, nil
	b.size, b.minTS, b.maxTS, b.sorted = 0, 0, 0, true
	b.cancel, b.abandoned, b.done, b.claimed = nil, false, false, false
	b.claim.Store(false)
}

func (b *batch) len() int { return len(b.events) }

// fits reports whether an event of size message bytes at ts, encoded as n
// bytes (and its comma), may join b without breaking a service limit or
// growing b.
func (b *batch) fits(ts int64, size, n, maxEvents, maxBytes int) bool {
	if len(b.arena)+1+n > cap(b.arena) || len(b.events) == cap(b.events) {
		return false
	}
	return b.fitsLimits(ts, size, maxEvents, maxBytes)
}

// fitsLimits reports whether an event of size message bytes at ts may join
// b without breaking a service limit: count, bytes, or the 24-hour span.
func (b *batch) fitsLimits(ts int64, size, maxEvents, maxBytes int) bool {
	if len(b.events) == 0 {
		return true
	}
	if len(b.events) >= maxEvents || b.size+size+EventOverhead > maxBytes {
		return false
	}
	return max(b.maxTS, ts)-min(b.minTS, ts) <= _maxBatchSpan.Milliseconds()
}

// add appends one encoded event object (see appendEventObject) after a
// comma, so that runs of the arena are runs of the request body's event
// list (see bodyReader). The event's index entry excludes the comma.
func (b *batch) add(ts int64, size int, obj []byte) {
	if len(b.events) == 0 {
		b.minTS, b.maxTS = ts, ts
	} else {
		if ts < b.maxTS {
			b.sorted = false
		}
		b.minTS, b.maxTS = min(b.minTS, ts), max(b.maxTS, ts)
	}
	b.arena = append(b.arena, ',')
	off := len(b.arena)
	b.arena = append(b.arena, obj...)
	b.events = append(b.events, event{ts: ts, off: uint32(off), end: uint32(len(b.arena))})
	b.size += size + EventOverhead
}

// sort puts the events in time order, keeping the order of equal times as
// the service requires. Only the index moves; the arena stays as it is.
func (b *batch) sort() {
	if b.sorted {
		return
	}
	slices.SortStableFunc(b.events, func(x, y event) int {
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
	for _, e := range b.events[lo:hi] {
		r.size += int64(e.end - e.off)
	}
	return r
}

// nextPiece makes cur the piece after it: the next run of events that are
// in arena order, with the comma before it but for the first, then the
// trailer. It reports false at the end of the body.
func (r *bodyReader) nextPiece() bool {
	events := r.b.events
	switch {
	case r.next < r.hi:
		i := r.next
		start, end := events[i].off, events[i].end
		if i > r.lo {
			start-- // its comma
		}
		for i++; i < r.hi && events[i].off == end+1; i++ {
			end = events[i].end
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

// message returns the message of event e, unescaped.
func (b *batch) message(e event) string {
	return string(appendMessage(nil, b.arena[e.off:e.end]))
}

// _messageKey precedes the message in an event object.
var _messageKey = []byte(`,"message":"`)

// appendMessage appends the message of an event object (appendEventObject)
// to dst, unescaped: the inverse of appendEscaped, for the fallback writer
// and for clients other than the SDK's.
func appendMessage(dst, obj []byte) []byte {
	i := bytes.Index(obj, _messageKey)
	if i < 0 || !bytes.HasSuffix(obj, []byte(`"}`)) {
		return append(dst, obj...) // not ours; keep it whole
	}
	p := obj[i+len(_messageKey) : len(obj)-2]
	for len(p) > 0 {
		j := bytes.IndexByte(p, '\\')
		if j < 0 || j+1 == len(p) {
			return append(dst, p...)
		}
		dst = append(dst, p[:j]...)
		switch c := p[j+1]; c {
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'u':
			// appendEscaped writes \u00XX only, for control bytes.
			if j+6 <= len(p) {
				if v, err := strconv.ParseUint(string(p[j+2:j+6]), 16, 8); err == nil {
					dst = append(dst, byte(v))
					p = p[j+6:]
					continue
				}
			}
			dst = append(dst, p[j:j+2]...)
		default: // '"', '\\'
			dst = append(dst, c)
		}
		p = p[j+2:]
	}
	return dst
}

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
		for _, e := range s.b.events[s.lo:s.hi] {
			in.LogEvents = append(in.LogEvents, types.InputLogEvent{
				Message:   aws.String(s.b.message(e)),
				Timestamp: aws.Int64(e.ts),
			})
		}
		return st.client.PutLogEvents(ctx, in, noSDKRetries)
	}
	// The SDK serialises this stand-in event (it must validate), then
	// rawBody swaps in the batch's own body.
	in.LogEvents = _standIn
	header := s.tgt.header
	if token != nil {
		header = tokenHeader(st.group, st.name, *token)
	}
	ctx = context.WithValue(ctx, rawBodyKey{}, newBodyReader(header, s.b, s.lo, s.hi))
	return st.client.PutLogEvents(ctx, in, noSDKRetries, withRawBody)
}

var _standIn = []types.InputLogEvent{{Message: aws.String("-"), Timestamp: aws.Int64(0)}}

// noSDKRetries leaves retries to the put machine, so that each is counted
// and bounded by the Syncer's deadline rather than multiplied by the SDK's.
func noSDKRetries(o *cloudwatchlogs.Options) { o.RetryMaxAttempts = 1 }

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

// appendEventObject appends {"timestamp":ts,"message":"p"} to dst, with p
// escaped, and returns it with the message's UTF-8 size. Each run of
// invalid UTF-8 is replaced with U+FFFD, since the service counts and
// stores UTF-8.
func appendEventObject(dst []byte, ts int64, p []byte) ([]byte, int) {
	// One measuring pass serves both the UTF-8 check and the escaping.
	extra, high := escapeCost(p)
	if high >= utf8.RuneSelf && !utf8.Valid(p) {
		p = bytes.ToValidUTF8(p, []byte("\ufffd"))
		extra, high = escapeCost(p)
	}
	dst = append(dst, `{"timestamp":`...)
	dst = strconv.AppendInt(dst, ts, 10)
	dst = append(dst, `,"message":"`...)
	dst, size := appendEscapedCost(dst, p, extra, high)
	return append(dst, `"}`...), size
}
