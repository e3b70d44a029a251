package cwlogstest

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// PutLogEvents limits, from
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
// and https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html.
const (
	eventOverhead  = 26                               // bytes added to each message when sizing a batch
	maxBatchBytes  = 1_048_576                        // sum of message bytes + eventOverhead
	maxBatchEvents = 10_000                           // events per batch
	maxEventBytes  = maxBatchBytes - eventOverhead    // bytes of one message
	maxBatchSpan   = int64(24 * time.Hour / 1e6)      // ms between first and last event
	maxEventAge    = int64(14 * 24 * time.Hour / 1e6) // ms: older events are too old
	maxEventAhead  = int64(2 * time.Hour / 1e6)       // ms: later events are too new
	dayMillis      = int64(24 * time.Hour / 1e6)
)

// putRequest is a decoded PutLogEvents body. Messages are offsets into the
// body, which the scanner unescapes in place.
type putRequest struct {
	group, stream string
	token         string
	events        []inEvent
	hash          uint64 // of the raw logEvents array, for DataAlreadyAccepted
	lo, hi        int    // events[lo:hi] were stored: set by store
	entity        []byte // the raw entity, if any
}

type inEvent struct {
	ts         int64
	start, end int
}

var putPool = sync.Pool{New: func() any { return new(putRequest) }}

func (s *Server) putLogEvents(w http.ResponseWriter, r *http.Request) {
	// Read the body even when a fault answers: a server that answers
	// before the client has sent it all may make the client see a broken
	// pipe instead of the answer.
	buf, aerr := readBody(r, s.maxBody)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	defer putBuf(buf)
	plan := s.faults.planPut()
	if plan.before != nil || plan.drop {
		s.wait(r, plan.latency)
		if plan.drop {
			drop(w)
		} else {
			writeError(w, plan.before)
		}
		return
	}
	req := putPool.Get().(*putRequest)
	defer func() {
		*req = putRequest{events: req.events[:0]}
		putPool.Put(req)
	}()
	if err := parsePut(buf.B, req, s.data.seqTokens); err != nil {
		writeError(w, apiErr(http.StatusBadRequest, "SerializationException", err.Error()))
		return
	}
	out, aerr := s.store(buf.B, req)
	s.wait(r, plan.latency+plan.slow)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if r.Header.Get(LogFormatHeader) == LogFormatEMF && req.lo < req.hi {
		msgs := make([][]byte, 0, req.hi-req.lo)
		for _, e := range req.events[req.lo:req.hi] {
			msgs = append(msgs, buf.B[e.start:e.end])
		}
		s.extractMetrics(req.group, req.stream, msgs)
	}
	if req.lo < req.hi && s.liveTails.open() {
		now := nowMillis()
		evs := make([]storedEvent, 0, req.hi-req.lo)
		for _, e := range req.events[req.lo:req.hi] {
			evs = append(evs, storedEvent{ts: e.ts, ingest: now, msg: string(buf.B[e.start:e.end])})
		}
		s.liveTails.publish(req.group, req.stream, evs)
	}
	if req.entity != nil {
		if t := s.checkEntity(req.group, req.stream, req.entity); t != "" {
			out = withRejectedEntity(out, t)
		}
	}
	if plan.dropAfter {
		drop(w)
		return
	}
	if int64(len(out)) < plan.answer {
		writePadded(w, out, plan.answer)
		return
	}
	writeRaw(w, out)
}

// checkBatch applies the service's batch validation.
func checkBatch(req *putRequest) *apiError {
	evs := req.events
	if len(evs) == 0 {
		return validationError("[]", "logEvents", "Member must have length greater than or equal to 1")
	}
	if len(evs) > maxBatchEvents {
		return validationError("[...]", "logEvents", "Member must have length less than or equal to 10000")
	}
	size := 0
	for i, e := range evs {
		n := e.end - e.start
		if n == 0 {
			return validationError("", fmt.Sprintf("logEvents.%d.member.message", i+1), "Member must have length greater than or equal to 1")
		}
		if n > maxEventBytes {
			return invalidParam(fmt.Sprintf("Log event too large: %d bytes exceeds limit of %d", n, maxEventBytes))
		}
		size += n + eventOverhead
		if i > 0 && e.ts < evs[i-1].ts {
			return invalidParam("Log events in a single PutLogEvents request must be in chronological order.")
		}
	}
	if size > maxBatchBytes {
		return invalidParam(fmt.Sprintf("Upload too large: %d bytes exceeds limit of %d", size, maxBatchBytes))
	}
	return nil
}

// errSpan answers a batch whose valid events span more than 24 hours.
func errSpan() *apiError {
	return invalidParam("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
}

// store validates and stores one batch, and returns the answer's body. It
// allocates the messages before taking the lock, so the lock covers only
// the append.
func (s *Server) store(body []byte, req *putRequest) ([]byte, *apiError) {
	if err := checkBatch(req); err != nil {
		return nil, err
	}
	if req.group == "" {
		return nil, validationError("null", "logGroupName", "Member must not be null")
	}
	if req.stream == "" {
		return nil, validationError("null", "logStreamName", "Member must not be null")
	}
	now := nowMillis()
	evs := req.events
	// Events are in timestamp order, so the rejected ones are a prefix (too
	// old, expired) and a suffix (too new).
	tooOldEnd := 0
	for tooOldEnd < len(evs) && evs[tooOldEnd].ts < now-maxEventAge {
		tooOldEnd++
	}
	tooNewStart := len(evs)
	for tooNewStart > tooOldEnd && evs[tooNewStart-1].ts > now+maxEventAhead {
		tooNewStart--
	}
	var msgs string
	if !s.data.discard {
		msgs = string(body) // one allocation; messages are substrings
	}

	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	g := s.data.groups[req.group]
	if g == nil {
		return nil, errNoGroup
	}
	st := g.streams[req.stream]
	if st == nil {
		return nil, errNoStream
	}
	expiredEnd := 0
	if g.retention > 0 {
		for expiredEnd < len(evs) && evs[expiredEnd].ts < now-int64(g.retention)*dayMillis {
			expiredEnd++
		}
	}
	lo := max(tooOldEnd, expiredEnd)
	hi := max(lo, tooNewStart)
	// The 24-hour rule applies to the events that are not rejected.
	if lo < hi && evs[hi-1].ts-evs[lo].ts > maxBatchSpan {
		return nil, errSpan()
	}
	if s.data.seqTokens {
		expected := ""
		if st.seq > 0 {
			expected = seqToken(st.seq)
		}
		if req.token != expected {
			if req.token != "" && req.token == st.prevToken && req.hash == st.prevHash {
				e := apiErr(http.StatusBadRequest, "DataAlreadyAcceptedException",
					"The given batch of log events has already been accepted. The next batch can be sent with sequenceToken: "+expected)
				e.expected = expected
				return nil, e
			}
			e := apiErr(http.StatusBadRequest, "InvalidSequenceTokenException",
				"The given sequenceToken is invalid. The next expected sequenceToken is: "+cmpNull(expected))
			e.expected = expected
			return nil, e
		}
		st.prevToken, st.prevHash = req.token, req.hash
	}
	if lo < hi {
		if st.count == 0 || evs[lo].ts < st.first {
			st.first = evs[lo].ts
		}
		if st.count == 0 || evs[hi-1].ts > st.last {
			st.last = evs[hi-1].ts
		}
		if len(st.events) > 0 && evs[lo].ts < st.events[len(st.events)-1].ts {
			st.sorted = false
		}
		st.lastIngest = now
		st.count += int64(hi - lo)
		s.events.Add(int64(hi - lo))
		for _, e := range evs[lo:hi] {
			st.bytes += int64(e.end - e.start)
		}
		if !s.data.discard {
			st.events = growEvents(st.events, hi-lo)
			for _, e := range evs[lo:hi] {
				st.events = append(st.events, storedEvent{ts: e.ts, ingest: now, msg: msgs[e.start:e.end]})
			}
		}
	}
	st.seq++
	req.lo, req.hi = lo, hi
	return putAnswer(seqToken(st.seq), tooNewStart, tooOldEnd, expiredEnd, len(evs)), nil
}

func cmpNull(tok string) string {
	if tok == "" {
		return "null"
	}
	return tok
}

func growEvents(evs []storedEvent, n int) []storedEvent {
	if cap(evs)-len(evs) >= n {
		return evs
	}
	return append(make([]storedEvent, 0, max(2*cap(evs), len(evs)+n)), evs...)
}

// seqToken renders the n-th sequence token of a stream in the service's
// 56-digit style.
func seqToken(n uint64) string {
	return fmt.Sprintf("4959%052d", n)
}

// putAnswer encodes the PutLogEvents answer by hand; it is on the hot path.
func putAnswer(token string, tooNewStart, tooOldEnd, expiredEnd, n int) []byte {
	b := make([]byte, 0, 192)
	b = append(b, `{"nextSequenceToken":"`...)
	b = append(b, token...)
	b = append(b, '"')
	if tooNewStart < n || tooOldEnd > 0 || expiredEnd > 0 {
		b = append(b, `,"rejectedLogEventsInfo":{`...)
		sep := ""
		if tooNewStart < n {
			b = append(b, `"tooNewLogEventStartIndex":`...)
			b = strconv.AppendInt(b, int64(tooNewStart), 10)
			sep = ","
		}
		if tooOldEnd > 0 {
			b = append(b, sep+`"tooOldLogEventEndIndex":`...)
			b = strconv.AppendInt(b, int64(tooOldEnd), 10)
			sep = ","
		}
		if expiredEnd > 0 {
			b = append(b, sep+`"expiredLogEventEndIndex":`...)
			b = strconv.AppendInt(b, int64(expiredEnd), 10)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// hashBytes hashes the raw logEvents array for DataAlreadyAccepted.
func hashBytes(b []byte) uint64 {
	h := fnv.New64a()
	_, _ = h.Write(b)
	return h.Sum64()
}
