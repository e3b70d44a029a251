package cwzap

import (
	"errors"
	"fmt"
)

// A reporter is the one way background errors reach the error handler
// (WithErrorHandler). Whoever meets an error hands it over and goes on:
// report never waits and never calls the handler; a goroutine of the
// reporter's own, started when reports wait and ended when none do, calls
// it with no lock held. So a handler that logs through the same logger, or
// one that is slow or blocked, holds no caller and no put.
//
// It coalesces by cause (what went wrong, and for some kinds on which
// stream). The first report of a cause opens an episode and goes to the
// handler at once; the reports of the same cause that follow are added up,
// and their sum goes to the handler as one report when the episode ends (a
// put to the stream succeeds again, the buffer has room again) or at the
// end of work (each Sync, Close or purge ends every episode). A deadline's
// report is its own: one per deadline. Memory is bounded: at most
// _maxCauses causes are kept apart (beyond, a kind's reports share one),
// and at most _maxPending reports of a cause wait for a slow handler
// (beyond, they are added up).
//
// Its lock ranks last: anyone may report, holding anything.
type reporter struct {
	handler func(error)

	mu      rankedMutex
	causes  map[cause]*tally // causes with an episode open or reports waiting
	queue   []cause          // causes whose reports wait for the handler, in order
	running bool             // the delivering goroutine runs
	idleCh  chan struct{}    // closed when the goroutine ends; nil when nobody waits
}

// reportKind is what went wrong.
type reportKind uint8

const (
	reportFailed   reportKind = iota // a batch failed for good; by stream; ends when a put to it succeeds
	reportRejected                   // the service refused events; by stream
	reportLate                       // a deadline handed events to the fallback writer; one report each
	reportOverflow                   // the buffer was full; ends when it has room
	reportStuck                      // the fallback writer took nothing in time
	reportSpool                      // the spool lost crash safety
	reportSetup                      // a setting the service or the encoder refused: retention, entity, metrics
)

// episodic reports whether the reports after the first of a kind are
// added up until its episode ends.
func (k reportKind) episodic() bool { return k != reportLate }

// A cause is what reports are added up by.
type cause struct {
	kind   reportKind
	stream string // group/stream for the kinds of one stream, else ""
}

// A tally is what one cause has to say.
type tally struct {
	pending []error       // reports waiting for the handler, oldest first
	open    bool          // an episode is open: reports are added up below
	sum     DeliveryError // the DeliveryErrors added up
	others  int           // other errors added up
	lastErr error         // the last of those
	queued  bool          // in the reporter's queue
}

const (
	_maxCauses  = 256 // causes kept apart
	_maxPending = 4   // reports of one cause waiting for the handler
)

func newReporter(handler func(error)) *reporter {
	if handler == nil {
		handler = defaultErrorHandler
	}
	return &reporter{handler: handler, mu: rankedMutex{rank: rankReporter}, causes: make(map[cause]*tally)}
}

// report hands err over for the handler. stream names the stream for the
// kinds of one stream, and is "" for the others.
func (r *reporter) report(k reportKind, stream string, err error) {
	if err == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c := cause{k, stream}
	t := r.causes[c]
	if t == nil && len(r.causes) >= _maxCauses {
		c.stream = "*"
		t = r.causes[c]
	}
	if t == nil {
		t = &tally{}
		r.causes[c] = t
	}
	if t.open {
		t.add(err)
		return
	}
	t.push(err)
	t.open = k.episodic()
	r.queueLocked(c, t)
}

// push makes err wait for the handler, or, when too many wait, adds it up.
func (t *tally) push(err error) {
	if len(t.pending) < _maxPending {
		t.pending = append(t.pending, err)
		return
	}
	var de, last *DeliveryError
	if errors.As(err, &de) && errors.As(t.pending[len(t.pending)-1], &last) {
		sum := *last
		sum.add(de)
		t.pending[len(t.pending)-1] = &sum
		return
	}
	t.add(err)
}

// add adds err to the sum its episode ends with.
func (t *tally) add(err error) {
	var de *DeliveryError
	if errors.As(err, &de) {
		if t.sum.Events == 0 && t.sum.Dropped == 0 {
			t.sum.Group, t.sum.Stream = de.Group, de.Stream
		}
		t.sum.add(de)
		return
	}
	t.others++
	t.lastErr = err
}

// end ends the episode of a cause: what was added up since its first
// report goes to the handler as one report.
func (r *reporter) end(k reportKind, stream string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.causes[cause{k, stream}]; t != nil && t.open {
		r.endLocked(cause{k, stream}, t)
	}
}

// flush ends every episode: the end of work.
func (r *reporter) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c, t := range r.causes {
		r.endLocked(c, t)
	}
}

func (r *reporter) endLocked(c cause, t *tally) {
	t.open = false
	if t.sum.Events > 0 || t.sum.Dropped > 0 {
		sum := t.sum
		t.sum = DeliveryError{}
		t.pending = append(t.pending, &sum) // past _maxPending by one at most
	}
	if t.others > 0 {
		t.pending = append(t.pending, &repeatedError{err: t.lastErr, n: t.others})
		t.others, t.lastErr = 0, nil
	}
	if len(t.pending) > 0 {
		r.queueLocked(c, t)
	} else if !t.queued {
		delete(r.causes, c)
	}
}

// queueLocked queues the reports of c for the handler, and starts the
// goroutine that delivers them if it is not running.
func (r *reporter) queueLocked(c cause, t *tally) {
	if !t.queued {
		t.queued = true
		r.queue = append(r.queue, c)
	}
	if !r.running {
		r.running = true
		go r.deliver()
	}
}

// deliver calls the handler for each queued report until none is left.
func (r *reporter) deliver() {
	for {
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.running = false
			wake(&r.idleCh)
			r.mu.Unlock()
			return
		}
		c := r.queue[0]
		r.queue = r.queue[1:]
		t := r.causes[c]
		errs := t.pending
		t.pending, t.queued = nil, false
		if !t.open {
			delete(r.causes, c)
		}
		r.mu.Unlock()

		for _, err := range errs {
			outside("the error handler")
			r.handler(err)
		}
	}
}

// idle returns a channel closed once no report waits for the handler.
func (r *reporter) idle() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running {
		return _closed
	}
	if r.idleCh == nil {
		r.idleCh = make(chan struct{})
	}
	return r.idleCh
}

// repeatedError is the sum of n reports of one cause after the first.
type repeatedError struct {
	err error // the last of them
	n   int
}

func (e *repeatedError) Error() string {
	return fmt.Sprintf("%s (%s like it since the first)", e.err.Error(), plural(e.n, "report"))
}

func (e *repeatedError) Unwrap() error { return e.err }
