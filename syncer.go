package cwzap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
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
	Fallback  uint64 // written to the fallback writer instead (failed for good, rejected, or overflow)
	Dropped   uint64 // discarded under the Drop overflow policy
	Rejected  uint64 // of Fallback: refused by the service (too old, too new, expired)
	Batches   uint64 // successful PutLogEvents calls
	Retries   uint64 // PutLogEvents calls repeated after a retryable error
}

// A Syncer is a zapcore.WriteSyncer that batches events for one log group
// and stream and ships them with PutLogEvents. Each Write is one event.
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
	opts     options
	arenaCap int // the most a batch's arena grows to, but for one huge event
	st       *logStream
	header   []byte
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
	open       *batch        // the batch taking events; nil when none waits
	openSince  time.Time     // when open got its first event
	timer      *time.Timer   // age flush of open
	queue      []*batch      // sealed batches no sender has taken yet
	flying     []*batch      // batches a sender is putting
	free       []*batch      // recycled batches, reset
	lastArena  int           // arena bytes used by the last sealed batch
	lastEvents int           // events in the last sealed batch
	senders    int           // running sender goroutines
	held       int           // memory of every batch the Syncer owns (batch.mem), free ones included
	heldN      int           // events not settled
	sealed     uint64        // seq of the last sealed batch
	settled    uint64        // every batch up to this seq is settled
	ahead      []uint64      // settled seqs above settled (puts finish out of order)
	waiters    []waiter      // Syncs waiting for a seq to settle
	space      chan struct{} // closed when held shrinks; OverflowBlock waits on it
	lost       DeliveryError // what did not reach CloudWatch since the last Sync returned
	overflow   bool          // in an overflow episode: reported, not over yet
	closed     bool
	closeDone  chan struct{} // closed when Close has finished
	wg         sync.WaitGroup

	fbMu   sync.Mutex   // serialises fallback writes
	fbCost atomic.Int64 // ns per event of the last large fallback write
	fbBuf  []byte       // guarded by fbMu: the line being written
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
// It reads the options WithClient, WithAWSConfig, WithFlushInterval,
// WithMaxBatchEvents, WithMaxBatchBytes, WithBufferLimit, WithOverflow,
// WithFallback, WithErrorHandler, WithCreateGroup, WithRetention,
// WithKMSKey, WithTags, WithConcurrency, WithPutTimeout and
// WithSyncTimeout, and returns an error naming any option value it cannot
// honour. Without
// WithClient or WithAWSConfig it loads the default AWS configuration, which
// honours AWS_REGION, profiles, credentials and
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS; it is an error if no region results.
func NewSyncer(group, stream string, opts ...Option) (*Syncer, error) {
	if err := validateName("log group", group, 512, ""); err != nil {
		return nil, err
	}
	if err := validateName("log stream", stream, 512, ":*"); err != nil {
		return nil, err
	}
	o := buildOptions(opts)
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
		header:    requestHeader(group, stream),
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
	s.st = &logStream{
		client:  client,
		fast:    fast,
		group:   group,
		name:    stream,
		cfg:     machineConfig{createGroup: o.createGroup},
		kmsKey:  o.kmsKey,
		tags:    o.tags,
		retain:  o.retention,
		onError: s.onError,
		tokenMu: make(chan struct{}, 1),
	}
	// Each put in flight holds SDK and HTTP state besides its batch.
	s.held = o.concurrency * _putOverhead
	s.lost = DeliveryError{Group: group, Stream: stream}
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	s.timer = time.AfterFunc(time.Hour, s.flushAged)
	s.timer.Stop()
	return s, nil
}

func defaultClient(o options) (Client, error) {
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

// validateName checks a group or stream name against the service's rules,
// so that a typo fails at construction and not on every put.
func validateName(what, name string, maxLen int, forbidden string) error {
	if name == "" || len(name) > maxLen {
		return fmt.Errorf("cwzap: %s name %q: want 1 to %d characters", what, name, maxLen)
	}
	for _, r := range name {
		for _, f := range forbidden {
			if r == f {
				return fmt.Errorf("cwzap: %s name %q: %q is not allowed", what, name, r)
			}
		}
	}
	if what == "log group" {
		for _, r := range name {
			ok := r == '.' || r == '-' || r == '_' || r == '/' || r == '#' ||
				('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
			if !ok {
				return fmt.Errorf("cwzap: log group name %q: %q is not allowed (letters, digits, . - _ / #)", name, r)
			}
		}
	}
	return nil
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
			s.openSince = time.Now()
			s.timer.Reset(s.opts.flushInterval)
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
			s.onError(fmt.Errorf("cwzap: %s/%s: %w (WithBufferLimit %d bytes): %s until puts catch up", s.st.group, s.st.name, ErrBufferFull, s.opts.bufferLimit, what))
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

// sealLocked moves the open batch to the queue and starts a sender if one
// is needed.
func (s *Syncer) sealLocked() {
	b := s.open
	if b == nil {
		return
	}
	s.open = nil
	s.timer.Stop()
	s.lastArena, s.lastEvents = len(b.arena), b.len()
	s.sealed++
	b.seq = s.sealed
	s.queue = append(s.queue, b)
	for s.senders < s.opts.concurrency && s.senders < len(s.queue) {
		s.senders++
		s.wg.Add(1)
		go s.send()
	}
}

// flushAged runs on the flush timer.
func (s *Syncer) flushAged() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open == nil {
		return
	}
	// A timer that fired just as a new batch opened: wait out its own age.
	if left := s.opts.flushInterval - time.Since(s.openSince); left > s.opts.flushInterval/10 {
		s.timer.Reset(left)
		return
	}
	s.sealLocked()
}

// send is a sender goroutine: it puts queued batches until none is left.
func (s *Syncer) send() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.senders--
			s.mu.Unlock()
			return
		}
		b := s.queue[0]
		n := copy(s.queue, s.queue[1:])
		s.queue[n] = nil
		s.queue = s.queue[:n]
		// A sync deadline cancels the put through b.cancel.
		ctx, cancel := context.WithCancelCause(s.ctx)
		b.cancel = cancel
		s.flying = append(s.flying, b)
		s.mu.Unlock()

		s.deliver(ctx, b)

		s.mu.Lock()
		b.cancel(nil)
		b.cancel = nil
		s.flying = slices.DeleteFunc(s.flying, func(f *batch) bool { return f == b })
		s.settleLocked(b)
		s.mu.Unlock()
	}
}

func (s *Syncer) deliver(ctx context.Context, b *batch) {
	b.sort()
	ctx, cancel := context.WithTimeoutCause(ctx, s.opts.putTimeout, &putTimeoutError{s.opts.putTimeout})
	defer cancel()
	s.putSpan(ctx, &span{b: b, lo: 0, hi: b.len(), header: s.header})
}

// putSpan runs the put machine on one span of a batch and accounts for
// every event of it.
func (s *Syncer) putSpan(ctx context.Context, sp *span) {
	res := s.st.run(ctx, sp)
	s.stats.retries.Add(uint64(res.retries))
	n := sp.len()
	switch res.state {
	case stateDone:
		s.stats.batches.Add(1)
		rej := res.rejected.count(n)
		s.stats.delivered.Add(uint64(n - rej))
		if rej == 0 {
			return
		}
		s.stats.rejected.Add(uint64(rej))
		s.toFallbackEvents(sp.b, sp.lo, sp.lo+res.rejected.old)
		s.toFallbackEvents(sp.b, sp.lo+res.rejected.newFrom, sp.hi)
		s.report(&DeliveryError{Events: rej, Rejected: rej})
	case stateSplit:
		mid := sp.lo + n/2
		s.putSpan(ctx, &span{b: sp.b, lo: sp.lo, hi: mid, header: sp.header})
		s.putSpan(ctx, &span{b: sp.b, lo: mid, hi: sp.hi, header: sp.header})
	default:
		s.toFallbackEvents(sp.b, sp.lo, sp.hi)
		if cause := context.Cause(ctx); errors.Is(cause, ErrDeadline) {
			// The deadline that abandoned the batch reported it already.
			s.record(&DeliveryError{Events: n, Late: n, LateErr: cause})
			return
		}
		s.report(&DeliveryError{Events: n, Failed: n, Err: res.err})
	}
}

// report records an incident for the next Sync and tells the error handler.
func (s *Syncer) report(e *DeliveryError) {
	s.record(e)
	e.Group, e.Stream = s.st.group, s.st.name
	s.onError(e)
}

// record adds an incident to what the next Sync returns.
func (s *Syncer) record(e *DeliveryError) {
	s.mu.Lock()
	s.lost.add(e)
	s.mu.Unlock()
}

// settleLocked records that every event of b is accounted for.
func (s *Syncer) settleLocked(b *batch) {
	s.heldN -= b.len()
	if b.seq == s.settled+1 {
		s.settled++
		for i := 0; i < len(s.ahead); {
			if s.ahead[i] == s.settled+1 {
				s.settled++
				s.ahead[i] = s.ahead[len(s.ahead)-1]
				s.ahead = s.ahead[:len(s.ahead)-1]
				i = 0
				continue
			}
			i++
		}
	} else {
		s.ahead = append(s.ahead, b.seq)
	}
	kept := s.waiters[:0]
	for _, w := range s.waiters {
		if w.seq <= s.settled {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	s.waiters = kept
	if s.space != nil {
		close(s.space)
		s.space = nil
	}
	if cap(b.arena) <= s.arenaCap {
		b.reset()
		s.free = append(s.free, b)
	} else {
		s.held -= b.mem()
	}
	if s.settled == s.sealed && s.open == nil {
		s.dropFreeLocked(1) // idle: keep one batch for the next event
	}
}

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
