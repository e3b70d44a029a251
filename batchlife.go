package cwzap

import "fmt"

// The life of a sealed batch, from the accumulator's hand-off to the
// return of its memory, is one state that the dispatcher holds under its
// lock. A batch is settled exactly once, by its put or by the handover of
// a deadline, whichever the state says; its memory goes back once it is
// settled and no put reads it any more:
//
//	queued ─take─▶ flying ─put ends─▶ settling ─settled─▶ released
//	  │              │
//	deadline       deadline (its put is cancelled)
//	  ▼              ▼
//	handedOver ◀─put ends─ handedOverFlying
//	  │                      │
//	settled                settled
//	  ▼                      ▼
//	released ◀─put ends─ settledFlying
//
// A deadline that finds a batch settling, or already given up on, leaves
// it alone. lifeStep is the transition function; batchlife_test.go has its
// table.

// batchState is where a sealed batch is in its life.
type batchState uint8

const (
	batchQueued           batchState = iota // waiting for a sender
	batchFlying                             // a sender puts it
	batchSettling                           // its put ended and settles it
	batchHandedOver                         // a deadline gave up on it: the handover settles it
	batchHandedOverFlying                   // the same, while its put, cancelled, still reads it
	batchSettledFlying                      // settled by the handover; its cancelled put still reads it
	batchReleased                           // settled and read by no one: its memory is back
)

var _batchStateNames = [...]string{"queued", "flying", "settling", "handed over", "handed over, flying", "settled, flying", "released"}

func (s batchState) String() string {
	if int(s) < len(_batchStateNames) {
		return _batchStateNames[s]
	}
	return fmt.Sprintf("batchState(%d)", uint8(s))
}

// batchEvent is what happens to a batch.
type batchEvent uint8

const (
	eventTake     batchEvent = iota // a sender takes it from the queue
	eventPutEnded                   // its put returned
	eventDeadline                   // a deadline gives up on it
	eventSettled                    // its events are accounted for
)

var _batchEventNames = [...]string{"take", "put ended", "deadline", "settled"}

func (e batchEvent) String() string {
	if int(e) < len(_batchEventNames) {
		return _batchEventNames[e]
	}
	return fmt.Sprintf("batchEvent(%d)", uint8(e))
}

// batchAction is what the dispatcher does on a transition, besides moving
// the batch to its next state.
type batchAction uint8

const (
	actNone     batchAction = iota
	actSettle               // the put that ended settles the batch with its results
	actHandOver             // the deadline's handover settles it (and a put in flight is cancelled)
	actRelease              // the batch's memory goes back to the budget, its targets are released
)

// lifeStep is the transition function: from state s, after e, the next
// state and what to do. ok is false for an event the state cannot have,
// a bug in this package.
func lifeStep(s batchState, e batchEvent) (next batchState, act batchAction, ok bool) {
	switch {
	case e == eventDeadline:
		switch s {
		case batchQueued:
			return batchHandedOver, actHandOver, true
		case batchFlying:
			return batchHandedOverFlying, actHandOver, true
		case batchReleased:
			return s, actNone, false
		}
		return s, actNone, true // settling, or given up on already
	case s == batchQueued && e == eventTake:
		return batchFlying, actNone, true
	case s == batchFlying && e == eventPutEnded:
		return batchSettling, actSettle, true
	case s == batchSettling && e == eventSettled:
		return batchReleased, actRelease, true
	case s == batchHandedOver && e == eventSettled:
		return batchReleased, actRelease, true
	case s == batchHandedOverFlying && e == eventPutEnded:
		return batchHandedOver, actNone, true
	case s == batchHandedOverFlying && e == eventSettled:
		return batchSettledFlying, actNone, true
	case s == batchSettledFlying && e == eventPutEnded:
		return batchReleased, actRelease, true
	}
	return s, actNone, false
}
