package cwzap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
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

// Stats counts what happened to the events a Syncer accepted. Once Sync has
// returned, and while no other goroutine writes, Written == Delivered +
// Fallback + Dropped.
type Stats struct {
	Written   uint64 // events accepted by Write/WriteEntry (after splitting oversize entries)
	Delivered uint64 // accepted by CloudWatch
	Fallback  uint64 // sent to the fallback writer instead: failed for good, rejected, late at a sync deadline, written after Close, or overflowing
	Dropped   uint64 // discarded under the Drop overflow policy
	Rejected  uint64 // of Fallback: refused by the service (too old, too new, expired)
	Batches   uint64 // successful PutLogEvents calls
	Retries   uint64 // PutLogEvents calls repeated after a retryable error
}

// A Syncer is a zapcore.WriteSyncer that batches events for one log group
// and stream and ships them with PutLogEvents. Each Write is one event.
// With {date} in a name, each event goes to the stream of its own UTC day.
//
// Batches are sealed when full (events or bytes), when the oldest event is
// WithFlushInterval old, when they would span more than 24 hours, and on
// Sync. Up to WithConcurrency puts run at once. Failed puts are retried with
// backoff; a missing group or stream is created. Every event ends delivered,
// in the fallback writer, or counted as dropped (OverflowDrop only).
//
// No goroutine runs while the Syncer is idle: a sender exists only while a
// batch is waiting or in flight. A Syncer is safe for concurrent use. The
// owner must call Sync (or Close) before the process exits, or the events
// still in memory are lost; Close also refuses further writes.
type Syncer struct {
	opts     syncerOptions
	arenaCap int // the most a batch's arena grows to, but for one huge event
	groupT   nameTemplate
	streamT  nameTemplate
	dated    bool         // a name holds {date}: one target per UTC day
	proto    streamConfig // what every target's logStream shares
	fallback io.Writer
	onError  func(error)
	closing  atomic.Bool // set once Close starts; writes go to the fallback
	scratch  sync.Pool   // *[]byte for encoding an event outside mu
	stats    counters

	// ctx is the parent of every put; Close cancels it, so that no put
	// outlives the Syncer.
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu         sync.Mutex
	open       *batch            // the batch taking events; nil when none waits
	targets    map[int64]*target // by day (streams.go)
	newest     *target           // the target of the latest day seen
	openDue    time.Time         // when open is WithFlushInterval old, give or take the jitter
	timer      *time.Timer       // age flush of open
	queue      []*batch          // sealed batches no sender has taken yet
	flying     []*batch          // batches a sender is putting
	free       []*batch          // recycled batches, reset
	lastArena  int               // arena bytes used by the last sealed batch
	lastEvents int               // events in the last sealed batch
	senders    int               // running sender goroutines
	held       int               // memory of every batch the Syncer owns (batch.mem), free ones included
	heldN      int               // events not settled
	sealed     uint64            // seq of the last sealed batch
	settled    uint64            // every batch up to this seq is settled
	ahead      []uint64          // settled seqs above settled (puts finish out of order)
	waiters    []waiter          // Syncs waiting for a seq to settle
	space      chan struct{}     // closed when held shrinks; OverflowBlock waits on it
	lost       DeliveryError     // what did not reach CloudWatch since the last Sync returned
	overflow   bool              // in an overflow episode: reported, not over yet
	closed     bool
	closeDone  chan struct{} // closed when Close has finished
	wg         sync.WaitGroup

	fbMu      sync.Mutex    // serialises fallback writes
	fbCost    atomic.Int64  // ns per event of the last large fallback write
	fbWritten atomic.Uint64 // events the fallback writer has taken
	sample    []byte        // guarded by mu: handoverLocked's scratch
	fbBuf     []byte        // guarded by fbMu: the line being written
}

var _ zapcore.WriteSyncer = (*Syncer)(nil)

type waiter struct {
	seq uint64
	ch  chan struct{}
}

type counters struct {
	written, delivered, fallback, dropped, rejected, batches, retries atomic.Uint64
}

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
	// An arena holds the escaped event objects of one batch; half again the
	// batch's size leaves room for the quotes of JSON events.
	arenaCap := o.maxBytes + o.maxBytes/2
	o.bufferLimit = max(o.bufferLimit, 2*(arenaCap+MaxBatchEvents*_eventSize))
	s := &Syncer{
		opts:      o,
		arenaCap:  arenaCap,
		groupT:    groupT,
		streamT:   streamT,
		dated:     groupT.dated() || streamT.dated(),
		targets:   make(map[int64]*target, 2),
		fallback:  o.fallback,
		onError:   o.onError,
		closeDone: make(chan struct{}),
	}
	if s.fallback == nil {
		s.fallback = os.Stderr
	}
	if s.onError == nil {
		s.onError = func(err error) { fmt.Fprintln(os.Stderr, err) }
	}
	_, fast := client.(*cloudwatchlogs.Client)
	s.proto = streamConfig{
		client:  client,
		fast:    fast,
		cfg:     machineConfig{createGroup: o.createGroup},
		kmsKey:  o.kmsKey,
		tags:    o.tags,
		retain:  o.retention,
		class:   o.groupClass,
		protect: o.protect,
		onError: s.onError,
	}
	// Each put in flight holds SDK and HTTP state besides its batch.
	s.held = o.concurrency * _putOverhead
	s.lost = DeliveryError{Group: groupT.text, Stream: streamT.text}
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	s.timer = time.AfterFunc(time.Hour, s.flushAged)
	s.timer.Stop()
	return s, nil
}

func defaultClient(o syncerOptions) (Client, error) {
	var cfg = o.awsConfig
	if cfg == nil {
		c, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			return nil, fmt.Errorf("cwzap: load AWS configuration: %w", err)
		}
		cfg = &c
	}
	if cfg.Region == "" {
		return nil, errors.New("cwzap: no AWS region: set AWS_REGION (or a profile with a region in AWS_PROFILE), or pass WithAWSConfig or WithClient")
	}
	return cloudwatchlogs.NewFromConfig(*cfg), nil
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
	if s.closing.Load() {
		s.stats.written.Add(1)
		s.toFallback(p)
		return ErrClosed
	}
	bp := s.getScratch()
	obj, size := appendEventObject((*bp)[:0], ts, p)
	*bp = obj
	var err error
	if size > MaxEventBytes {
		err = s.writeParts(ts, p)
	} else {
		err = s.add(ts, obj, p, size)
	}
	s.putScratch(bp)
	return err
}

func (s *Syncer) getScratch() *[]byte {
	if bp, ok := s.scratch.Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, 0, 1024)
	return &b
}

// _maxPooled keeps one rare huge event from pinning its buffer forever.
const _maxPooled = 64 << 10

func (s *Syncer) putScratch(bp *[]byte) {
	if cap(*bp) <= _maxPooled {
		s.scratch.Put(bp)
	}
}

// add stores one encoded event object; raw is its text, for the fallback
// writer.
func (s *Syncer) add(ts int64, obj, raw []byte, size int) error {
	var deadline time.Time // of an OverflowBlock wait, over all its wake-ups
	s.mu.Lock()
	for {
		if s.closed {
			s.mu.Unlock()
			s.stats.written.Add(1)
			s.toFallback(raw)
			return ErrClosed
		}
		if b := s.open; b != nil && !b.fits(ts, size, len(obj), s.opts.maxEvents, s.opts.maxBytes) {
			if !b.fitsLimits(ts, size, s.opts.maxEvents, s.opts.maxBytes) || !s.growLocked(b, len(obj)) {
				s.sealLocked()
			}
		}
		if s.open != nil {
			break
		}
		b := s.takeFreeLocked(len(obj))
		if b == nil {
			if size, events, ok := s.reserveLocked(len(obj)); ok {
				// Zeroing a large arena takes a while: not under mu.
				s.mu.Unlock()
				b = newBatch(size, events)
				s.mu.Lock()
				if s.open != nil || s.closed {
					s.free = append(s.free, b) // reserved already; use it next time
					continue
				}
			}
		}
		if b != nil {
			s.open = b
			d := flushDelay(s.opts.flushInterval)
			s.openDue = time.Now().Add(d)
			s.timer.Reset(d)
			s.overflow = false
			break
		}
		// Every batch the buffer limit allows is waiting or in flight.
		if s.opts.overflow == OverflowBlock {
			if deadline.IsZero() {
				deadline = time.Now().Add(s.opts.flushInterval)
			}
			if s.waitForSpaceLocked(deadline) {
				continue
			}
		}
		s.lost.Events++
		s.lost.Overflow++
		if s.opts.overflow == OverflowDrop {
			s.lost.Dropped++
		}
		first := !s.overflow
		s.overflow = true
		s.mu.Unlock()
		if first {
			// Once per episode, so that the error handler is not flooded.
			what := "events go to the fallback writer"
			if s.opts.overflow == OverflowDrop {
				what = "dropping events"
			}
			s.onError(fmt.Errorf("cwzap: %s/%s: %w (WithBufferLimit %d bytes): %s until puts catch up", s.groupT.text, s.streamT.text, ErrBufferFull, s.opts.bufferLimit, what))
		}
		s.stats.written.Add(1)
		if s.opts.overflow == OverflowDrop {
			s.stats.dropped.Add(1)
			return nil
		}
		s.toFallback(raw)
		return nil
	}
	b := s.open
	b.add(ts, size, obj)
	s.heldN++
	s.stats.written.Add(1)
	if b.len() >= s.opts.maxEvents || b.size+EventOverhead+1 > s.opts.maxBytes || len(b.arena)+_minEventObject > s.arenaCap {
		s.sealLocked()
	}
	s.mu.Unlock()
	return nil
}

// _minEventObject is the size of the smallest event object: a batch with
// less room left than this is full.
var _minEventObject = len(`{"timestamp":0,"message":"x"}`)

// Stats returns the Syncer's counters. It is safe to call at any time; the
// counters are read one by one, so they add up only when no event is in
// motion (after Sync, with writers stopped).
func (s *Syncer) Stats() Stats {
	return Stats{
		Written:   s.stats.written.Load(),
		Delivered: s.stats.delivered.Load(),
		Fallback:  s.stats.fallback.Load(),
		Dropped:   s.stats.dropped.Load(),
		Rejected:  s.stats.rejected.Load(),
		Batches:   s.stats.batches.Load(),
		Retries:   s.stats.retries.Load(),
	}
}
