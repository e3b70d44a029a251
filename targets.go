package cwzap

import (
	"cmp"
	"slices"
)

// Targets: where each batch goes. A Syncer writes each event to the stream
// (and group) its names expand to for the event's route (route.go: the
// values its names take from the entry; a batch holds the events of one
// route) and, when they hold {date}, its UTC day. A batch is not
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
	key    targetKey
	header []byte // the start of every request body (requestHeader)
	st     *logStream
	refs   int // batches not yet released that go here; guarded by targets.mu
}

// A targetKey is what selects a target: a route and a day.
type targetKey struct {
	route string
	day   int64 // UTC day number; 0 when the names hold no {date}
}

// targets owns the targets of a Syncer, one per route and day in use. The
// dispatcher's batches get theirs as they are sealed, and release them
// once settled. It calls no other owner; mu guards the map, newest and
// every target's refs.
type targets struct {
	groupT, streamT nameTemplate
	dated           bool         // a name holds {date}: one target per UTC day
	proto           streamConfig // what every target's logStream shares

	mu     rankedMutex
	byKey  map[targetKey]*target
	newest *target // the target made last
}

func newTargets(groupT, streamT nameTemplate, proto streamConfig) *targets {
	return &targets{
		groupT:  groupT,
		streamT: streamT,
		dated:   groupT.dated() || streamT.dated(),
		proto:   proto,
		mu:      rankedMutex{rank: rankTargets},
		byKey:   make(map[targetKey]*target, 2),
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
	b.tgt = ts.getLocked(targetKey{b.route, first})
	b.tgt.refs++
	if last != first {
		b.tgt2 = ts.getLocked(targetKey{b.route, last})
		b.tgt2.refs++
	}
}

// release ends b's use of its targets, once the batch is settled. A
// target no batch refers to any more is dropped, but the one made last,
// so that a Syncer that lives for months, or writes for thousands of
// tenants, keeps only those its batches need.
func (ts *targets) release(b *batch) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, t := range [...]*target{b.tgt, b.tgt2} {
		if t == nil {
			continue
		}
		if t.refs--; t.refs == 0 && t != ts.newest {
			delete(ts.byKey, t.key)
		}
	}
	b.tgt, b.tgt2 = nil, nil
}

// len returns how many targets are kept.
func (ts *targets) len() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.byKey)
}

// getLocked returns the target of key, made on first use.
func (ts *targets) getLocked(key targetKey) *target {
	if t := ts.newest; t != nil && t.key == key {
		return t
	}
	if t := ts.byKey[key]; t != nil {
		return t
	}
	vals := splitRoute(key.route)
	group, stream := ts.groupT.expand(key.day, vals), ts.streamT.expand(key.day, vals)
	t := &target{key: key, header: requestHeader(group, stream), st: newLogStream(ts.proto, group, stream)}
	if old := ts.newest; old != nil && old.refs == 0 {
		delete(ts.byKey, old.key) // it stays no longer than until another is made
	}
	ts.byKey[key] = t
	ts.newest = t
	return t
}

// nextDay returns the index of the first event of the batch's second
// day (tgt2), or its length when it has one day. The batch must be sorted.
func (b *batch) nextDay() int {
	if b.tgt2 == nil {
		return b.len()
	}
	k, _ := slices.BinarySearchFunc(b.slots, b.tgt2.key.day, func(e slot, day int64) int {
		return cmp.Compare(dayOf(e.ts), day)
	})
	return k
}
