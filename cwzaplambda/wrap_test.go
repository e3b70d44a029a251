package cwzaplambda

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
	"go.uber.org/zap"
)

// These tests run Wrap in the test process: outside Lambda, and the
// Managed Instances mode with concurrent invocations. The emulator tests
// (lambda_test.go) cover the extension.

// newTestServer starts an in-memory endpoint whose every put answers after
// latency, closed when the test ends. In a testing/synctest bubble, start
// it inside: latency and every deadline are then the bubble's time.
func newTestServer(t *testing.T, latency time.Duration) *cwlogstest.Server {
	t.Helper()
	srv := cwlogstest.NewUnstartedServer()
	srv.InMemory = true
	srv.Start()
	t.Cleanup(srv.Close)
	srv.SetFaults(cwlogstest.Faults{Latency: latency})
	return srv
}

// newTestSyncer returns a Syncer that only flushes when asked, closed when
// the test ends.
func newTestSyncer(t *testing.T, srv *cwlogstest.Server, opts ...cwzap.SyncerOption) *cwzap.Syncer {
	t.Helper()
	ws, err := cwzap.NewSyncer("g", "s", append([]cwzap.SyncerOption{cwzap.WithClient(srv.Client()),
		cwzap.WithFlushInterval(time.Minute), cwzap.WithFallback(io.Discard),
		cwzap.WithErrorHandler(func(error) {})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ws.CloseContext(ctx)
	})
	return ws
}

func invocationCtx(id string, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: id})
	return context.WithTimeout(ctx, timeout)
}

// reports collects what Wrap reports.
type reports struct {
	mu   sync.Mutex
	errs []string
}

func (r *reports) handle(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err.Error())
}

func (r *reports) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

func logN(n int) func(context.Context, string) (string, error) {
	return func(ctx context.Context, tag string) (string, error) {
		for i := range n {
			Logger(ctx).Info("entry", zap.String("tag", tag), zap.Int("i", i))
		}
		return tag, nil
	}
}

func countTagged(srv *cwlogstest.Server, tag string) int {
	n := 0
	for _, e := range srv.Events("g", "s") {
		if strings.Contains(e.Message, `"tag":"`+tag+`"`) {
			n++
		}
	}
	return n
}

// Outside Lambda each invocation's entries are delivered before the
// wrapped handler returns, and Wrap says once why.
func TestOutsideLambdaSyncsBeforeReturning(t *testing.T) {
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	synctest.Test(t, testOutsideLambdaSyncsBeforeReturning)
}

func testOutsideLambdaSyncsBeforeReturning(t *testing.T) {
	srv := newTestServer(t, 50*time.Millisecond)
	var r reports
	h := Wrap(newTestSyncer(t, srv), logN(4), WithErrorHandler(r.handle))
	for i := range 3 {
		tag := fmt.Sprintf("t%d", i)
		ctx, cancel := invocationCtx(tag, 5*time.Second)
		if got, err := h(ctx, tag); got != tag || err != nil {
			t.Fatalf("wrapped handler returned %q, %v; want the handler's own result", got, err)
		}
		cancel()
		if n := countTagged(srv, tag); n != 4 {
			t.Errorf("%s: %d of 4 entries delivered when the handler returned", tag, n)
		}
	}
	if got := r.all(); len(got) != 1 || !strings.Contains(got[0], "AWS_LAMBDA_RUNTIME_API is not set") {
		t.Errorf("reports %q, want one note that the extension cannot run", got)
	}
}

// The sync at the end of an invocation never outlives its deadline, even
// when CloudWatch does not answer.
func TestOutsideLambdaSyncStopsAtTheDeadline(t *testing.T) {
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	synctest.Test(t, testOutsideLambdaSyncStopsAtTheDeadline)
}

func testOutsideLambdaSyncStopsAtTheDeadline(t *testing.T) {
	const deadline = 200 * time.Millisecond
	srv := newTestServer(t, 0)
	srv.SetFaults(cwlogstest.Faults{Outage: true})
	var r reports
	// The Syncer reports the undelivered event; Wrap only notes its mode.
	h := Wrap(newTestSyncer(t, srv, cwzap.WithErrorHandler(r.handle)), logN(1), WithErrorHandler(r.handle))
	t.Cleanup(func() { srv.SetFaults(cwlogstest.Faults{}) }) // before the Syncer's Close
	ctx, cancel := invocationCtx("r-1", deadline)
	defer cancel()
	start := time.Now()
	h(ctx, "x")
	// The Syncer's SyncContext keeps the handover reserve, a tenth of the
	// wait, before the deadline.
	if d, want := time.Since(start), deadline-deadline/10; d != want {
		t.Errorf("the wrapped handler returned after %v, want %v: the deadline, 200 ms away, less the handover reserve", d, want)
	}
	synctest.Wait() // the Syncer's report reaches the handler from a goroutine of its own
	got := r.all()
	if len(got) != 2 || !strings.Contains(got[1], "1 event not delivered: still pending when the caller's context ended") {
		t.Errorf("reports %q, want the note and one undelivered event of r-1", got)
	}
}

// Under Managed Instances every invocation returns without waiting for
// any put, its own or another's, and each one's entries are delivered by
// its background flush.
func TestConcurrentInvocationsDoNotWaitForFlushes(t *testing.T) {
	synctest.Test(t, testConcurrentInvocationsDoNotWaitForFlushes)
}

func testConcurrentInvocationsDoNotWaitForFlushes(t *testing.T) {
	const latency = 300 * time.Millisecond
	srv := newTestServer(t, latency)
	f := newIdleFlusher(newTestSyncer(t, srv), buildOptions(nil))
	f.hs.setMode(modeBackground)
	h := wrap(f, logN(3))

	var wg sync.WaitGroup
	durations := make([]time.Duration, 8)
	for i := range durations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 40 * time.Millisecond) // start while earlier flushes are in flight
			ctx, cancel := invocationCtx(fmt.Sprintf("r-%d", i), 10*time.Second)
			defer cancel()
			start := time.Now()
			h(ctx, fmt.Sprintf("c%d", i))
			durations[i] = time.Since(start)
		}()
	}
	wg.Wait()
	for i, d := range durations {
		if d != 0 {
			t.Errorf("invocation %d took %v, want no time: it waits for no put (each takes %v)", i, d, latency)
		}
	}
	f.bg.Wait() // flushes that never end deadlock the bubble
	for i := range durations {
		if n := countTagged(srv, fmt.Sprintf("c%d", i)); n != 3 {
			t.Errorf("invocation %d: %d of 3 entries delivered after its flush", i, n)
		}
	}
}

// A request the extension already gave up on (its margin had passed when
// the INVOKE event arrived), or whose extension stopped, is synced by the
// handler's end: nothing it logged stays buffered, and nothing stays known.
func TestHandlerSyncsWhenTheExtensionGaveUp(t *testing.T) {
	srv := newTestServer(t, 0)
	for _, tt := range []struct {
		name    string
		before  bool // prepare runs before the handler begins, not in it
		prepare func(f *flusher, id string)
	}{
		{"settled before the handler began", true, func(f *flusher, id string) {
			f.settle(id, time.Now().Add(10*time.Millisecond)) // inside the margin: flushes and gives up at once
		}},
		{"deadline passed while the handler ran", false, func(f *flusher, id string) {
			f.settle(id, time.Now().Add(10*time.Millisecond))
		}},
		{"extension stopped", false, func(f *flusher, id string) {
			f.hs.setMode(modeSync)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newIdleFlusher(newTestSyncer(t, srv), buildOptions(nil))
			f.hs.setMode(modeExtension)
			id := "r-" + tt.name
			if tt.before {
				tt.prepare(f, id)
			}
			h := wrap(f, func(ctx context.Context, tag string) (string, error) {
				if !tt.before {
					tt.prepare(f, id)
				}
				return logN(3)(ctx, tag)
			})
			ctx, cancel := invocationCtx(id, 5*time.Second)
			defer cancel()
			h(ctx, id)
			if got := countTagged(srv, id); got != 3 {
				t.Errorf("%d of 3 entries delivered when the handler returned", got)
			}
			f.hs.mu.Lock()
			defer f.hs.mu.Unlock()
			if f.hs.cur != nil && f.hs.cur.began {
				t.Errorf("request %s still current after its handler returned", f.hs.cur.id)
			}
		})
	}
}

// WrapHandler outside Lambda: any shape through lambda.NewHandler, its
// entries delivered when Invoke returns, its result and error passed on; a
// nil handler fails every invocation with an error that says so.
func TestWrapHandlerOutsideLambda(t *testing.T) {
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	srv := newTestServer(t, 0)
	ws := newTestSyncer(t, srv)
	h := WrapHandler(ws, lambda.NewHandler(func(ctx context.Context, tag string) error {
		logN(2)(ctx, tag)
		if tag == "bad" {
			return errors.New("bad tag")
		}
		return nil
	}), WithErrorHandler(func(error) {}))
	for _, tag := range []string{"good", "bad"} {
		ctx, cancel := invocationCtx("r-"+tag, 5*time.Second)
		out, err := h.Invoke(ctx, []byte(`"`+tag+`"`))
		cancel()
		if (tag == "bad") != (err != nil) || (err == nil && string(out) != "null") {
			t.Errorf("%s: Invoke returned %q, %v", tag, out, err)
		}
		if n := countTagged(srv, tag); n != 2 {
			t.Errorf("%s: %d of 2 entries delivered when Invoke returned", tag, n)
		}
	}
	ctx, cancel := invocationCtx("r-nil", 5*time.Second)
	defer cancel()
	if _, err := WrapHandler(ws, nil, WithErrorHandler(func(error) {})).Invoke(ctx, nil); err == nil ||
		!strings.HasPrefix(err.Error(), "cwzap: ") || !strings.Contains(err.Error(), "nil lambda.Handler") {
		t.Errorf("a nil handler returned %v, want an error that names it", err)
	}
}

// In Lambda, NewSyncer's events carry the function as their entity, unless
// the caller names another.
func TestNewSyncerNamesTheFunctionAsEntity(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "checkout")
	srv := cwlogstest.NewServer()
	defer srv.Close()
	for _, tt := range []struct {
		stream string
		opts   []cwzap.SyncerOption
		want   string
	}{
		{"default", nil, "checkout"},
		{"given", []cwzap.SyncerOption{cwzap.WithEntity(map[string]string{"Type": "Service", "Name": "orders", "Environment": "prod"}, nil)}, "orders"},
	} {
		ws, err := NewSyncer("g", tt.stream, append([]cwzap.SyncerOption{cwzap.WithClient(srv.Client())}, tt.opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		ws.Write([]byte("hello"))
		if err := ws.Close(); err != nil {
			t.Fatal(err)
		}
		e, ok := srv.Entity("g", tt.stream)
		if !ok || e.KeyAttributes["Name"] != tt.want || e.KeyAttributes["Type"] != "Service" {
			t.Errorf("%s: entity = %+v, %v; want the Service %q", tt.stream, e, ok, tt.want)
		}
	}
}
