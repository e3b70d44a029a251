package cwzap

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/zap/zapcore"
)

// Client is the part of *cloudwatchlogs.Client that a Syncer calls. A
// *cloudwatchlogs.Client gets the fast path, in which the Syncer writes the
// PutLogEvents body itself; any other implementation receives ordinary
// inputs. The Syncer passes per-call options that turn the SDK's own retries
// off (it retries itself); an implementation may ignore them.
type Client interface {
	PutLogEvents(ctx context.Context, in *cloudwatchlogs.PutLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error)
	CreateLogGroup(ctx context.Context, in *cloudwatchlogs.CreateLogGroupInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	CreateLogStream(ctx context.Context, in *cloudwatchlogs.CreateLogStreamInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogStreamOutput, error)
	DescribeLogStreams(ctx context.Context, in *cloudwatchlogs.DescribeLogStreamsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogStreamsOutput, error)
	PutRetentionPolicy(ctx context.Context, in *cloudwatchlogs.PutRetentionPolicyInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error)
}

var _ Client = (*cloudwatchlogs.Client)(nil)

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
// batch is waiting or in flight. A Syncer is safe for concurrent use. The
// owner must call Sync (or Close) before the process exits, or the events
// still in memory are lost (WithSpool keeps them for the next process);
// Close also refuses further writes.
//
// The Syncer wires the owners of delivery, each with its own state and
// lock, through which an event travels one way: the accumulator (the open
// batch), the dispatcher (queue, senders, the put machine), the ledger
// (outcomes, Sync's waits, Stats), and the leaves they use, the budget
// (memory), the targets (streams) and the fallback writer.
type Syncer struct {
	overflow    OverflowPolicy
	bufferLimit int
	syncTimeout time.Duration
	scratch     sync.Pool     // *[]byte for encoding an event outside any lock
	partsID     string        // a random id, with entries the entry id of split parts
	entries     atomic.Uint64 // oversize entries split so far

	acc     *accumulator
	disp    *dispatcher
	ledger  *ledger
	fb      *fallback
	targets *targets
	spool   *spool // WithSpool; nil for none

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
// WithClient or WithAWSConfig it loads the default AWS configuration, which
// honours AWS_REGION, profiles, credentials and
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS; it is an error if no region results.
// The caller owns the Syncer and must Sync or Close it before the process
// exits.
func NewSyncer(group, stream string, opts ...SyncerOption) (*Syncer, error) {
	groupT, streamT, err := parseNames(group, stream)
	if err != nil {
		return nil, err
	}
	o := buildSyncerOptions(opts)
	if err := o.err(); err != nil {
		return nil, err
	}
	client := o.client
	if client == nil {
		var err error
		if client, err = defaultClient(o); err != nil {
			return nil, err
		}
	}
	client = o.wireClient(client) // compression and the entity, when asked

	// An arena holds the escaped event objects of one batch; half again the
	// batch's size leaves room for the quotes of JSON events.
	arenaCap := o.maxBytes + o.maxBytes/2
	o.bufferLimit = max(o.bufferLimit, 2*o.maxBytes)
	fallbackW, onError := o.fallback, o.onError
	if fallbackW == nil {
		fallbackW = os.Stderr
	}
	if onError == nil {
		onError = func(err error) { fmt.Fprintln(os.Stderr, err) }
	}
	_, fast := client.(*cloudwatchlogs.Client)
	tg := newTargets(groupT, streamT, streamConfig{
		client:  client,
		fast:    fast,
		cfg:     machineConfig{createGroup: o.group.create},
		kmsKey:  o.group.kmsKey,
		tags:    o.group.tags,
		retain:  o.group.retention,
		class:   o.group.class,
		protect: o.group.protect,
		onError: onError,
	})
	mem := newBudget(o.bufferLimit, o.maxBytes, arenaCap, o.maxEvents)
	fb := newFallback(fallbackW, o.syncTimeout)
	l := newLedger(groupT.text, streamT.text, fb, mem, tg, onError)
	d := newDispatcher(o.concurrency, o.putTimeout, l)
	var sp *spool
	var old []string
	if o.spool.dir != "" {
		var err error
		if sp, old, err = openSpool(o.spool.dir, o.spool.limit, o.syncTimeout, onError); err != nil {
			return nil, err
		}
		l.spool = sp
	}
	s := &Syncer{
		partsID:     newSequence().id,
		overflow:    o.overflow,
		bufferLimit: o.bufferLimit,
		syncTimeout: o.syncTimeout,
		acc:         newAccumulator(&o, arenaCap, mem, tg, d),
		disp:        d,
		ledger:      l,
		fb:          fb,
		targets:     tg,
		spool:       sp,
		closeDone:   make(chan struct{}),
	}
	s.acc.spool = sp
	if err := s.replay(old); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func defaultClient(o syncerOptions) (Client, error) {
	c, err := newClient(context.Background(), clientSource{config: o.awsConfig}) // awsconfig.go
	if err != nil {
		return nil, err
	}
	return c, nil
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
// The Core calls it with the entry's time. One trailing newline is trimmed
// and an empty event is not stored. An event larger than MaxEventBytes is
// split into parts (see the package doc); invalid UTF-8 is replaced with
// U+FFFD. p is copied: the caller may reuse it when WriteEntry returns.
func (s *Syncer) WriteEntry(t time.Time, p []byte) error {
	if n := len(p); n > 0 && p[n-1] == '\n' {
		p = p[:n-1]
	}
	if len(p) == 0 {
		return nil
	}
	if t.IsZero() {
		t = time.Now()
	}
	ts := t.UnixMilli()
	if s.closed.Load() {
		s.ledger.accepted()
		s.ledger.direct(p, false)
		return ErrClosed
	}
	bp := s.getScratch()
	obj, size := appendEventObject((*bp)[:0], ts, p)
	*bp = obj
	var err error
	if size > MaxEventBytes {
		err = s.writeParts(ts, p)
	} else {
		_, err = s.store(ts, obj, p, size, 0)
	}
	s.putScratch(bp)
	return err
}

// writeEvent stores an event object that a Core's encoder wrote in the
// wire form (encodeEvent): WriteEntry without the escaping, which the
// encoder did. The rare paths, an entry to split and a closed Syncer, get
// the entry's text back from it.
func (s *Syncer) writeEvent(ts int64, obj []byte) error {
	size := wireSize(obj[eventPrefixLen(obj) : len(obj)-len(`"}`)])
	if size <= MaxEventBytes && !s.closed.Load() {
		_, err := s.store(ts, obj, nil, size, 0)
		return err
	}
	bp := s.getScratch()
	defer s.putScratch(bp)
	raw := appendMessage((*bp)[:0], obj)
	*bp = raw
	if s.closed.Load() {
		s.ledger.accepted()
		s.ledger.direct(raw, false)
		return ErrClosed
	}
	return s.writeParts(ts, raw)
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

// store hands one encoded event object to the accumulator, and settles it
// at once when it finds the Syncer closed or the buffer full. raw is its
// text, for the fallback writer, or nil to get it back from obj when
// needed; after, as for accumulator.add. It returns the seq of the batch
// that took the event, or 0.
func (s *Syncer) store(ts int64, obj, raw []byte, size int, after uint64) (uint64, error) {
	s.ledger.accepted()
	seq, r := s.acc.add(ts, obj, size, after)
	if r == added {
		return seq, nil
	}
	drop := r != refused && s.overflow == OverflowDrop
	if raw == nil && !drop {
		// The fallback writer copies the line: a pooled buffer will do.
		bp := s.getScratch()
		defer s.putScratch(bp)
		raw = appendMessage((*bp)[:0], obj)
		*bp = raw
	}
	if r == refused {
		s.ledger.direct(raw, false)
		return 0, ErrClosed
	}
	s.ledger.overflowed(raw, drop, r == overflowFirst, s.bufferLimit)
	return seq, nil
}

// writeParts stores an oversize event as several part events (split.go),
// each batch of a later part put only once the earlier one is settled, so
// that the parts are stored in order.
func (s *Syncer) writeParts(ts int64, p []byte) error {
	var buf []byte
	var seq uint64
	id := s.partsID + "-" + strconv.FormatUint(s.entries.Add(1), 10)
	for _, part := range splitEvent(p, MaxEventBytes, id) {
		var size int
		buf, size = appendEventObject(buf[:0], ts, part)
		stored, err := s.store(ts, buf, part, size, seq)
		if err != nil {
			return err
		}
		if stored != 0 { // a part that overflowed leaves the order to the one before
			seq = stored
		}
	}
	return nil
}

// handleError hands err to the error handler (WithErrorHandler), for what
// the Core finds while encoding: a metric CloudWatch would not extract,
// reported once.
func (s *Syncer) handleError(err error) { s.ledger.onError(err) }

// Stats returns the Syncer's counters. It is safe to call at any time; the
// counters are read one by one, so they add up only when no event is in
// motion (after Sync, with writers stopped).
func (s *Syncer) Stats() Stats {
	return s.ledger.snapshot()
}
