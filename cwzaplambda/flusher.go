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

// mode is how a flusher delivers an invocation's entries.
type mode int32

const (
	// modeSync: the handler syncs before it returns (no extension).
	modeSync mode = iota
	// modeExtension: the INVOKE extension syncs after the response.
	modeExtension
	// modeBackground: each invocation's flush starts in the background
	// when its handler returns (Managed Instances: no freeze).
	modeBackground
)

// A flusher is the state behind one Wrap.
type flusher struct {
	ws     *cwzap.Syncer
	o      options
	base   *zap.Logger
	mode   atomic.Int32
	warm   atomic.Bool // set by the first invocation: later ones are not cold starts
	stop   context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup // background flushes (modeBackground)

	mu   sync.Mutex // guards invs
	invs map[string]*invocation
}

// invocation is one request as the handler and the extension see it;
// whichever comes first creates it.
type invocation struct {
	id      string
	started atomic.Bool   // the handler has begun
	done    chan struct{} // closed when the handler has returned
	// settled: the extension no longer waits for this request (guarded by
	// the flusher's mu), so the handler's end must sync by itself.
	settled  bool
	deadline time.Time // of a settled request never started: when to drop it
}

// newFlusher returns a flusher with its extension started, or in
// modeSync when none can run.
func newFlusher(ws *cwzap.Syncer, o options) *flusher {
	f := newIdleFlusher(ws, o)
	f.setMode(f.startExtension())
	return f
}

// newIdleFlusher returns a flusher in modeSync that has started nothing.
func newIdleFlusher(ws *cwzap.Syncer, o options) *flusher {
	f := &flusher{ws: ws, o: o, base: o.logger, invs: make(map[string]*invocation)}
	if f.base == nil {
		f.base = defaultLogger(ws)
	}
	f.stop, f.cancel = context.WithCancel(context.Background())
	return f
}

func (f *flusher) setMode(m mode) { f.mode.Store(int32(m)) }
func (f *flusher) getMode() mode  { return mode(f.mode.Load()) }

// startExtension registers the extension that fits the environment and
// returns the resulting mode; on failure it reports once and falls back
// to syncing in the handler.
func (f *flusher) startExtension() mode {
	api := os.Getenv("AWS_LAMBDA_RUNTIME_API")
	if api == "" {
		f.o.onError(errors.New("cwzaplambda: AWS_LAMBDA_RUNTIME_API is not set (not in Lambda): each invocation syncs before it returns"))
		return modeSync
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
		return modeSync
	}
	f.watchSIGTERM()
	go f.loop(c, id)
	return m
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
			f.setMode(modeSync)
			f.o.onError(fmt.Errorf("cwzaplambda: %w: each invocation now syncs before it returns", err))
			// Handlers that returned while the extension still owned
			// their flush: deliver what they logged.
			f.flush(time.Now().Add(f.o.margin))
			return
		}
		if ev.EventType == "INVOKE" && ev.RequestID != "" {
			f.settle(ev.RequestID, time.UnixMilli(ev.DeadlineMs))
		}
	}
}

// settle waits for the invocation's handler to return, then syncs. If the
// handler is still running margin before the deadline, it flushes what
// was logged so far, then waits for the handler until the deadline.
func (f *flusher) settle(id string, deadline time.Time) {
	inv := f.track(id)
	defer f.release(inv, deadline)
	t := time.NewTimer(time.Until(deadline.Add(-f.o.margin)))
	defer t.Stop()
	select {
	case <-inv.done:
		f.flush(deadline)
		return
	case <-t.C:
	case <-f.stop.Done():
		return
	}
	f.flush(deadline)
	if !inv.started.Load() {
		// The runtime answered without calling the handler (say, a
		// payload that does not decode): nothing more will be logged.
		return
	}
	t.Reset(time.Until(deadline))
	select {
	case <-inv.done:
		f.flush(deadline)
	case <-t.C:
		// Timed out: Lambda resets the environment, SIGTERM brings the
		// final flush.
	case <-f.stop.Done():
	}
}

// flush syncs ws, bounded by deadline. What it cannot deliver by then goes
// to the Syncer's fallback writer, and the Syncer's error handler says so,
// once: flush does not repeat it.
func (f *flusher) flush(deadline time.Time) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	f.ws.SyncContext(ctx)
}

func (f *flusher) track(id string) *invocation {
	f.mu.Lock()
	defer f.mu.Unlock()
	inv, ok := f.invs[id]
	if !ok {
		inv = &invocation{id: id, done: make(chan struct{})}
		f.invs[id] = inv
	}
	return inv
}

// release ends the extension's watch over inv. A request whose handler
// has not begun stays known, marked settled, until its deadline, so that a
// handler the runtime starts late still syncs by itself.
func (f *flusher) release(inv *invocation, deadline time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	inv.settled = true
	if inv.started.Load() {
		delete(f.invs, inv.id)
	} else {
		inv.deadline = deadline
	}
	now := time.Now()
	for id, other := range f.invs {
		if other.settled && !other.started.Load() && now.After(other.deadline) {
			delete(f.invs, id)
		}
	}
}

// handOver tells whether the extension will sync after inv's handler
// returned; if not, it forgets inv and the caller must sync.
func (f *flusher) handOver(inv *invocation) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !inv.settled && f.getMode() == modeExtension {
		return true
	}
	delete(f.invs, inv.id)
	return false
}

// begin starts an invocation: it puts the invocation's logger in ctx and,
// under the extension, marks the request as running.
func (f *flusher) begin(ctx context.Context) (context.Context, *invocation) {
	cold := !f.warm.Swap(true)
	lc, _ := lambdacontext.FromContext(ctx)
	ctx = context.WithValue(ctx, loggerKey{}, f.base.With(invocationFields(ctx, lc, &cold)...))
	if lc == nil || lc.AwsRequestID == "" || f.getMode() != modeExtension {
		return ctx, nil
	}
	inv := f.track(lc.AwsRequestID)
	inv.started.Store(true)
	return ctx, inv
}

// end finishes an invocation after its handler returned.
func (f *flusher) end(ctx context.Context, inv *invocation) {
	if inv != nil {
		close(inv.done)
		if f.handOver(inv) {
			return // the extension syncs after the response
		}
		// The extension gave up on this request, or stopped.
		f.syncNow(ctx)
		return
	}
	switch f.getMode() {
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
	f.ws.Sync() // bounded by the Syncer's put timeout; errors went to its handler
}
