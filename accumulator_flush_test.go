package cwzap_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cwzap/cwzap"
)

// The age flush: a batch is put, without a Sync, once its oldest event is
// WithFlushInterval old, give or take a tenth, drawn for each batch so
// that a fleet started together does not put in lockstep.
func TestAgeFlushSealsABatchAtItsInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval, batches = 2 * time.Second, 20
		srv := memoryServer(t)
		puts, client := newPutTimes(srv)
		f := newFixtureOn(t, srv, cwzap.WithClient(client), cwzap.WithFlushInterval(interval))
		f.createStream(t)
		ages := map[time.Duration]bool{}
		for i := range batches {
			first := time.Now()
			f.syncer.Write(fmt.Appendf(nil, "first %d", i))
			// A later event joins the open batch and leaves its age alone.
			time.Sleep(interval / 2)
			f.syncer.Write(fmt.Appendf(nil, "second %d", i))
			age := (<-puts.sent).Sub(first)
			if age < interval-interval/10 || age > interval+interval/10 {
				t.Errorf("batch %d put %v after its first event, want %v ± a tenth", i, age, interval)
			}
			ages[age] = true
		}
		if len(ages) == 1 {
			t.Errorf("every batch was put at the same age, %v: no jitter", ages)
		}
		synctest.Wait() // the last put answered
		if st := f.syncer.Stats(); st.Batches != batches || st.Delivered != 2*batches {
			t.Errorf("stats = %+v, want %d batches of two events", st, batches)
		}
	})
}
