package cwzap

import (
	"cmp"
	"slices"
)

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
	refs   int // batches not yet released that go here; guarded by targets.mu
}

// targets owns the targets of a Syncer, one per day in use. The
// accumulator assigns them to a batch as it seals it; the ledger releases
// them once the batch is settled. It calls no other owner; mu guards the
// map, newest and every target's refs.
type targets struct {
	groupT, streamT nameTemplate
	dated           bool         // a name holds {date}: one target per UTC day
	proto           streamConfig // what every target's logStream shares

	mu     rankedMutex
	byDay  map[int64]*target
	newest *target // the target of the latest day seen
}

func newTargets(groupT, streamT nameTemplate, proto streamConfig) *targets {
	return &targets{
		groupT:  groupT,
		streamT: streamT,
		dated:   groupT.dated() || streamT.dated(),
		proto:   proto,
		mu:      rankedMutex{rank: rankTargets},
		byDay:   make(map[int64]*target, 2),
	}
}

// dayFor returns the day number that selects the target of an event at ts.
func (ts *targets) dayFor(ms int64) int64 {
	if !ts.dated {
		return 0
	}
	return dayOf(ms)
}

// assign sets the targets of batch b, which is sorted and being sealed.
func (ts *targets) assign(b *batch) {
	first, last := ts.dayFor(b.minTS), ts.dayFor(b.maxTS)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	b.tgt = ts.getLocked(first)
	b.tgt.refs++
	if last != first {
		b.tgt2 = ts.getLocked(last)
		b.tgt2.refs++
	}
}

// release ends b's use of its targets, once the batch is settled.
func (ts *targets) release(b *batch) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, t := range [...]*target{b.tgt, b.tgt2} {
		if t != nil {
			t.refs--
		}
	}
	b.tgt, b.tgt2 = nil, nil
}

// len returns how many targets are kept.
func (ts *targets) len() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.byDay)
}

// getLocked returns the target for day, made on first use. Making one
// drops the targets no batch refers to but the newest, so that a Syncer
// that lives for months keeps two or three.
func (ts *targets) getLocked(day int64) *target {
	if t := ts.newest; t != nil && t.day == day {
		return t
	}
	if t := ts.byDay[day]; t != nil {
		return t
	}
	group, stream := ts.groupT.expand(day), ts.streamT.expand(day)
	t := &target{day: day, header: requestHeader(group, stream), st: newLogStream(ts.proto, group, stream)}
	for d, old := range ts.byDay {
		if old.refs == 0 && old != ts.newest {
			delete(ts.byDay, d)
		}
	}
	ts.byDay[day] = t
	if ts.newest == nil || day > ts.newest.day {
		ts.newest = t
	}
	return t
}

// nextDay returns the index of the first event of the batch's second
// day (tgt2), or its length when it has one day. The batch must be sorted.
func (b *batch) nextDay() int {
	if b.tgt2 == nil {
		return b.len()
	}
	k, _ := slices.BinarySearchFunc(b.slots, b.tgt2.day, func(e slot, day int64) int {
		return cmp.Compare(dayOf(e.ts), day)
	})
	return k
}
