package cwzaplambda

import (
	"context"
	"net"
	"testing"
	"time"
)

// These tests drive the handshake in the test process, as the extension
// and the runtime would, in the orders the emulator cannot force.

// A request id seen again, after its invocation ended (an asynchronous
// retry) or while its handler still runs (a wrapped handler called from
// another with its ctx), neither panics nor loses entries.
func TestRequestIDSeenTwice(t *testing.T) {
	srv := newTestServer(t, 0)
	f := newIdleFlusher(newTestSyncer(t, srv), buildOptions(nil))
	f.hs.setMode(modeExtension)
	h := wrap(f, logN(2))

	ctx, cancel := invocationCtx("r-1", 5*time.Second)
	defer cancel()
	h(ctx, "first") // handed over: the extension has not seen r-1 yet
	h(ctx, "again") // the same id once more
	if n := countTagged(srv, "first") + countTagged(srv, "again"); n != 0 {
		t.Fatalf("%d entries delivered before the extension's flush; the test cannot see the hand-over", n)
	}
	f.settle("r-1", time.Now().Add(5*time.Second))
	for _, tag := range []string{"first", "again"} {
		if n := countTagged(srv, tag); n != 2 {
			t.Errorf("%s: %d of 2 entries delivered after the extension's flush", tag, n)
		}
	}

	// Nested: the inner call syncs by itself, the outer hands over.
	nested := wrap(f, func(ctx context.Context, tag string) (string, error) {
		logN(2)(ctx, "outer")
		wrap(f, logN(2))(ctx, "inner")
		if n := countTagged(srv, "outer") + countTagged(srv, "inner"); n != 4 {
			t.Errorf("%d of 4 entries of both delivered when the inner call returned", n)
		}
		return tag, nil
	})
	ctx2, cancel2 := invocationCtx("r-2", 5*time.Second)
	defer cancel2()
	nested(ctx2, "x")
	f.hs.mu.Lock()
	cur := f.hs.cur
	f.hs.mu.Unlock()
	if cur == nil || cur.id != "r-2" || !cur.returned {
		t.Errorf("the outer invocation is not the current one after both returned: %+v", cur)
	}
}

// When the extension's loop fails, every handler that handed its flush
// over before has its entries delivered, nothing stays current, and later
// handlers sync by themselves.
func TestLoopFailureFlushesWhatWasHandedOver(t *testing.T) {
	srv := newTestServer(t, 0)
	var r reports
	f := newIdleFlusher(newTestSyncer(t, srv), buildOptions([]Option{WithErrorHandler(r.handle)}))
	f.hs.setMode(modeExtension)
	h := wrap(f, logN(3))
	ctx, cancel := invocationCtx("r-1", 5*time.Second)
	defer cancel()
	h(ctx, "before")
	if n := countTagged(srv, "before"); n != 0 {
		t.Fatalf("%d entries delivered before the loop ran; the test cannot see the hand-over", n)
	}

	// An Extensions API that is not there: the first next fails.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	f.loop(newExtClient(addr), "id")

	if n := countTagged(srv, "before"); n != 3 {
		t.Errorf("%d of 3 entries handed over before the failure delivered", n)
	}
	if m := f.hs.getMode(); m != modeSync {
		t.Errorf("mode %d after the loop failed, want modeSync", m)
	}
	if f.hs.cur != nil {
		t.Errorf("request %s still current after the loop failed", f.hs.cur.id)
	}
	ctx2, cancel2 := invocationCtx("r-2", 5*time.Second)
	defer cancel2()
	h(ctx2, "after")
	if n := countTagged(srv, "after"); n != 3 {
		t.Errorf("%d of 3 entries delivered when a handler after the failure returned", n)
	}
	if got := r.all(); len(got) != 1 {
		t.Errorf("reports %q, want one about the failed next", got)
	}
}

// A handler that panics under the extension syncs before the panic goes
// on, and the panic is the handler's own.
func TestPanicSyncsBeforeItGoesOn(t *testing.T) {
	srv := newTestServer(t, 0)
	f := newIdleFlusher(newTestSyncer(t, srv), buildOptions(nil))
	f.hs.setMode(modeExtension)
	h := wrap(f, func(ctx context.Context, tag string) (string, error) {
		logN(2)(ctx, tag)
		panic("boom")
	})
	ctx, cancel := invocationCtx("r-1", 5*time.Second)
	defer cancel()
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Errorf("recovered %v, want the handler's panic", v)
			}
			if n := countTagged(srv, "p"); n != 2 {
				t.Errorf("%d of 2 entries delivered when the panic left the wrapped handler", n)
			}
		}()
		h(ctx, "p")
	}()
}
