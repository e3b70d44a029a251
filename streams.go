package cwzap

// Targets: where each batch goes. A Syncer whose names hold {date} writes
// to one stream (or group) per UTC day of its events; every batch carries
// its target, so one PutLogEvents call always goes to one stream, and a
// Sync, which waits on the batches' sequence numbers, covers every stream.
//
// A day change seals the open batch rather than keeping one open batch per
// day: events either side of midnight interleave only for the moments
// that writers' clocks and goroutines disagree, which costs a few small
// puts once a day, while one open batch keeps the flush timer, the buffer
// accounting and the sync machinery as they are for a single stream.

// A target is one expanded group and stream, with what the put machine
// knows of it.
type target struct {
	day    int64  // UTC day number; 0 when the names hold no {date}
	header []byte // the start of every request body (requestHeader)
	st     *logStream
	refs   int // batches open, queued or in flight for it; guarded by Syncer.mu
}

// dayFor returns the day number that selects the target of an event at ts.
func (s *Syncer) dayFor(ts int64) int64 {
	if !s.dated {
		return 0
	}
	return dayOf(ts)
}

// targetLocked returns the target for day, made on first use. Making one
// drops the targets no batch refers to but the newest, so that a Syncer
// that lives for months keeps two or three.
func (s *Syncer) targetLocked(day int64) *target {
	if t := s.newest; t != nil && t.day == day {
		return t
	}
	if t := s.targets[day]; t != nil {
		return t
	}
	group, stream := s.groupT.expand(day), s.streamT.expand(day)
	st := &logStream{
		streamConfig: s.proto,
		group:        group,
		name:         stream,
		tokenMu:      make(chan struct{}, 1),
		createMu:     make(chan struct{}, 1),
	}
	t := &target{day: day, header: requestHeader(group, stream), st: st}
	for d, old := range s.targets {
		if old.refs == 0 && old != s.newest {
			delete(s.targets, d)
		}
	}
	s.targets[day] = t
	if s.newest == nil || day > s.newest.day {
		s.newest = t
	}
	return t
}

// useLocked makes target t the target of batch b, which takes no event yet.
func (b *batch) useLocked(t *target) {
	b.tgt = t
	t.refs++
}

// releaseLocked ends b's use of its target, once its events are settled.
func (b *batch) releaseLocked() {
	if b.tgt != nil {
		b.tgt.refs--
		b.tgt = nil
	}
}
