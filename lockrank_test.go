package cwzap

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// The lock checker of the package's tests: every test of both packages,
// cwzap and cwzap_test, runs with it, so each acquisition and each call out
// that the suite makes is checked. A violation panics, as the runtime's
// own lock ranking does: the stack names the place, and the test binary
// fails whichever test was running.
func init() { _lockCheck = _checker }

var _checker = &rankChecker{held: make(map[uint64]heldLocks)}

type rankChecker struct {
	mu   sync.Mutex
	held map[uint64]heldLocks // by goroutine id: what each goroutine holds

	violations atomic.Int64
}

// heldLocks are the ranks a goroutine holds, in the order taken.
type heldLocks struct {
	n     int
	ranks [8]lockRank
}

func (h heldLocks) String() string {
	names := make([]string, h.n)
	for i, r := range h.ranks[:h.n] {
		names[i] = r.String()
	}
	return strings.Join(names, ", ")
}

func (c *rankChecker) acquire(r lockRank) uint64 {
	id := goroutineID()
	c.mu.Lock()
	h := c.held[id]
	var bad string
	switch {
	case r == 0:
		bad = "acquiring a lock without a rank"
	case h.n == len(h.ranks):
		bad = "acquiring a ninth lock"
	case h.n > 0 && h.ranks[h.n-1] >= r:
		bad = fmt.Sprintf("acquiring %v while holding %v", r, h)
	}
	if bad == "" {
		h.ranks[h.n] = r
		h.n++
		c.held[id] = h
	}
	c.mu.Unlock()
	if bad != "" {
		c.violations.Add(1)
		panic("cwzap: lock order: " + bad)
	}
	return id
}

// release drops r from what goroutine id holds: the mutex keeps its
// holder, so that a release costs no look-up of the goroutine.
func (c *rankChecker) release(id uint64, r lockRank) {
	c.mu.Lock()
	h := c.held[id]
	i := h.n - 1
	for i >= 0 && h.ranks[i] != r {
		i--
	}
	if i >= 0 {
		copy(h.ranks[i:], h.ranks[i+1:h.n])
		h.n--
	}
	if h.n == 0 {
		delete(c.held, id)
	} else {
		c.held[id] = h
	}
	c.mu.Unlock()
	if i < 0 {
		c.violations.Add(1)
		panic(fmt.Sprintf("cwzap: lock order: releasing %v, which this goroutine does not hold", r))
	}
}

func (c *rankChecker) none(what string) {
	id := goroutineID()
	c.mu.Lock()
	h := c.held[id]
	c.mu.Unlock()
	if h.n > 0 {
		c.violations.Add(1)
		panic(fmt.Sprintf("cwzap: lock order: %s while holding %v", what, h))
	}
}

// holding returns what the calling goroutine holds.
func (c *rankChecker) holding() heldLocks {
	id := goroutineID()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held[id]
}

var _stackBufs = sync.Pool{New: func() any { return new([64]byte) }}

// goroutineID returns the calling goroutine's id, from the first line of
// its stack ("goroutine 42 [running]:"): slow, but only tests call it.
func goroutineID() uint64 {
	buf := _stackBufs.Get().(*[64]byte)
	n := runtime.Stack(buf[:], false)
	var id uint64
	for _, c := range buf[len("goroutine "):n] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	_stackBufs.Put(buf)
	return id
}

// mustPanic runs f and returns the message it panicked with, failing the
// test if it did not.
func mustPanic(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("no panic, want a lock order violation")
		}
		msg = fmt.Sprint(r)
	}()
	f()
	return ""
}

func TestLockRankOrder(t *testing.T) {
	before := _checker.violations.Load()
	acc := &rankedMutex{rank: rankAccumulator}
	ledger := &rankedMutex{rank: rankLedger}
	unranked := &rankedMutex{}

	// Down the order: allowed, and released in any order.
	acc.Lock()
	ledger.Lock()
	acc.Unlock()
	ledger.Unlock()
	if h := _checker.holding(); h.n != 0 {
		t.Fatalf("holding %v after releasing everything", h)
	}

	// Up the order: refused before the lock is taken.
	ledger.Lock()
	msg := mustPanic(t, acc.Lock)
	ledger.Unlock()
	if want := "acquiring accumulator while holding ledger"; !strings.Contains(msg, want) {
		t.Errorf("panic %q, want it to say %q", msg, want)
	}
	if !acc.mu.TryLock() {
		t.Fatal("the refused lock was taken")
	}
	acc.mu.Unlock()

	// The same rank twice, and a lock without a rank.
	other := &rankedMutex{rank: rankLedger}
	ledger.Lock()
	mustPanic(t, other.Lock)
	ledger.Unlock()
	mustPanic(t, unranked.Lock)

	// A call out with a lock held.
	outside("nothing held: allowed")
	acc.Lock()
	msg = mustPanic(t, func() { outside("the error handler") })
	acc.Unlock()
	if want := "the error handler while holding accumulator"; !strings.Contains(msg, want) {
		t.Errorf("panic %q, want it to say %q", msg, want)
	}
	if got := _checker.violations.Load() - before; got != 4 {
		t.Errorf("%d violations counted, want 4", got)
	}
	_checker.violations.Add(-4)
}

// The checker follows each goroutine on its own: a lock held by one does
// not count against another.
func TestLockRankPerGoroutine(t *testing.T) {
	before := _checker.violations.Load()
	ledger := &rankedMutex{rank: rankLedger}
	acc := &rankedMutex{rank: rankAccumulator}
	ledger.Lock()
	panicked := make(chan any)
	go func() {
		defer func() { panicked <- recover() }()
		acc.Lock() // ledger is held, but by another goroutine
		//lint:ignore SA2001 the lock is taken for the checker to see, not to guard anything
		acc.Unlock()
		outside("a call out") // likewise
	}()
	if r := <-panicked; r != nil {
		t.Errorf("another goroutine's lock counted against this one: %v", r)
	}
	if got := _checker.violations.Load() - before; got != 0 {
		t.Errorf("%d violations counted, want none", got)
	}

	// The goroutine holding ledger is still refused accumulator.
	msg := mustPanic(t, acc.Lock)
	ledger.Unlock()
	if want := "acquiring accumulator while holding ledger"; !strings.Contains(msg, want) {
		t.Errorf("panic %q, want it to say %q", msg, want)
	}
	_checker.violations.Add(-1)
}
