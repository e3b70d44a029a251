package cwlogstest

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Faults configures injected failures. The zero value injects none.
//
// The fractions (0 to 1) apply to PutLogEvents calls only. For each call
// the server draws one number per fraction, always in the same order,
// from a generator seeded with Seed, so a given sequence of calls sees
// the same faults. A call that draws several faults before processing
// gets the first of them in the order the fields are listed.
type Faults struct {
	// Before processing: the batch is not stored.

	// Throttle is the fraction of puts answered 400 ThrottlingException
	// "Rate exceeded".
	Throttle float64
	// Unavailable is the fraction answered 503 ServiceUnavailableException.
	Unavailable float64
	// InternalFailure is the fraction answered 500 InternalFailure.
	InternalFailure float64
	// Bare is the fraction answered with the HTTP status BareStatus and an
	// error body without a code, as a proxy or a load balancer in front of
	// the service may answer: the SDK sees the status alone.
	Bare float64
	// BareStatus is the status of a Bare answer; 500 when zero.
	BareStatus int
	// Drop is the fraction whose connection is closed without an answer.
	Drop float64

	// After processing: the batch is stored.

	// DropAfter is the fraction that is stored and whose answer is then
	// lost (the connection is closed). This is the only fault that can make
	// a retrying client deliver an event twice.
	DropAfter float64
	// Slow is the fraction of puts whose answer is delayed by SlowDelay.
	Slow float64
	// SlowDelay is the delay of a Slow answer.
	SlowDelay time.Duration
	// Latency is added to every PutLogEvents answer.
	Latency time.Duration
	// AnswerBytes, when larger than the answer of a processed put, pads
	// that answer with whitespace before its JSON (still valid JSON) to
	// this many bytes, sent as written, without holding them: the answer
	// of a broken endpoint, or of a proxy in between, which a client must
	// read only so far.
	AnswerBytes int64

	// Outage answers every call of every operation with 503
	// ServiceUnavailableException while set.
	Outage bool
	// PutsPerSecond, when positive, limits PutLogEvents to this rate (a
	// token bucket whose burst equals the rate); puts over it get
	// ThrottlingException.
	PutsPerSecond int
	// Seed seeds the generator for the fractions; zero is a valid seed.
	Seed int64
}

// SetFaults replaces the injected faults. It may be called at any time,
// also while requests are in flight; the zero Faults turns them off. Each
// call restarts the random draws from f.Seed and refills the rate limiter.
func (s *Server) SetFaults(f Faults) {
	s.faults.set(f)
}

// faultState holds the current Faults and the state of their draws.
type faultState struct {
	mu     sync.Mutex // guards all fields
	f      Faults
	rng    *rand.Rand
	tokens float64   // rate limiter bucket
	last   time.Time // last refill of tokens
}

func (fs *faultState) set(f Faults) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.f = f
	fs.rng = rand.New(rand.NewPCG(uint64(f.Seed), 0x9e3779b97f4a7c15))
	fs.tokens = float64(f.PutsPerSecond)
	fs.last = time.Now()
}

func (fs *faultState) outage() bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.f.Outage
}

// putPlan is what the faults decided for one PutLogEvents call.
type putPlan struct {
	before    *apiError     // answer this without processing
	drop      bool          // close the connection without processing
	dropAfter bool          // process, then close the connection
	latency   time.Duration // before any answer
	slow      time.Duration // before the answer of a processed put
	answer    int64         // the answer of a processed put padded to this
}

func (fs *faultState) planPut() putPlan {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.f
	p := putPlan{latency: f.Latency, answer: f.AnswerBytes}
	// Draw every fraction on every call, so that one fault's setting does
	// not shift the draws of the others.
	var d [7]float64
	for i := range d {
		d[i] = fs.rng.Float64()
	}
	switch {
	case f.PutsPerSecond > 0 && !fs.take(float64(f.PutsPerSecond)):
		p.before = errThrottled()
	case d[0] < f.Throttle:
		p.before = errThrottled()
	case d[1] < f.Unavailable:
		p.before = errUnavailable()
	case d[2] < f.InternalFailure:
		p.before = apiErr(http.StatusInternalServerError, "InternalFailure", "An internal error occurred.")
	case d[6] < f.Bare:
		status := f.BareStatus
		if status == 0 {
			status = http.StatusInternalServerError
		}
		p.before = apiErr(status, "", "")
	case d[3] < f.Drop:
		p.drop = true
	}
	p.dropAfter = d[4] < f.DropAfter
	if d[5] < f.Slow {
		p.slow = f.SlowDelay
	}
	return p
}

// take takes one token from the bucket, refilled at rate per second.
func (fs *faultState) take(rate float64) bool {
	now := time.Now()
	fs.tokens = min(rate, fs.tokens+now.Sub(fs.last).Seconds()*rate)
	fs.last = now
	if fs.tokens < 1 {
		return false
	}
	fs.tokens--
	return true
}

func errThrottled() *apiError {
	return apiErr(http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
}
