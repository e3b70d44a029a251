package cwzap

import (
	"slices"
	"time"
)

// The memory a Syncer holds: batches are counted by their whole arenas
// against WithBufferLimit, recycled, grown on demand, and released when
// idle.

// takeFreeLocked returns a recycled batch whose arena takes n bytes, or nil.
func (s *Syncer) takeFreeLocked(n int) *batch {
	for k := len(s.free) - 1; k >= 0; k-- {
		if b := s.free[k]; n <= cap(b.arena) {
			s.free = slices.Delete(s.free, k, k+1)
			return b
		}
	}
	return nil
}

// reserveLocked counts a new batch whose arena takes n bytes in held, if
// the buffer limit allows it, and returns its sizes for newBatch. A
// Syncer that holds nothing always gets one, so an event larger than the
// limit is still sent.
func (s *Syncer) reserveLocked(n int) (size, events int, ok bool) {
	// As large as the last batch got, so that a busy Syncer does not grow
	// (and copy) every arena, while a quiet one keeps small ones.
	size = max(min(max(_firstArena, s.lastArena), s.arenaCap), n)
	events = min(max(_firstEvents, s.lastEvents), s.opts.maxEvents)
	mem := size + events*_eventSize
	// Trade recycled batches, too small for this event, for a new one.
	for len(s.free) > 0 && s.held+mem > s.opts.bufferLimit {
		s.dropFreeLocked(len(s.free) - 1)
	}
	if s.held > s.opts.concurrency*_putOverhead && s.held+mem > s.opts.bufferLimit {
		return 0, 0, false
	}
	s.held += mem
	return size, events, true
}

// A new batch starts as large as the last sealed one, at least this, and
// grows (growLocked) up to arenaCap, so that small batches
// (WithMaxBatchEvents, WithMaxBatchBytes, quiet services) hold little
// memory; recycled batches keep what they grew to.
const (
	_firstArena  = 64 << 10
	_firstEvents = 256
)

// growLocked makes room in the open batch for an object of n bytes and
// one more index entry, within the arena cap and the buffer limit, and
// reports whether it could.
func (s *Syncer) growLocked(b *batch, n int) bool {
	need := len(b.arena) + n
	if need > s.arenaCap {
		return false
	}
	arenaCap, eventsCap := cap(b.arena), cap(b.events)
	if need > arenaCap {
		arenaCap = min(max(2*arenaCap, need), s.arenaCap)
	}
	if len(b.events) == eventsCap {
		eventsCap = min(2*eventsCap, s.opts.maxEvents)
	}
	delta := arenaCap - cap(b.arena) + (eventsCap-cap(b.events))*_eventSize
	if s.held+delta > s.opts.bufferLimit {
		s.dropFreeLocked(0)
		if s.held+delta > s.opts.bufferLimit {
			return false
		}
	}
	// Exact capacities, unlike append's growth, keep held true.
	s.held -= b.mem()
	if arenaCap > cap(b.arena) {
		b.arena = append(make([]byte, 0, arenaCap), b.arena...)
	}
	if eventsCap > cap(b.events) {
		b.events = append(make([]event, 0, eventsCap), b.events...)
	}
	s.held += b.mem()
	return true
}

// _putOverhead is what one put in flight holds besides its batch (the
// SDK's request, the HTTP transport's buffers), reserved in held so that
// the buffer limit bounds the Syncer's whole footprint.
const _putOverhead = 64 << 10

// dropFreeLocked releases recycled batches until keep are left.
func (s *Syncer) dropFreeLocked(keep int) {
	for len(s.free) > keep {
		k := len(s.free) - 1
		s.held -= s.free[k].mem()
		s.free[k] = nil
		s.free = s.free[:k]
	}
}

// waitForSpaceLocked waits, with mu released, until a put frees room or the
// deadline passes. It reports whether room may have been freed.
func (s *Syncer) waitForSpaceLocked(deadline time.Time) bool {
	wait := time.Until(deadline)
	if wait <= 0 {
		return false
	}
	if s.space == nil {
		s.space = make(chan struct{})
	}
	ch := s.space
	s.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ch:
		s.mu.Lock()
		return true
	case <-t.C:
		s.mu.Lock()
		return false
	}
}
