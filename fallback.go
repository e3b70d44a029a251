package cwzap

// The fallback writer takes every event that does not reach CloudWatch:
// failed for good, rejected, still pending at a sync deadline, written
// after Close, or overflowing under OverflowFallback. Each event is one
// line, written in one call.

// toFallback writes one event, as a line, to the fallback writer.
func (s *Syncer) toFallback(p []byte) {
	s.stats.fallback.Add(1)
	s.fbMu.Lock()
	defer s.fbMu.Unlock()
	s.fbBuf = append(append(s.fbBuf[:0], p...), '\n')
	s.writeFallbackLocked()
}

// toFallbackEvents writes events [lo, hi) of b to the fallback writer.
func (s *Syncer) toFallbackEvents(b *batch, lo, hi int) {
	s.stats.fallback.Add(uint64(hi - lo))
	s.fbMu.Lock()
	defer s.fbMu.Unlock()
	for _, e := range b.events[lo:hi] {
		s.fbBuf = append(appendMessage(s.fbBuf[:0], b.arena[e.off:e.end]), '\n')
		s.writeFallbackLocked()
	}
}

// writeFallbackLocked writes fbBuf in one call, so that a line-oriented
// writer sees whole lines, and keeps a huge line's buffer from staying.
func (s *Syncer) writeFallbackLocked() {
	s.fallback.Write(s.fbBuf)
	if cap(s.fbBuf) > _maxPooled {
		s.fbBuf = nil
	}
}
