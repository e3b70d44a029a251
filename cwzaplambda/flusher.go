package cwzaplambda

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/cwzap/cwzap"
	"go.uber.org/zap"
)

// A flusher is the state behind one Wrap or WrapHandler: the extension's
// loop, and what each invocation does when it begins and ends. Who
// flushes an invocation is the handshake's decision.
type flusher struct {
	ws     *cwzap.Syncer
	o      options
	base   *zap.Logger
	hs     handshake
	pace   pacer
	warm   atomic.Bool // set by the first invocation: later ones are not cold starts
	stop   context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup // background flushes (modeBackground)
}

// newFlusher returns a flusher with its extension started, or in
// modeSync when none can run.
func newFlusher(ws *cwzap.Syncer, o options) *flusher {
	f := newIdleFlusher(ws, o)
	f.startExtension()
	return f
}

// newIdleFlusher returns a flusher in modeSync that has started nothing.
func newIdleFlusher(ws *cwzap.Syncer, o options) *flusher {
	f := &flusher{ws: ws, o: o, base: o.logger, pace: pacer{max: o.maxDeferral}}
	if f.base == nil {
		f.base = defaultLogger(ws)
	}
	f.stop, f.cancel = context.WithCancel(context.Background())
	return f
}

// startExtension registers the extension that fits the environment and
// sets the mode before the extension's goroutine starts, so that only
// that goroutine changes it afterwards; on failure it reports once and
// stays in modeSync.
func (f *flusher) startExtension() {
	api := os.Getenv("AWS_LAMBDA_RUNTIME_API")
	if api == "" {
		f.o.onError(errors.New("cwzaplambda: AWS_LAMBDA_RUNTIME_API is not set (not in Lambda): each invocation syncs before it returns"))
		return
	}
	c := newExtClient(api)
	events, m := []string{"INVOKE"}, modeExtension
	if maxConcurrency() > 1 {
		// Managed Instances: internal extensions may subscribe to no
		// event, but a registered one still brings SIGTERM.
		events, m = nil, modeBackground
	}
	ctx, cancel := context.WithTimeout(f.stop, _registerTimeout)
	id, err := c.register(ctx, _extensionName, events)
	cancel()
	if err != nil {
		c.close()
		f.o.onError(fmt.Errorf("cwzaplambda: %w: each invocation syncs before it returns", err))
		return
	}
	f.hs.setMode(m)
	f.watchSIGTERM()
	go f.loop(c, id)
}

// loop asks for events until the flusher stops. Each INVOKE is settled
// before the next request, which is what lets Lambda freeze the
// environment.
func (f *flusher) loop(c *extClient, id string) {
	defer c.close()
	for {
		ev, err := c.next(f.stop, id)
		if f.stop.Err() != nil {
			return
		}
		if err != nil {
			f.hs.stop()
			f.o.onError(fmt.Errorf("cwzaplambda: %w: each invocation now syncs before it returns", err))
			// Handlers that handed their flush over before the stop:
			// deliver what they logged.
			f.flush(time.Now().Add(f.o.margin))
			return
		}
		if ev.EventType == "INVOKE" && ev.RequestID != "" {
			f.settle(ev.RequestID, time.UnixMilli(ev.DeadlineMs))
		}
	}
}

// settle waits for the invocation's handler to end, then syncs. If the
// handler is still running margin before the deadline, it flushes what
// was logged so far, then waits for the handler until the deadline.
func (f *flusher) settle(id string, deadline time.Time) {
	inv := f.hs.watch(id)
	if !f.await(inv.ended, deadline.Add(-f.o.margin)) {
		if f.stop.Err() != nil {
			return // SIGTERM: the shutdown closes the Syncer
		}
		f.flush(deadline)
		if f.hs.releaseUnbegun(inv) {
			// The runtime answered without calling the handler (say, a
			// payload that does not decode), or has not called it yet: a
			// handler that begins later syncs by itself.
			return
		}
		if !f.await(inv.ended, deadline) && f.stop.Err() != nil {
			return
		}
		// Past the deadline Lambda resets the environment; SIGTERM
		// brings the final flush, or the handler's end syncs.
	}
	if !f.hs.release(inv) {
		return
	}
	if f.stop.Err() != nil || time.Until(deadline) < f.o.margin {
		f.flush(deadline)
		return
	}
	switch f.pace.next(time.Now()) {
	case stepSync:
		f.flush(deadline)
	case stepFlush:
		f.flushPending(deadline.Add(-f.o.margin))
	}
}

// await waits for ended until the deadline or the flusher's stop, and
// tells whether ended came.
func (f *flusher) await(ended <-chan struct{}, deadline time.Time) bool {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-ended:
		return true
	case <-t.C:
	case <-f.stop.Done():
	}
	return false
}

// flush syncs ws, bounded by deadline. What it cannot deliver by then goes
// to the Syncer's fallback writer, and the Syncer's error handler says so,
// once: flush does not repeat it.
func (f *flusher) flush(deadline time.Time) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	f.ws.SyncContext(ctx)
	f.pace.flushed(f.ws.Stats().Retries, true)
}

// flushPending waits until what ws holds is delivered, or until deadline
// or the flusher's stop. What is not delivered by then stays pending in
// ws, its puts still retrying, for a later flush or the SIGTERM flush:
// nothing goes to the fallback writer. The deadline is the margin before
// the invocation's, so that the invocation does not time out (Lambda
// resets an environment whose invocation timed out).
func (f *flusher) flushPending(deadline time.Time) {
	ctx, cancel := context.WithDeadline(f.stop, deadline)
	defer cancel()
	err := f.ws.Flush(ctx)
	f.pace.flushed(f.ws.Stats().Retries, err == nil)
}

// invoke runs one invocation: call gets a ctx carrying the invocation's
// logger; afterwards what it logged is flushed, or handed over to the
// extension. If call panics, the flush happens before the panic goes on,
// bounded by the invocation's deadline: aws-lambda-go reports a panic and
// ends the process, which must not be before the flush.
func (f *flusher) invoke(ctx context.Context, call func(context.Context) error) {
	ctx, inv, held := f.begin(ctx)
	returned, failed := false, false
	defer func() { f.end(ctx, inv, held, !returned, failed) }()
	failed = call(ctx) != nil
	returned = true
}

// heldRoom is an invocation's room in the LogBuffer, if there is one.
type heldRoom struct {
	r   *bufferRoom
	gen uint64
}

// begin starts an invocation: it puts the invocation's logger in ctx and,
// under the extension, records the request in the handshake.
func (f *flusher) begin(ctx context.Context) (context.Context, *invocation, heldRoom) {
	cold := !f.warm.Swap(true)
	lc, _ := lambdacontext.FromContext(ctx)
	base, held := f.base, heldRoom{}
	if b := f.o.logBuffer; b != nil {
		held.r, held.gen = b.open()
		base = b.logger(base, f.ws, held.r, held.gen)
	}
	ctx = context.WithValue(ctx, loggerKey{}, base.With(invocationFields(ctx, lc, &cold)...))
	if lc == nil {
		return ctx, nil, held
	}
	return ctx, f.hs.begin(lc.AwsRequestID), held
}

// end finishes an invocation after its handler returned or panicked.
func (f *flusher) end(ctx context.Context, inv *invocation, held heldRoom, panicking, failed bool) {
	if held.r != nil {
		// Before any flush or hand-over, so that what it delivers is
		// flushed with the rest.
		f.o.logBuffer.close(held.r, held.gen, failed || panicking, f.ws)
	}
	if inv != nil && f.hs.end(inv) && !panicking {
		return // the extension syncs after the response
	}
	if panicking {
		f.syncNow(ctx) // the process ends right after the panic is reported
		return
	}
	switch f.hs.getMode() {
	case modeBackground:
		deadline := time.Now().Add(f.o.margin)
		if d, ok := ctx.Deadline(); ok && d.After(deadline) {
			deadline = d
		}
		f.bg.Add(1)
		go func() {
			defer f.bg.Done()
			f.flush(deadline)
		}()
	default:
		// No extension, or it gave up on this request, or stopped.
		f.syncNow(ctx)
	}
}

// syncNow syncs before the handler's response, bounded by the
// invocation's deadline (and not by its cancellation).
func (f *flusher) syncNow(ctx context.Context) {
	if d, ok := ctx.Deadline(); ok {
		f.flush(d)
		return
	}
	f.ws.Sync() // bounded by the Syncer's sync timeout; errors went to its handler
}
