package cwzap

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// A batch holds the events of one PutLogEvents call in an arena: the
// request body itself, written as the events arrive. Each event is stored
// already escaped as the JSON object {"timestamp":N,"message":"…"}, so a
// batch in time order is sent without a copy, and the escaping runs on the
// logging goroutines rather than on the sender.
//
// arena: header, event 0, ',', event 1, … ; trailer appended at send time.
type batch struct {
	seq    uint64
	arena  []byte
	events []event
	size   int   // as the service counts it: message bytes + EventOverhead each
	held   int   // bytes of the event objects, as the buffer limit counts them
	minTS  int64 // ms
	maxTS  int64 // ms
	sorted bool  // events were appended in time order
}

// event locates one event in the arena.
type event struct {
	ts   int64  // ms since the epoch
	off  uint32 // start of its JSON object in the arena
	end  uint32
	size uint32 // UTF-8 bytes of the message
}

func (b *batch) reset(header []byte) {
	b.arena = append(b.arena[:0], header...)
	b.events = b.events[:0]
	b.size, b.held, b.minTS, b.maxTS, b.sorted = 0, 0, 0, 0, true
}

func (b *batch) len() int { return len(b.events) }

// fits reports whether an event of size message bytes at ts may join b.
func (b *batch) fits(ts int64, size, maxEvents, maxBytes int) bool {
	if len(b.events) == 0 {
		return true
	}
	if len(b.events) >= maxEvents || b.size+size+EventOverhead > maxBytes {
		return false
	}
	return max(b.maxTS, ts)-min(b.minTS, ts) <= MaxBatchSpan.Milliseconds()
}

// add appends one encoded event object (see appendEventObject).
func (b *batch) add(ts int64, size int, obj []byte) {
	if len(b.events) == 0 {
		b.minTS, b.maxTS = ts, ts
	} else {
		b.arena = append(b.arena, ',')
		if ts < b.maxTS {
			b.sorted = false
		}
		b.minTS, b.maxTS = min(b.minTS, ts), max(b.maxTS, ts)
	}
	off := len(b.arena)
	b.arena = append(b.arena, obj...)
	b.events = append(b.events, event{ts: ts, off: uint32(off), end: uint32(len(b.arena)), size: uint32(size)})
	b.size += size + EventOverhead
	b.held += len(obj)
}

// sort puts the events in time order, keeping the order of equal times as
// the service requires. The arena is left as it is; body copies in order.
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
}

// body returns the request body for events [lo, hi), appending to scratch
// when the arena can't be used as it is.
func (b *batch) body(header []byte, token *string, lo, hi int, scratch *[]byte) []byte {
	if b.sorted && token == nil && lo == 0 && hi == len(b.events) {
		b.arena = append(b.arena[:b.events[hi-1].end], "]}"...)
		return b.arena
	}
	buf := (*scratch)[:0]
	buf = append(buf, header...)
	if token != nil {
		// The legacy token goes before the events; the header ends with '['.
		buf = buf[:len(buf)-len(`"logEvents":[`)]
		buf = append(buf, `"sequenceToken":`...)
		buf = appendJSONString(buf, *token)
		buf = append(buf, `,"logEvents":[`...)
	}
	for i, e := range b.events[lo:hi] {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, b.arena[e.off:e.end]...)
	}
	buf = append(buf, "]}"...)
	*scratch = buf
	return buf
}

// message returns the message of event e, unescaped.
func (b *batch) message(e event) string {
	return messageOf(b.arena[e.off:e.end])
}

// messageOf returns the message of an event object, unescaped. It is on
// the slow paths only (fallback, clients other than the SDK's).
func messageOf(obj []byte) string {
	var v struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(obj, &v); err != nil {
		return string(obj)
	}
	return v.Message
}

// span is a run of a batch's events, sent as one request.
type span struct {
	b       *batch
	lo, hi  int
	header  []byte
	scratch *[]byte
}

func (s *span) len() int { return s.hi - s.lo }

func (s *span) put(ctx context.Context, st *logStream, token *string) (*cloudwatchlogs.PutLogEventsOutput, error) {
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
	body := s.b.body(s.header, token, s.lo, s.hi, s.scratch)
	ctx = context.WithValue(ctx, rawBodyKey{}, body)
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
	return stack.Serialize.Add(rawBody{}, middleware.After)
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
	body, _ := ctx.Value(rawBodyKey{}).([]byte)
	req, ok := in.Request.(*smithyhttp.Request)
	if body == nil || !ok {
		return next.HandleSerialize(ctx, in)
	}
	req, err := req.SetStream(bytes.NewReader(body))
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

// appendEventObject appends {"timestamp":ts,"message":"p"} to dst, with p
// escaped, and returns it with the message's UTF-8 size. Invalid UTF-8 is
// replaced with U+FFFD, since the service counts and stores UTF-8.
func appendEventObject(dst []byte, ts int64, p []byte) ([]byte, int) {
	dst = append(dst, `{"timestamp":`...)
	dst = strconv.AppendInt(dst, ts, 10)
	dst = append(dst, `,"message":"`...)
	dst, size := appendEscaped(dst, p)
	return append(dst, `"}`...), size
}

// _extra is how many bytes escaping adds to each byte inside a JSON string:
// 0 for bytes that stand for themselves (UTF-8 continuation and lead bytes
// included), 1 for the two-byte escapes, 5 for \u00XX.
var _extra = func() (t [256]uint8) {
	for c := range 0x20 {
		t[c] = 5
	}
	for _, c := range []byte{'"', '\\', '\n', '\r', '\t', '\b', '\f'} {
		t[c] = 1
	}
	return t
}()

// _escape is the letter after the backslash of a two-byte escape.
var _escape = [256]byte{'"': '"', '\\': '\\', '\n': 'n', '\r': 'r', '\t': 't', '\b': 'b', '\f': 'f'}

// _lead is the first byte written for each byte: itself, or the backslash
// of its two-byte escape.
var _lead = func() (t [256]byte) {
	for c := range t {
		t[c] = byte(c)
		if _extra[c] == 1 {
			t[c] = '\\'
		}
	}
	return t
}()

const _hex = "0123456789abcdef"

// appendEscaped appends p as the inside of a JSON string and returns the
// UTF-8 size of the text it stands for. Invalid UTF-8 becomes U+FFFD.
//
// It measures first and then writes into room it has made, because log
// events are JSON themselves: a quote every few bytes would make an append
// per run of plain bytes the dominant cost.
func appendEscaped(dst []byte, p []byte) ([]byte, int) {
	if !utf8.Valid(p) {
		p = bytes.ToValidUTF8(p, []byte("\ufffd"))
	}
	extra := 0
	for _, c := range p {
		extra += int(_extra[c])
	}
	if extra == 0 {
		return append(dst, p...), len(p)
	}
	// Branch-free for plain bytes and two-byte escapes (a quote every few
	// bytes defeats branch prediction): write the byte or the backslash,
	// then the escape letter, which the next byte overwrites when unused.
	// One byte of slack at the end takes the last unused letter.
	n := len(dst)
	size := len(p) + extra
	dst = slices.Grow(dst, size+1)[:n+size+1]
	out := dst[n:]
	j := 0
	for _, c := range p {
		e := _extra[c]
		if e > 1 {
			out[j], out[j+1], out[j+2], out[j+3], out[j+4], out[j+5] = '\\', 'u', '0', '0', _hex[c>>4], _hex[c&0xf]
			j += 6
			continue
		}
		out[j] = _lead[c]
		out[j+1] = _escape[c]
		j += 1 + int(e)
	}
	return dst[:n+size], len(p)
}

func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst, _ = appendEscaped(dst, []byte(s))
	return append(dst, '"')
}
