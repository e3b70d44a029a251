package cwzap

import "sync"

// Lock ranks. Each owner of a Syncer's state guards it with one lock, and
// the locks have a total order, their rank: a goroutine holding a lock
// takes only locks of a higher rank, and holds none while it calls user
// code (the error handler, the fallback writer, a Client) or does file or
// network I/O. So no cycle of waits can form, and nothing outside the
// package can hold a caller by holding a lock of ours.
//
// The order is a fact the tests establish, as the Go runtime's static lock
// ranking (runtime/lockrank.go) does for its own locks: the package's test
// build sets _lockCheck (lockrank_test.go), which fails any acquisition
// against the order and any call out (outside) while a ranked lock is
// held. A normal build pays one nil check a lock.

// lockRank is the place of a lock in the order: lower ranks are taken
// first.
type lockRank uint8

const (
	_ lockRank = iota // the zero rank: a lock whose owner forgot to rank it
	rankAccumulator
	rankDispatcher
	rankLedger
	rankTargets
	rankBudget
	rankSpool
	rankFallback
	rankStream
	rankReporter
)

var _rankNames = [...]string{"unranked", "accumulator", "dispatcher", "ledger", "targets", "budget", "spool", "fallback", "stream", "reporter"}

func (r lockRank) String() string {
	if int(r) < len(_rankNames) {
		return _rankNames[r]
	}
	return "rank?"
}

// A rankedMutex is a sync.Mutex with a rank; its owner sets the rank when
// it is made.
type rankedMutex struct {
	mu     sync.Mutex
	rank   lockRank
	holder uint64 // the checker's: who holds it, so that Unlock need not ask
}

func (m *rankedMutex) Lock() {
	if c := _lockCheck; c != nil {
		id := c.acquire(m.rank)
		m.mu.Lock()
		m.holder = id
		return
	}
	m.mu.Lock()
}

func (m *rankedMutex) Unlock() {
	if c := _lockCheck; c != nil {
		id := m.holder
		m.mu.Unlock()
		c.release(id, m.rank)
		return
	}
	m.mu.Unlock()
}

// outside marks a call out of the package's state: user code, file or
// network I/O, or a wait on another goroutine. what names it for the
// checker's message.
func outside(what string) {
	if c := _lockCheck; c != nil {
		c.none(what)
	}
}

// A lockChecker checks each acquisition, release and call out of the
// goroutine making it: acquire returns the goroutine's id, which the
// mutex keeps for its release.
type lockChecker interface {
	acquire(lockRank) uint64
	release(id uint64, r lockRank)
	none(what string)
}

// _lockCheck is nil but in the package's tests.
var _lockCheck lockChecker
