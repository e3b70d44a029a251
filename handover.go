//go:build !race

package cwzap

import "time"

// _handoverPerEvent is the cost of writing one event to the fallback writer
// until the Syncer has measured it (Syncer.fbCost): a generous figure for
// an in-memory writer, about 0.3 µs on a 2-core machine.
const _handoverPerEvent = 500 * time.Nanosecond
