package cwzaplambda

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// extensionFlusher returns a flusher in modeExtension over a Syncer that
// writes its fallback lines to fb, and a function that runs one invocation
// logging 3 entries tagged tag, then settles it as the extension does.
func extensionFlusher(t *testing.T, srv *cwlogstest.Server, fb *fallbackLines, opts ...Option) (*flusher, func(tag string)) {
	t.Helper()
	ws := newTestSyncer(t, srv, cwzap.WithFallback(fb))
	f := newIdleFlusher(ws, buildOptions(opts))
	f.hs.setMode(modeExtension)
	h := wrap(f, logN(3))
	return f, func(tag string) {
		// 300 ms for the extension's flush before the margin.
		deadline := time.Now().Add(f.o.margin + 300*time.Millisecond)
		ctx, cancel := invocationCtx(tag, time.Until(deadline))
		defer cancel()
		h(ctx, tag)
		f.settle(tag, deadline)
	}
}

func fallbackTagged(fb *fallbackLines, tag string) int {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	n := 0
	for _, line := range fb.lines {
		if strings.Contains(line, `"tag":"`+tag+`"`) {
			n++
		}
	}
	return n
}

// A flush that cannot deliver by its invocation's margin (here every put
// fails) leaves the entries pending instead of handing them to the
// fallback writer, and later invocations defer; SIGTERM's Close then
// flushes them for good: delivered once CloudWatch answers again, to the
// fallback writer if it still does not.
func TestUnfinishedFlushLeavesEntriesPending(t *testing.T) {
	for _, recovers := range []bool{true, false} {
		t.Run(fmt.Sprintf("recovers=%v", recovers), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testUnfinishedFlushLeavesEntriesPending(t, recovers) })
		})
	}
}

func testUnfinishedFlushLeavesEntriesPending(t *testing.T, recovers bool) {
	srv := newTestServer(t, 0)
	var fb fallbackLines
	f, invoke := extensionFlusher(t, srv, &fb, WithMaxDeferral(time.Hour), WithShutdownTimeout(20*time.Second))
	srv.SetFaults(cwlogstest.Faults{Outage: true})
	// The first invocation's flush waits until the margin before
	// its deadline; the second defers.
	start := time.Now()
	invoke("a")
	if d := time.Since(start); d != 300*time.Millisecond {
		t.Errorf("the first invocation's flush took %v, want 300 ms: until the margin before its deadline", d)
	}
	start = time.Now()
	invoke("b")
	if d := time.Since(start); d != 0 {
		t.Errorf("the second invocation took %v, want no time: it defers", d)
	}
	if st := f.ws.Stats(); st.Fallback != 0 || st.Delivered != 0 || len(fb.lines) != 0 {
		t.Fatalf("after two invocations during an outage: delivered %d, fallback %d (%d lines); want both 0: the entries wait",
			st.Delivered, st.Fallback, len(fb.lines))
	}
	if f.pace.since.IsZero() {
		t.Errorf("the pacer holds no unsettled invocation")
	}
	if recovers {
		srv.SetFaults(cwlogstest.Faults{})
	} else {
		f.o.shutdownTimeout = 300 * time.Millisecond
	}
	f.shutdown()
	for _, tag := range []string{"a", "b"} {
		stored, fell := countTagged(srv, tag), fallbackTagged(&fb, tag)
		switch {
		case recovers && (stored != 3 || fell != 0):
			t.Errorf("%s: %d of 3 entries stored and %d in the fallback after SIGTERM, want all stored", tag, stored, fell)
		case !recovers && (stored != 0 || fell != 3):
			t.Errorf("%s: %d of 3 entries stored and %d in the fallback after SIGTERM during the outage, want all in the fallback", tag, stored, fell)
		}
	}
}

// Once the oldest unsettled invocation ended WithMaxDeferral ago, the next
// invocation flushes for good: what it cannot deliver by its deadline goes
// to the fallback writer, its own entries and those left before.
func TestDeferralEndsAtItsBound(t *testing.T) {
	synctest.Test(t, testDeferralEndsAtItsBound)
}

func testDeferralEndsAtItsBound(t *testing.T) {
	srv := newTestServer(t, 0)
	var fb fallbackLines
	// Each flush of an invocation lasts 300 ms during the outage: the
	// second invocation ends more than 200 ms after the first.
	f, invoke := extensionFlusher(t, srv, &fb, WithMaxDeferral(200*time.Millisecond))
	srv.SetFaults(cwlogstest.Faults{Outage: true})
	invoke("a")
	if st := f.ws.Stats(); st.Fallback != 0 {
		t.Fatalf("the first invocation's flush handed %d entries to the fallback, want none within the bound", st.Fallback)
	}
	invoke("b")
	for _, tag := range []string{"a", "b"} {
		if n := fallbackTagged(&fb, tag); n != 3 {
			t.Errorf("%s: %d of 3 entries in the fallback after the bound, want all", tag, n)
		}
	}
	if !f.pace.since.IsZero() {
		t.Errorf("the pacer still holds an unsettled invocation after a flush for good")
	}
	srv.SetFaults(cwlogstest.Faults{})
}
