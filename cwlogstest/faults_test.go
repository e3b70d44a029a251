package cwlogstest_test

import (
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cwzap/cwzap/cwlogstest"
)

func TestFaults(t *testing.T) {
	cases := []struct {
		name   string
		faults cwlogstest.Faults
		check  func(error) bool
		stored bool
	}{
		{"throttle", cwlogstest.Faults{Throttle: 1}, func(err error) bool {
			var e *types.ThrottlingException
			return errors.As(err, &e) && e.ErrorMessage() == "Rate exceeded" && status(err) == http.StatusBadRequest
		}, false},
		{"unavailable", cwlogstest.Faults{Unavailable: 1}, func(err error) bool {
			var e *types.ServiceUnavailableException
			return errors.As(err, &e) && status(err) == http.StatusServiceUnavailable
		}, false},
		{"internal failure", cwlogstest.Faults{InternalFailure: 1}, func(err error) bool {
			var e smithy.APIError
			return errors.As(err, &e) && e.ErrorCode() == "InternalFailure" && status(err) == http.StatusInternalServerError
		}, false},
		{"bare", cwlogstest.Faults{Bare: 1}, func(err error) bool {
			return isBare(err) && status(err) == http.StatusInternalServerError
		}, false},
		{"bare 502", cwlogstest.Faults{Bare: 1, BareStatus: http.StatusBadGateway}, func(err error) bool {
			return isBare(err) && status(err) == http.StatusBadGateway
		}, false},
		{"drop", cwlogstest.Faults{Drop: 1}, isSendError, false},
		{"drop after", cwlogstest.Faults{DropAfter: 1}, isSendError, true},
		{"zero", cwlogstest.Faults{}, func(err error) bool { return err == nil }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts, c := newServer(t)
			mustCreate(t, c, "g", "s")
			ts.SetFaults(tc.faults)
			_, err := put(c, "g", "s", ev(time.Now().UnixMilli(), "m"))
			if !tc.check(err) {
				t.Fatalf("unexpected error %T: %v", err, err)
			}
			if got := len(ts.Events("g", "s")) == 1; got != tc.stored {
				t.Fatalf("stored %v, want %v", got, tc.stored)
			}
			if ts.Calls("PutLogEvents") != 1 {
				t.Fatalf("Calls = %d", ts.Calls("PutLogEvents"))
			}
			// Other operations are not faulted.
			if _, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func status(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// isBare reports an answer that carried no error code: the SDK names the
// error UnknownError, its message too.
func isBare(err error) bool {
	var e smithy.APIError
	return errors.As(err, &e) && e.ErrorCode() == "UnknownError" && e.ErrorMessage() == "UnknownError"
}

// isSendError reports a transport failure with no answer.
func isSendError(err error) bool {
	var ae smithy.APIError
	var se *smithyhttp.RequestSendError
	return err != nil && !errors.As(err, &ae) && errors.As(err, &se)
}

// Latency and Slow delay the answer by exactly their time, in a bubble
// where that time is the test's.
func TestLatencyAndSlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const delay = 150 * time.Millisecond
		ts, c := newMemoryServer(t)
		mustCreate(t, c, "g", "s")
		for _, f := range []cwlogstest.Faults{
			{Latency: delay},
			{Slow: 1, SlowDelay: delay},
			{Throttle: 1, Latency: delay},
		} {
			ts.SetFaults(f)
			start := time.Now()
			_, err := put(c, "g", "s", ev(time.Now().UnixMilli(), "m"))
			if d := time.Since(start); d != delay {
				t.Errorf("%+v: answered after %v (err %v), want %v", f, d, err, delay)
			}
		}
	})
}

func TestOutage(t *testing.T) {
	ts, c := newServer(t)
	mustCreate(t, c, "g", "s")
	ts.SetFaults(cwlogstest.Faults{Outage: true})
	var sue *types.ServiceUnavailableException
	if _, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{}); !errors.As(err, &sue) {
		t.Fatalf("DescribeLogGroups during outage: %v", err)
	}
	if _, err := put(c, "g", "s", ev(time.Now().UnixMilli(), "m")); !errors.As(err, &sue) {
		t.Fatalf("PutLogEvents during outage: %v", err)
	}
	ts.SetFaults(cwlogstest.Faults{})
	if _, err := put(c, "g", "s", ev(time.Now().UnixMilli(), "m")); err != nil {
		t.Fatalf("after outage: %v", err)
	}
	if ts.EventCount() != 1 || ts.Calls("DescribeLogGroups") != 1 {
		t.Fatalf("EventCount %d, Calls %d", ts.EventCount(), ts.Calls("DescribeLogGroups"))
	}
}

// PutsPerSecond is a token bucket whose burst is the rate: in a bubble no
// time passes between the puts of the burst, and a pause refills exactly
// its share.
func TestRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts, c := newMemoryServer(t)
		mustCreate(t, c, "g", "s")
		ts.SetFaults(cwlogstest.Faults{PutsPerSecond: 5})
		puts := func(n int) (ok, throttled int) {
			t.Helper()
			for range n {
				_, err := put(c, "g", "s", ev(time.Now().UnixMilli(), "m"))
				var te *types.ThrottlingException
				switch {
				case err == nil:
					ok++
				case errors.As(err, &te):
					throttled++
				default:
					t.Fatal(err)
				}
			}
			return ok, throttled
		}
		if ok, throttled := puts(10); ok != 5 || throttled != 5 {
			t.Fatalf("%d accepted, %d throttled; want the burst of 5, then 5 throttled", ok, throttled)
		}
		time.Sleep(400 * time.Millisecond) // refills two tokens
		if ok, throttled := puts(3); ok != 2 || throttled != 1 {
			t.Fatalf("after 400 ms: %d accepted, %d throttled; want 2, then 1 throttled", ok, throttled)
		}
	})
}

func TestFaultSeedReproducible(t *testing.T) {
	ts, c := newServer(t)
	mustCreate(t, c, "g", "s")
	run := func() string {
		ts.SetFaults(cwlogstest.Faults{Throttle: 0.5, Seed: 42})
		var b []byte
		for range 20 {
			_, err := put(c, "g", "s", ev(time.Now().UnixMilli(), "m"))
			b = append(b, map[bool]byte{true: '.', false: 'T'}[err == nil])
		}
		return string(b)
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("same seed, different draws: %s vs %s", a, b)
	}
	if a == "...................." || a == "TTTTTTTTTTTTTTTTTTTT" {
		t.Fatalf("Throttle 0.5 drew %s", a)
	}
}

// Close ends the fault delays of the answers in flight at once.
func TestCloseDuringSlowAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts, c := newMemoryServer(t)
		mustCreate(t, c, "g", "s")
		ts.SetFaults(cwlogstest.Faults{Slow: 1, SlowDelay: time.Hour, Latency: time.Hour})
		done := make(chan error, 1)
		go func() {
			_, err := put(c, "g", "s", ev(time.Now().UnixMilli(), "m"))
			done <- err
		}()
		synctest.Wait() // the handler waits in the delay
		if ts.Calls("PutLogEvents") != 1 {
			t.Fatalf("Calls = %d, want the put in the delay", ts.Calls("PutLogEvents"))
		}
		start := time.Now()
		ts.Close()
		// http.Server.Shutdown polls for idle connections every few
		// milliseconds: the bubble's clock moves that much, not an hour.
		if d := time.Since(start); d > time.Second {
			t.Fatalf("Close took %v, want it to end the hour's delays at once", d)
		}
		select {
		case <-done: // answered or failed; either way the call returned
		case <-time.After(time.Minute):
			t.Fatal("PutLogEvents still blocked after Close")
		}
		ts.Close()
	})
}

// The SDK's own retries, with their backoff on the bubble's clock, get
// through a server that fails half the puts.
func TestClientWithRetriesRecovers(t *testing.T) {
	synctest.Test(t, testClientWithRetriesRecovers)
}

func testClientWithRetriesRecovers(t *testing.T) {
	ts, _ := newMemoryServer(t)
	c := ts.Client(func(o *cloudwatchlogs.Options) { o.RetryMaxAttempts = 10 })
	mustCreate(t, c, "g", "s")
	ts.SetFaults(cwlogstest.Faults{Unavailable: 0.5, Seed: 7})
	for range 5 {
		if _, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
			LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
			LogEvents: []types.InputLogEvent{ev(time.Now().UnixMilli(), "m")},
		}); err != nil {
			t.Fatal(err)
		}
	}
	if ts.EventCount() != 5 || ts.Calls("PutLogEvents") <= 5 {
		t.Fatalf("EventCount %d after %d calls", ts.EventCount(), ts.Calls("PutLogEvents"))
	}
}
