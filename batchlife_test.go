package cwzap

import "testing"

// TestLifeStep is the table of a batch's life: every state with every
// event, what follows and what the dispatcher does.
func TestLifeStep(t *testing.T) {
	const bad = batchState(255) // the event cannot happen in the state
	tests := []struct {
		give     batchState
		event    batchEvent
		want     batchState
		wantAct  batchAction
		wantPass bool
	}{
		{batchQueued, eventTake, batchFlying, actNone, true},
		{batchQueued, eventPutEnded, bad, actNone, false},
		{batchQueued, eventDeadline, batchHandedOver, actHandOver, true},
		{batchQueued, eventSettled, bad, actNone, false},

		{batchFlying, eventTake, bad, actNone, false},
		{batchFlying, eventPutEnded, batchSettling, actSettle, true},
		{batchFlying, eventDeadline, batchHandedOverFlying, actHandOver, true},
		{batchFlying, eventSettled, bad, actNone, false},

		{batchSettling, eventTake, bad, actNone, false},
		{batchSettling, eventPutEnded, bad, actNone, false},
		{batchSettling, eventDeadline, batchSettling, actNone, true}, // its put settles it, not late
		{batchSettling, eventSettled, batchReleased, actRelease, true},

		{batchHandedOver, eventTake, bad, actNone, false},
		{batchHandedOver, eventPutEnded, bad, actNone, false},
		{batchHandedOver, eventDeadline, batchHandedOver, actNone, true}, // given up on once
		{batchHandedOver, eventSettled, batchReleased, actRelease, true},

		{batchHandedOverFlying, eventTake, bad, actNone, false},
		{batchHandedOverFlying, eventPutEnded, batchHandedOver, actNone, true}, // its result is the handover's to ignore
		{batchHandedOverFlying, eventDeadline, batchHandedOverFlying, actNone, true},
		{batchHandedOverFlying, eventSettled, batchSettledFlying, actNone, true}, // the put still reads the arena

		{batchSettledFlying, eventTake, bad, actNone, false},
		{batchSettledFlying, eventPutEnded, batchReleased, actRelease, true},
		{batchSettledFlying, eventDeadline, batchSettledFlying, actNone, true},
		{batchSettledFlying, eventSettled, bad, actNone, false},

		{batchReleased, eventTake, bad, actNone, false},
		{batchReleased, eventPutEnded, bad, actNone, false},
		{batchReleased, eventDeadline, bad, actNone, false}, // a recycled batch is no one's to give up on
		{batchReleased, eventSettled, bad, actNone, false},
	}
	seen := map[[2]uint8]bool{}
	for _, tt := range tests {
		seen[[2]uint8{uint8(tt.give), uint8(tt.event)}] = true
		got, act, ok := lifeStep(tt.give, tt.event)
		if !tt.wantPass {
			if ok {
				t.Errorf("%v + %v = %v, %v; want it refused", tt.give, tt.event, got, act)
			}
			continue
		}
		if !ok || got != tt.want || act != tt.wantAct {
			t.Errorf("%v + %v = %v, action %d, ok %v; want %v, action %d", tt.give, tt.event, got, act, ok, tt.want, tt.wantAct)
		}
	}
	if len(seen) != len(_batchStateNames)*len(_batchEventNames) {
		t.Errorf("the table has %d of the %d pairs", len(seen), len(_batchStateNames)*len(_batchEventNames))
	}
}

// Every path through the life ends released exactly once: the put and the
// handover can end in any order, and a batch is settled once.
func TestLifeEndsReleasedOnce(t *testing.T) {
	paths := [][]batchEvent{
		{eventTake, eventPutEnded, eventSettled},
		{eventTake, eventPutEnded, eventDeadline, eventSettled},
		{eventDeadline, eventSettled},
		{eventDeadline, eventDeadline, eventSettled},
		{eventTake, eventDeadline, eventPutEnded, eventSettled},
		{eventTake, eventDeadline, eventSettled, eventPutEnded},
		{eventTake, eventDeadline, eventDeadline, eventSettled, eventDeadline, eventPutEnded},
	}
	for _, path := range paths {
		s := batchQueued
		settles, releases := 0, 0
		for _, e := range path {
			next, act, ok := lifeStep(s, e)
			if !ok {
				t.Fatalf("path %v: %v refuses %v", path, s, e)
			}
			switch act {
			case actSettle, actHandOver:
				settles++
			case actRelease:
				releases++
			}
			s = next
		}
		if s != batchReleased || settles != 1 || releases != 1 {
			t.Errorf("path %v ends %v, settled %d times, released %d times; want released, once each", path, s, settles, releases)
		}
	}
}
