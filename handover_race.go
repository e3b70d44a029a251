//go:build race

package cwzap

import "time"

// _handoverPerEvent is the cost of writing one event to the fallback writer
// at the least: the race detector makes it about ten times what it is in
// a normal build (handover.go).
const _handoverPerEvent = 6 * time.Microsecond
