package cwzaplambda

import "sync"

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

// A handshake matches each handler with the extension's INVOKE event for
// the same request, and decides, in one place and under one lock, who
// flushes what the handler logged: the extension after the response, or
// the handler itself before it.
//
// Outside Managed Instances Lambda runs one invocation at a time, and
// sends the next only after the extension has asked for it, so one
// current slot is enough: the invocation the handler or the extension saw
// last. The handler and the INVOKE event may come in either order; the
// first creates the slot's invocation and the second adopts it.
//
// The rule that makes it correct: a handler hands its flush over only if,
// under mu, the extension runs, its invocation is the current one and the
// extension has not released it. The extension flushes after it releases
// an invocation whose handler had ended, and every INVOKE it handles
// flushes at least once, so whatever was handed over is flushed by the
// next flush; when the extension stops, it clears the slot and flushes.
type handshake struct {
	mu   sync.Mutex // guards mode, cur, and the flags of every invocation
	mode mode
	cur  *invocation
}

// invocation is one request as the handler and the extension see it.
type invocation struct {
	id string
	// ended is closed by the handler's end, once: a record is claimed by
	// at most one handler.
	ended chan struct{}
	// Guarded by the handshake's mu.
	began    bool // a handler claimed it
	returned bool // that handler has ended
	watched  bool // the extension received its INVOKE
	released bool // the extension stopped watching it
	own      bool // the handler syncs by itself, whatever the extension does
}

func newInvocation(id string) *invocation {
	return &invocation{id: id, ended: make(chan struct{})}
}

func (h *handshake) setMode(m mode) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mode = m
}

func (h *handshake) getMode() mode {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.mode
}

// begin records that a handler for request id has begun. It returns nil
// when the extension does not run (the handler's end decides alone).
func (h *handshake) begin(id string) *invocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.mode != modeExtension || id == "" {
		return nil
	}
	cur := h.cur
	switch {
	case cur != nil && cur.id == id && !cur.began:
		cur.began = true // the INVOKE came first
		return cur
	case cur != nil && cur.id == id && !cur.returned:
		// A second handler for a request whose handler still runs (a
		// wrapped handler called from another with its ctx): it syncs by
		// itself and leaves the slot to the first.
		inv := newInvocation(id)
		inv.began, inv.own = true, true
		return inv
	}
	// A new request (or the same id again after its invocation ended, as
	// an asynchronous retry may bring): it takes the slot.
	inv := newInvocation(id)
	inv.began = true
	h.cur = inv
	return inv
}

// end records that inv's handler has returned (or is panicking) and tells
// whether the extension will flush what it logged; if not, the caller
// must.
func (h *handshake) end(inv *invocation) (handedOver bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	inv.returned = true
	close(inv.ended)
	handedOver = h.mode == modeExtension && h.cur == inv && !inv.released && !inv.own
	if !handedOver && h.cur == inv {
		h.cur = nil
	}
	return handedOver
}

// watch records the extension's INVOKE for request id and returns the
// invocation it must wait for.
func (h *handshake) watch(id string) *invocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cur := h.cur; cur != nil && cur.id == id && !cur.watched && !cur.released {
		cur.watched = true // the handler came first
		return cur
	}
	inv := newInvocation(id)
	inv.watched = true
	h.cur = inv
	return inv
}

// releaseUnbegun releases inv if no handler has claimed it (the runtime
// answered without calling the handler, or has not called it yet), and
// tells whether it did: a handler that claims it later syncs by itself.
func (h *handshake) releaseUnbegun(inv *invocation) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if inv.began {
		return false
	}
	inv.released = true
	return true
}

// release ends the extension's watch over inv and tells whether its
// handler had returned by then, so that the extension must flush after it
// (the handler handed its flush over). If not, the handler's end syncs by
// itself.
func (h *handshake) release(inv *invocation) (handedOver bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	inv.released = true
	if inv.returned && h.cur == inv {
		h.cur = nil
	}
	return inv.returned
}

// stop records that the extension is gone: from now on every handler
// syncs by itself. The caller must flush once afterwards, for the
// handlers that handed their flush over before.
func (h *handshake) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mode = modeSync
	h.cur = nil
}
