package cwzap_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// Retries back off, capped and exponential with full jitter: the wait
// after the nth failed attempt is half to all of 100 ms × 2ⁿ⁻¹, at most
// 5 s; the put timeout ends them. On the bubble's clock, through the SDK
// to an endpoint whose faults make every put retryable.
func TestPutRetriesBackOff(t *testing.T) {
	const putTimeout = time.Minute
	tests := []struct {
		name       string
		giveFaults cwlogstest.Faults
	}{
		{"throttled", cwlogstest.Faults{Throttle: 1}},
		{"unavailable", cwlogstest.Faults{Unavailable: 1}},
		{"connection dropped", cwlogstest.Faults{Drop: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := memoryServer(t)
				puts, client := newPutTimes(srv)
				f := newFixtureOn(t, srv, cwzap.WithClient(client), cwzap.WithPutTimeout(putTimeout),
					cwzap.WithSyncTimeout(2*putTimeout))
				f.createStream(t)
				srv.SetFaults(tt.giveFaults)
				f.syncer.Write([]byte("retried"))
				start := time.Now()
				err := f.syncer.Sync()
				if took := time.Since(start); took != putTimeout {
					t.Errorf("Sync returned after %v, want the put timeout %v", took, putTimeout)
				}

				at := puts.all()
				if len(at) < 10 {
					t.Fatalf("%d attempts in %v, want many", len(at), putTimeout)
				}
				if at[0] != start {
					t.Errorf("the first attempt came %v after Sync began, want at once", at[0].Sub(start))
				}
				for n := 1; n < len(at); n++ {
					d := min(100*time.Millisecond<<(n-1), 5*time.Second)
					if gap := at[n].Sub(at[n-1]); gap < d/2 || gap > d {
						t.Errorf("attempt %d came %v after attempt %d, want %v to %v", n+1, gap, n, d/2, d)
					}
				}
				// The wait after the last attempt is cut short by the put
				// timeout.
				if left := start.Add(putTimeout).Sub(at[len(at)-1]); left > 5*time.Second {
					t.Errorf("the last attempt came %v before the put timeout: a wait of more than the cap", left)
				}
				msg := fmt.Sprint(err)
				if want := fmt.Sprintf("PutLogEvents gave up after %d attempts over 1m0s: WithPutTimeout (1m0s) passed", len(at)); !strings.Contains(msg, want) {
					t.Errorf("Sync = %q, want it to say %q", msg, want)
				}
				if st := f.syncer.Stats(); st.Retries == 0 || st.Fallback != 1 {
					t.Errorf("stats = %+v after %d attempts, want retries and the event in the fallback", st, len(at))
				}
			})
		})
	}
}
