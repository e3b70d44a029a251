package cwzap

import (
	"context"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"go.uber.org/zap/zapcore"
)

// A Syncer is a zapcore.WriteSyncer that batches events for one log group
// and stream and ships them with PutLogEvents. Each Write is one event.
// With {date} in a name, each event goes to the stream of its own UTC day.
//
// Batches are sealed when full (events or bytes), when the oldest event is
// WithFlushInterval old, when they would span more than 24 hours, and on
// Sync. Up to WithConcurrency puts run at once. Failed puts are retried with
// backoff; a missing group or stream is created. Every event ends delivered,
// in the fallback writer, or counted as dropped (OverflowDrop, or a stuck
// fallback writer).
//
// No goroutine runs while the Syncer is idle: a sender exists only while a
// batch is waiting or in flight. Logging never waits on CloudWatch, on the
// error handler or on the fallback writer beyond the deadlines the options
// state. A Syncer is safe for concurrent use. The owner must call Sync (or
// Close) before the process exits, or the events still in memory are lost
// (WithSpool keeps them for the next process); Close also refuses further
// writes and releases the connections of the client NewSyncer built.
type Syncer struct {
	overflow    OverflowPolicy
	bufferLimit int
	syncTimeout time.Duration
	scratch     sync.Pool     // *[]byte for encoding an event outside any lock
	partsID     string        // a random id, with entries the entry id of split parts
	entries     atomic.Uint64 // oversize entries split so far

	// The owners of delivery, through which an event travels one way
	// (docs/architecture.md), and the leaves they share.
	acc     *accumulator
	disp    *dispatcher
	ledger  *ledger
	fb      *fallback
	targets *targets
	spool   *spool // WithSpool; nil for none
	rep     *reporter
	release func()    // closes the idle connections of the client NewSyncer built
	route   routeKeys // what the names take from entries (route.go)
	noRoute []byte    // the route of an event with no entry: Write, WriteEntry

	closed    atomic.Bool   // set once Close starts
	closeDone chan struct{} // closed when Close has finished
}

var _ zapcore.WriteSyncer = (*Syncer)(nil)

// NewSyncer returns a Syncer for one log group and stream. It makes no call
// to CloudWatch: the group and stream are created on the first put that
// finds them missing.
//
// Either name may be a template holding {date}, {hostname}, {pid} or
// {function} (see the package doc): "orders-{date}" sends each event to the
// stream of its own UTC day. An unknown placeholder, or a name the service
// would refuse once expanded, is an error.
//
// It returns an error naming any option value it cannot honour. Without
// WithClient it builds a client from WithAWSConfig or else the default AWS
// configuration, which honours AWS_REGION, profiles, credentials and
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS; it is an error if no region results.
// Such a client is the Syncer's: Close releases its connections. The
// caller owns the Syncer and must Sync or Close it before the process
// exits.
func NewSyncer(group, stream string, opts ...SyncerOption) (*Syncer, error) {
	groupT, streamT, route, err := parseNames(group, stream)
	if err != nil {
		return nil, err
	}
	o := buildSyncerOptions(opts)
	if err := o.err(); err != nil {
		return nil, err
	}
	rep := newReporter(o.onError)
	client, release := o.client, o.release
	if release == nil {
		release = func() {}
	}
	if client == nil {
		if client, release, err = defaultClient(o); err != nil {
			return nil, err
		}
	}
	client = wireClient(client, newWire(o.wire.compressed(), o.wire.entity, rep)) // compression and the entity, when asked

	// An arena holds the escaped event objects of one batch; half again the
	// batch's size leaves room for the quotes of JSON events.
	arenaCap := o.maxBytes + o.maxBytes/2
	o.bufferLimit = max(o.bufferLimit, 2*o.maxBytes)
	fallbackW := o.fallback
	if fallbackW == nil {
		fallbackW = os.Stderr
	}
	_, fast := client.(*cloudwatchlogs.Client)
	tg := newTargets(groupT, streamT, streamConfig{
		client:  client,
		fast:    fast,
		cfg:     machineConfig{createGroup: o.group.create},
		kmsKey:  o.group.kmsKey,
		tags:    o.group.tags,
		retain:  o.group.retention,
		class:   types.LogGroupClass(o.group.class),
		protect: o.group.protect,
		rep:     rep,
	})
	var sp *spool
	var old []string
	if o.spool.dir != "" {
		fsys := o.spool.fs
		if fsys == nil {
			fsys = osFS{}
		}
		sp, old, err = openSpool(spoolConfig{dir: o.spool.dir, limit: o.spool.limit, timeout: o.syncTimeout, fs: fsys, rep: rep})
		if err != nil {
			release()
			return nil, err
		}
	}
	maxRoutes := 0 // one route: the names take nothing from entries
	if len(route.keys) > 0 {
		maxRoutes = o.maxStreams
	}
	mem := newBudget(o.bufferLimit, arenaCap, o.maxEvents)
	fb := newFallback(fallbackW, o.syncTimeout)
	l := newLedger(groupT.text, streamT.text, fb, rep, sp)
	d := newDispatcher(o.concurrency, o.putTimeout, l, mem, tg)
	s := &Syncer{
		partsID:     newSequence().id,
		overflow:    o.overflow,
		bufferLimit: o.bufferLimit,
		syncTimeout: o.syncTimeout,
		acc: newAccumulator(accumulatorConfig{
			maxEvents:     o.maxEvents,
			maxBytes:      o.maxBytes,
			arenaCap:      arenaCap,
			bufferLimit:   o.bufferLimit,
			maxRoutes:     maxRoutes,
			flushInterval: o.flushInterval,
			block:         o.overflow == OverflowBlock,
		}, mem, tg, d, rep),
		route:     route,
		noRoute:   route.none(),
		disp:      d,
		ledger:    l,
		fb:        fb,
		targets:   tg,
		spool:     sp,
		rep:       rep,
		release:   release,
		closeDone: make(chan struct{}),
	}
	if err := s.replay(old); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// defaultClient builds the client of a Syncer given no WithClient, and
// returns what releases its connections.
func defaultClient(o syncerOptions) (Client, func(), error) {
	return newClient(context.Background(), clientSource{config: o.awsConfig}) // awsconfig.go
}

// Write stores p as one event stamped now. One trailing newline is trimmed;
// an empty event is not stored. It returns len(p) unless the Syncer is
// closed (ErrClosed; the event goes to the fallback writer).
func (s *Syncer) Write(p []byte) (int, error) {
	if err := s.WriteEntry(time.Now(), p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteEntry stores p as one event with time t (the zero time means now).
// The Core calls it with the entry's time when it writes a text format.
// One trailing newline is trimmed and an empty event is not stored. An
// event larger than MaxEventBytes is split into parts (see the package
// doc); invalid UTF-8 is replaced with U+FFFD. p is copied: the caller may
// reuse it when WriteEntry returns.
func (s *Syncer) WriteEntry(t time.Time, p []byte) error {
	return s.writeText(t, p, s.noRoute)
}

// writeText is WriteEntry on route, for a Core of a text format too.
func (s *Syncer) writeText(t time.Time, p []byte, route []byte) error {
	if n := len(p); n > 0 && p[n-1] == '\n' {
		p = p[:n-1]
	}
	if len(p) == 0 {
		return nil
	}
	bp := s.getScratch()
	obj, ev := appendEventObject((*bp)[:0], eventTime(t), p)
	*bp = obj
	ev.route = route
	err := s.write(&ev, p)
	s.putScratch(bp)
	return err
}

// writeEvent stores an event a Core's encoder made of an entry.
func (s *Syncer) writeEvent(ev *event) error { return s.write(ev, nil) }

// write stores ev, in parts when it is larger than one event may be. raw
// is its text, or nil to get it back from the object where it is needed:
// for the parts, and for the fallback writer.
func (s *Syncer) write(ev *event, raw []byte) error {
	if ev.size <= MaxEventBytes {
		_, err := s.store(ev, raw, 0)
		return err
	}
	if raw == nil {
		bp := s.getScratch()
		defer s.putScratch(bp)
		raw = appendMessage((*bp)[:0], ev.obj)
		*bp = raw
	}
	return s.writeParts(ev.ts, raw, ev.route)
}

func (s *Syncer) getScratch() *[]byte {
	if bp, ok := s.scratch.Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, 0, 1024)
	return &b
}

func (s *Syncer) putScratch(bp *[]byte) {
	if cap(*bp) <= _maxPooled {
		s.scratch.Put(bp)
	}
}

// store accepts ev and hands it to the accumulator (and the spool), or
// settles it at once when the Syncer is closed or the buffer full. raw is
// as for write; after, as for accumulator.add. It returns the seq of the
// batch that took the event, or 0.
func (s *Syncer) store(ev *event, raw []byte, after uint64) (uint64, error) {
	s.ledger.accepted()
	seq, r := s.take(ev, after)
	if r == added {
		if s.spool != nil {
			s.spool.append(seq, ev)
		}
		return seq, nil
	}
	drop := r != refused && s.overflow == OverflowDrop
	if raw == nil && !drop {
		// The fallback writer copies the line: a pooled buffer will do.
		bp := s.getScratch()
		defer s.putScratch(bp)
		raw = appendMessage((*bp)[:0], ev.obj)
		*bp = raw
	}
	if r == refused {
		s.ledger.direct(raw, false)
		return 0, ErrClosed
	}
	s.ledger.overflowed(raw, drop, r == overflowFirst, s.bufferLimit)
	return 0, nil
}

// take hands ev to the accumulator, with room in the spool reserved for
// it; the caller appends an event added to the spool.
func (s *Syncer) take(ev *event, after uint64) (uint64, addResult) {
	if s.spool != nil && !s.spool.reserve(ev) {
		return 0, s.acc.overflow()
	}
	seq, r := s.acc.add(ev, after)
	if r != added && s.spool != nil {
		s.spool.unreserve(ev)
	}
	return seq, r
}

// writeParts stores an oversize event as several part events (split.go),
// each batch of a later part put only once the earlier one is settled, so
// that the parts are stored in order.
func (s *Syncer) writeParts(ts int64, p, route []byte) error {
	var buf []byte
	var seq uint64
	id := s.partsID + "-" + strconv.FormatUint(s.entries.Add(1), 10)
	for _, part := range splitEvent(p, MaxEventBytes, id) {
		var ev event
		buf, ev = appendEventObject(buf[:0], ts, part)
		ev.route = route
		stored, err := s.store(&ev, part, seq)
		if err != nil {
			return err
		}
		if stored != 0 { // a part that overflowed leaves the order to the one before
			seq = stored
		}
	}
	return nil
}

// reportSetup hands the reporter what the Core's encoder finds while
// encoding: a metric CloudWatch would not extract, once.
func (s *Syncer) reportSetup(err error) { s.rep.report(reportSetup, "", err) }

// Stats returns the Syncer's counters. It is safe to call at any time; the
// counters are read one by one, so they add up only when no event is in
// motion (after Sync, with writers stopped).
func (s *Syncer) Stats() Stats {
	return s.ledger.snapshot()
}

// SpoolStats returns the counters of the Syncer's spool, or the zero
// SpoolStats without WithSpool. It is safe to call at any time.
func (s *Syncer) SpoolStats() SpoolStats {
	if s.spool == nil {
		return SpoolStats{}
	}
	return s.spool.snapshot()
}
