package cwzap

import "slices"

// A budget owns the memory of a Syncer's batches. It counts the log data
// they hold against WithBufferLimit, as CloudWatch counts it (message
// bytes + EventOverhead an event), hands out batches (recycled, or new
// when the limit allows), grows the open one on demand, takes settled ones
// back, and keeps one spare when idle.
//
// An open batch is charged as full (the most it takes: WithMaxBatchBytes,
// or its route's share) and, once sealed, what it holds; so the events
// held never exceed the limit, and at the limit they fill it but for the
// open batches' worth. The memory behind them is larger by
// the escaping and framing of the request body and the index (about 1.3
// to 1.6 times for events of 100 bytes to 1 KB; see WithBufferLimit).
//
// The accumulator takes and grows batches; the ledger gives them back. It
// calls no other owner, so its lock is always the innermost; mu guards
// every field below it.
type budget struct {
	limit     int // WithBufferLimit
	arenaCap  int // the most an arena grows to, but for one huge event
	maxEvents int // WithMaxBatchEvents

	mu         rankedMutex
	held       int           // log data charged for the batches out
	out        int           // batches taken and not given back
	free       []*batch      // recycled batches, reset
	space      chan struct{} // closed when held shrinks; OverflowBlock waits on it
	lastArena  int           // arena bytes used by the last sealed batch
	lastEvents int           // events in the last sealed batch
}

// A new batch starts as large as the last sealed one, at least this, and
// grows (grow) up to arenaCap, so that small batches (WithMaxBatchEvents,
// WithMaxBatchBytes, quiet services) hold little memory; recycled batches
// keep what they grew to.
const (
	_firstArena  = 64 << 10
	_firstEvents = 256
)

func newBudget(limit, arenaCap, maxEvents int) *budget {
	return &budget{limit: limit, arenaCap: arenaCap, maxEvents: maxEvents, mu: rankedMutex{rank: rankBudget}}
}

// take returns a batch, charged as full at charge bytes of log data, whose
// arena takes an event object of n bytes and its comma (see batch.add): a
// recycled one, or a new one if the limit allows it. A budget that holds
// nothing always gives one, so that an event larger than the limit is
// still sent. A new batch is made outside mu: zeroing a large arena takes
// a while.
//
// When there is no room it returns nil and, if wait is set, a channel
// that is closed once room may have been freed (taken under the same lock,
// so no give is missed).
func (m *budget) take(n, charge int, wait bool) (*batch, <-chan struct{}) {
	m.mu.Lock()
	if m.out > 0 && m.held+charge > m.limit {
		var space chan struct{}
		if wait {
			if m.space == nil {
				m.space = make(chan struct{})
			}
			space = m.space
		}
		m.mu.Unlock()
		return nil, space
	}
	m.held += charge
	m.out++
	for k := len(m.free) - 1; k >= 0; k-- {
		if b := m.free[k]; 1+n <= cap(b.arena) {
			m.free = slices.Delete(m.free, k, k+1)
			m.mu.Unlock()
			b.maxBytes = charge
			return b, nil
		}
	}
	// As large as the last batch got and a sixteenth, so that a busy
	// Syncer does not grow (and copy) every arena, while a quiet one keeps
	// small ones.
	size := max(min(max(_firstArena, m.lastArena+m.lastArena/16), m.arenaCap), 1+n)
	events := min(max(_firstEvents, m.lastEvents+m.lastEvents/16), m.maxEvents)
	m.mu.Unlock()
	b := newBatch(size, events)
	b.maxBytes = charge
	return b, nil
}

// grow makes room in batch b, which the caller has taken, for an event
// object of n bytes (and its comma) and one more index entry, within the
// arena cap, and reports whether it could. Growing holds no more log data,
// so the limit allows it.
func (m *budget) grow(b *batch, n int) bool {
	need := len(b.arena) + 1 + n
	if need > m.arenaCap {
		return false
	}
	// To what b will need when full, at the arena bytes and the events it
	// holds a byte of log data so far and a sixteenth more, but at least
	// twice and at most eight times its size: a busy Syncer's first batch
	// grows once or twice, not five times, leaving less garbage.
	arenaCap, eventsCap := cap(b.arena), cap(b.slots)
	full := func(now, least int) int {
		want := now
		if b.size > 0 {
			want = int(int64(now) * int64(b.maxBytes) / int64(b.size))
		}
		return min(max(want+want/16, 2*least), 8*least)
	}
	if need > arenaCap {
		arenaCap = min(max(full(len(b.arena), arenaCap), need), m.arenaCap)
	}
	if len(b.slots) == eventsCap {
		eventsCap = min(full(len(b.slots), eventsCap), m.maxEvents)
	}
	if arenaCap > cap(b.arena) {
		b.arena = append(make([]byte, 0, arenaCap), b.arena...)
	}
	if eventsCap > cap(b.slots) {
		b.slots = append(make([]slot, 0, eventsCap), b.slots...)
	}
	return true
}

// charge charges an open batch for n more bytes of log data, as the
// accumulator widens it, if the limit allows; it reports whether it did.
func (m *budget) charge(n int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held+n > m.limit {
		return false
	}
	m.held += n
	return true
}

// sealed charges a batch as it is sealed for what it holds, no longer as
// full, and notes its size for the next new one.
func (m *budget) sealed(b *batch) {
	m.mu.Lock()
	m.held -= b.maxBytes - b.size
	m.lastArena, m.lastEvents = len(b.arena), b.len()
	m.wakeLocked()
	m.mu.Unlock()
}

// give takes back a batch that take returned, settled or never used, and
// wakes writers waiting for room. An idle Syncer keeps one batch for the
// next event.
func (m *budget) give(b *batch) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.out--
	if b.seq == 0 {
		m.held -= b.maxBytes // never opened: charged as full
	} else {
		m.held -= b.size
	}
	if cap(b.arena) <= m.arenaCap {
		b.reset()
		m.free = append(m.free, b)
	}
	if m.out == 0 {
		m.dropFreeLocked(1)
	}
	m.wakeLocked()
}

// dropFreeLocked releases recycled batches until keep are left.
func (m *budget) dropFreeLocked(keep int) {
	for len(m.free) > keep {
		k := len(m.free) - 1
		m.free[k] = nil
		m.free = m.free[:k]
	}
}

// wake wakes every writer waiting for room, as when the Syncer closes.
func (m *budget) wake() {
	m.mu.Lock()
	m.wakeLocked()
	m.mu.Unlock()
}

func (m *budget) wakeLocked() {
	if m.space != nil {
		close(m.space)
		m.space = nil
	}
}
