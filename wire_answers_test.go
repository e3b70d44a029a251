package cwzap_test

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// An endpoint that answers a put with a gigabyte: the Syncer reads at most
// MaxAnswerBytes of it, so that memory stays flat, Sync keeps its deadline,
// and the error says what was wrong with the answer.
func TestHugeAnswersAreBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const deadline = 3 * time.Second
		f := bubbleFixture(t, cwzap.WithSyncTimeout(deadline))
		f.createStream(t)
		f.srv.SetFaults(cwlogstest.Faults{AnswerBytes: 1 << 30})
		for i := range 100 {
			f.syncer.Write(fmt.Appendf(nil, "event %d", i))
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		err := f.syncer.Sync()
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		// The answer is given up on as soon as it passes the bound: no
		// time of the bubble's passes, far from the deadline.
		if took != 0 {
			t.Errorf("Sync took %v, want no time (its deadline is %v)", took, deadline)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
			t.Errorf("Sync allocated %d MiB reading the answer, want a few at most", grew>>20)
		}
		var de *cwzap.DeliveryError
		if !errors.As(err, &de) || de.Failed != 100 || !errors.Is(err, cwzap.ErrAnswerTooLarge) {
			t.Errorf("Sync = %v; want the 100 events failed for an answer over MaxAnswerBytes", err)
		}
		if st := f.syncer.Stats(); st.Fallback != 100 || st.Retries != 0 {
			t.Errorf("Stats %+v: want the events in the fallback writer, the put not retried (the service may have stored them)", st)
		}
	})
}

// An answer just under the bound is read as usual.
func TestAnswersUnderTheBoundAreRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := bubbleFixture(t)
		f.createStream(t)
		f.srv.SetFaults(cwlogstest.Faults{AnswerBytes: cwzap.MaxAnswerBytes})
		f.syncer.Write([]byte("event"))
		f.syncOK(t)
		if st := f.syncer.Stats(); st.Delivered != 1 {
			t.Errorf("Stats %+v: want the event delivered", st)
		}
	})
}
