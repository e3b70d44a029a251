package cwzap

import "time"

// The fallback writer takes every event that does not reach CloudWatch:
// failed for good, rejected, still pending at a sync deadline, written
// after Close, or overflowing under OverflowFallback. Each event is one
// line, and a line is never split across calls.

// toFallback writes one event, as a line, to the fallback writer.
func (s *Syncer) toFallback(p []byte) {
	s.stats.fallback.Add(1)
	s.fbMu.Lock()
	defer s.fbMu.Unlock()
	s.fbBuf = append(append(s.fbBuf[:0], p...), '\n')
	s.writeFallbackLocked()
	s.fbWritten.Add(1)
}

// toFallbackEvents writes events [lo, hi) of b to the fallback writer,
// whole lines of up to _fallbackChunk bytes a call: a batch abandoned at a
// deadline holds up to 10,000 events, and the caller is waiting.
func (s *Syncer) toFallbackEvents(b *batch, lo, hi int) {
	s.stats.fallback.Add(uint64(hi - lo))
	s.fbMu.Lock()
	defer s.fbMu.Unlock()
	if n := hi - lo; n >= _costSample {
		start := time.Now()
		defer func() { s.fbCost.Store(int64(time.Since(start)) / int64(n)) }()
	}
	s.fbBuf = s.fbBuf[:0]
	inBuf := 0
	for _, e := range b.events[lo:hi] {
		if inBuf > 0 && len(s.fbBuf)+int(e.end-e.off) > _fallbackChunk {
			s.writeFallbackLocked()
			s.fbWritten.Add(uint64(inBuf))
			s.fbBuf, inBuf = s.fbBuf[:0], 0
		}
		s.fbBuf = append(appendMessage(s.fbBuf, b.arena[e.off:e.end]), '\n')
		inBuf++
	}
	if inBuf > 0 {
		s.writeFallbackLocked()
		s.fbWritten.Add(uint64(inBuf))
	}
}

const _fallbackChunk = 32 << 10

// _costSample is the fewest events whose write times the fallback writer
// (Syncer.fbCost), so that a sync deadline leaves room to write what is
// pending.
const _costSample = 100

// writeFallbackLocked writes fbBuf in one call, so that a line-oriented
// writer sees whole lines, and keeps a huge line's buffer from staying.
func (s *Syncer) writeFallbackLocked() {
	s.fallback.Write(s.fbBuf)
	if cap(s.fbBuf) > _maxPooled {
		s.fbBuf = nil
	}
}
