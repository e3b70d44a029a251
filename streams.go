package cwzap

// Targets: where each batch goes. A Syncer whose names hold {date} writes
// to one stream (or group) per UTC day of its events. A batch is not
// sealed at midnight: events either side of it arrive interleaved for as
// long as writers' clocks and goroutines disagree, and sealing at each
// change of day would make a batch, and a put, of nearly every event.
// Instead a batch, which spans 24 hours at most and so two days, is given
// a target per day when it is sealed, and sent sorted as one put per day:
// each PutLogEvents call still goes to one stream, and a Sync, which waits
// on the batches' sequence numbers, covers every stream.

// A target is one expanded group and stream, with what the put machine
// knows of it.
type target struct {
	day    int64  // UTC day number; 0 when the names hold no {date}
	header []byte // the start of every request body (requestHeader)
	st     *logStream
	refs   int // sealed batches not yet settled that go here; guarded by Syncer.mu
}

// dayFor returns the day number that selects the target of an event at ts.
func (s *Syncer) dayFor(ts int64) int64 {
	if !s.dated {
		return 0
	}
	return dayOf(ts)
}

// targetBatchLocked sets the targets of batch b as it is sealed.
func (s *Syncer) targetBatchLocked(b *batch) {
	first, last := s.dayFor(b.minTS), s.dayFor(b.maxTS)
	b.tgt = s.targetLocked(first)
	b.tgt.refs++
	if last != first {
		b.tgt2 = s.targetLocked(last)
		b.tgt2.refs++
	}
}

// releaseLocked ends b's use of its targets, once its events are settled.
func (b *batch) releaseLocked() {
	for _, t := range [...]*target{b.tgt, b.tgt2} {
		if t != nil {
			t.refs--
		}
	}
	b.tgt, b.tgt2 = nil, nil
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
