package cwzap_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// The end of work: Sync, Close and purges keep one deadline however much
// is pending, and say truthfully what did not reach CloudWatch.

// bubbleFixture is newFixture on an in-memory endpoint, for a test that
// runs in a testing/synctest bubble: time is the test's, and a deadline
// passes exactly when it is due, whatever the machine.
func bubbleFixture(t *testing.T, opts ...cwzap.SyncerOption) *fixture {
	t.Helper()
	return newFixtureOn(t, memoryServer(t), opts...)
}

// inBubble returns f run in a testing/synctest bubble, for t.Run.
func inBubble(f func(*testing.T)) func(*testing.T) {
	return func(t *testing.T) { synctest.Test(t, f) }
}

// memoryServer starts an in-memory endpoint, closed when the test ends: in
// a bubble, start it inside.
func memoryServer(t *testing.T) *cwlogstest.Server {
	t.Helper()
	srv := cwlogstest.NewUnstartedServer()
	srv.InMemory = true
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// In an outage, Sync, Close, SyncContext and CloseContext return at their
// deadline less the handover reserve (a tenth of the wait, as no handover
// has been timed yet), with every event in the fallback writer and counted
// late, whatever the deadline.
func TestSyncDeadlineInAnOutage(t *testing.T) {
	const n = 20_000
	tests := []struct {
		name     string
		opts     []cwzap.SyncerOption
		ctx      time.Duration // SyncContext / CloseContext with this timeout; 0: Sync / Close
		deadline time.Duration
		close    bool
	}{
		{name: "Sync WithSyncTimeout(3s)", opts: []cwzap.SyncerOption{cwzap.WithSyncTimeout(3 * time.Second)}, deadline: 3 * time.Second},
		{name: "Close WithSyncTimeout(3s)", opts: []cwzap.SyncerOption{cwzap.WithSyncTimeout(3 * time.Second)}, deadline: 3 * time.Second, close: true},
		{name: "SyncContext 3s", ctx: 3 * time.Second, deadline: 3 * time.Second},
		{name: "CloseContext 3s", ctx: 3 * time.Second, deadline: 3 * time.Second, close: true},
		{name: "SyncContext 4s WithSyncTimeout(3s)", opts: []cwzap.SyncerOption{cwzap.WithSyncTimeout(3 * time.Second)}, ctx: 4 * time.Second, deadline: 3 * time.Second},
		{name: "Sync WithSyncTimeout(2s)", opts: []cwzap.SyncerOption{cwzap.WithSyncTimeout(2 * time.Second)}, deadline: 2 * time.Second},
		{name: "Close WithSyncTimeout(2s)", opts: []cwzap.SyncerOption{cwzap.WithSyncTimeout(2 * time.Second)}, deadline: 2 * time.Second, close: true},
		{name: "SyncContext 1s", ctx: time.Second, deadline: time.Second},
		{name: "Sync default", deadline: cwzap.DefaultSyncTimeout},
		{name: "Close default", deadline: cwzap.DefaultSyncTimeout, close: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				// Puts would retry for an hour: only the deadline ends them.
				f := bubbleFixture(t, append([]cwzap.SyncerOption{cwzap.WithPutTimeout(time.Hour)}, tt.opts...)...)
				f.srv.SetFaults(cwlogstest.Faults{Outage: true})
				logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel))
				for i := range n {
					logger.Info("outage entry", zap.Int("i", i))
				}

				start := time.Now()
				var err error
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if tt.ctx > 0 {
					ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				}
				defer cancel()
				switch {
				case tt.close && tt.ctx > 0:
					err = f.syncer.CloseContext(ctx)
				case tt.close:
					err = f.syncer.Close()
				case tt.ctx > 0:
					err = f.syncer.SyncContext(ctx)
				default:
					err = logger.Sync()
				}
				took := time.Since(start)
				if want := tt.deadline - tt.deadline/10; took != want {
					t.Errorf("returned after %v, want %v: the deadline %v less the handover reserve", took, want, tt.deadline)
				}
				st := f.syncer.Stats()
				checkStatsAddUp(t, st)
				if st.Written != n || st.Delivered != 0 || st.Fallback != n || len(f.fallback.Lines()) != n {
					t.Errorf("stats = %+v, %d fallback lines; want all %d in the fallback", st, len(f.fallback.Lines()), n)
				}
				var de *cwzap.DeliveryError
				if !errors.As(err, &de) || de.Late != n || de.Events != n || !errors.Is(err, cwzap.ErrDeadline) {
					t.Fatalf("error = %v, want a DeliveryError with %d late events", err, n)
				}
				if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, fmt.Sprint(n)) {
					t.Errorf("error %q: want one line with the count", msg)
				}
			})
		})
	}
}

// deadlineTimes is an error handler that keeps when each deadline's
// report came: the moment that deadline gave up on its puts.
type deadlineTimes struct {
	mu sync.Mutex
	at []time.Time
}

func (d *deadlineTimes) handle(err error) {
	if errors.Is(err, cwzap.ErrDeadline) {
		d.mu.Lock()
		d.at = append(d.at, time.Now())
		d.mu.Unlock()
	}
}

func (d *deadlineTimes) all() []time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.at)
}

// A deadline gives up on its puts the handover reserve before it passes:
// the pending events times what an event took the fallback writer in the
// last handover of 100 or more, at least a tenth and at most half of the
// wait. So the writer has them by the deadline when it can.
func TestSyncGivesUpTheHandoverReserveEarly(t *testing.T) {
	const (
		timeout = 10 * time.Second
		perLine = 5 * time.Millisecond
		timed   = 100 // events of the first handover, the fewest that time the writer
	)
	tests := []struct {
		name        string
		givePending int
		wantReserve time.Duration
	}{
		{name: "pending times the measured cost", givePending: 600, wantReserve: 3 * time.Second},
		{name: "at least a tenth of the wait", givePending: 100, wantReserve: timeout / 10},
		{name: "at most half of the wait", givePending: 1600, wantReserve: timeout / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := &slowWriter{perLine: perLine}
				var gaveUp deadlineTimes
				f := bubbleFixture(t, cwzap.WithFallback(w), cwzap.WithErrorHandler(gaveUp.handle),
					cwzap.WithPutTimeout(time.Hour), cwzap.WithSyncTimeout(timeout))
				f.createStream(t)
				// syncIn writes n events and syncs, in an outage or not; it
				// returns when Sync began, how long it took and its error.
				syncIn := func(outage bool, n int) (time.Time, time.Duration, error) {
					f.srv.SetFaults(cwlogstest.Faults{Outage: outage})
					for i := range n {
						f.syncer.Write(fmt.Appendf(nil, "event %d", i))
					}
					start := time.Now()
					err := f.syncer.Sync()
					return start, time.Since(start), err
				}

				// Nothing timed yet: the reserve is a tenth of the wait, and
				// Sync returns once the handover has written, 100 × 5 ms later.
				_, took, err := syncIn(true, timed)
				if want := timeout - timeout/10 + timed*perLine; lateOf(err) != timed || took != want {
					t.Fatalf("first Sync = %v after %v; want %d late events after %v", err, took, timed, want)
				}
				// A put that succeeds ends the outage: the next deadline
				// keeps its full wait, less the reserve.
				if _, _, err := syncIn(false, 1); err != nil {
					t.Fatalf("Sync after the outage = %v", err)
				}

				start, took, err := syncIn(true, tt.givePending)
				if lateOf(err) != tt.givePending {
					t.Fatalf("Sync = %v, want %d late events", err, tt.givePending)
				}
				at := gaveUp.all()
				if len(at) != 2 {
					t.Fatalf("%d deadline reports, want 2", len(at))
				}
				if got, want := at[1].Sub(start), timeout-tt.wantReserve; got != want {
					t.Errorf("%d pending at 5 ms an event: Sync gave up after %v, want %v (a reserve of %v)", tt.givePending, got, want, tt.wantReserve)
				}
				// It returns once the writer has them; when that is past the
				// deadline, it waits on while the writer takes events, at
				// most the reserve past it.
				if written := timeout - tt.wantReserve + time.Duration(tt.givePending)*perLine; written <= timeout && took != written {
					t.Errorf("Sync returned after %v, want %v, once the writer had every event", took, written)
				} else if written > timeout && (took < timeout || took > timeout+tt.wantReserve) {
					t.Errorf("Sync returned after %v with the writer busy until %v, want %v to %v", took, written, timeout, timeout+tt.wantReserve)
				}
				// Close waits while the writer takes what the handover left.
				if err := f.syncer.Close(); err != nil {
					t.Errorf("Close = %v; the late events were reported already", err)
				}
				if got := len(w.Lines()); got != timed+tt.givePending {
					t.Errorf("the fallback writer holds %d lines, want %d", got, timed+tt.givePending)
				}
				checkStatsAddUp(t, f.syncer.Stats())
			})
		})
	}
}

// In an outage that a deadline gave up on, with no put succeeding since,
// the next Sync or Close gives up after a quarter of its wait: a program
// that syncs and then closes against an endpoint that is down waits about
// one WithSyncTimeout in all, not two.
func TestSyncThenCloseInAnOutageWaitAboutOneTimeout(t *testing.T) {
	const timeout = 4 * time.Second
	tests := []struct {
		name      string
		giveDown  string // "outage": the endpoint answers 503; "refused": it refuses connections
		giveClose bool
		giveCtx   time.Duration // SyncContext / CloseContext with this timeout; 0: Sync / Close
	}{
		{name: "Sync then Close, outage", giveDown: "outage", giveClose: true},
		{name: "Sync then Sync, outage", giveDown: "outage"},
		{name: "Sync then CloseContext, outage", giveDown: "outage", giveClose: true, giveCtx: 2 * timeout},
		{name: "Sync then SyncContext, outage", giveDown: "outage", giveCtx: 2 * timeout},
		{name: "Sync then Close, refused", giveDown: "refused", giveClose: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				opts := []cwzap.SyncerOption{cwzap.WithPutTimeout(time.Hour), cwzap.WithSyncTimeout(timeout)}
				var f *fixture
				if tt.giveDown == "refused" {
					f = &fixture{fallback: &lockedBuffer{}, errs: &errorLog{}}
					s, err := cwzap.NewSyncer("/test/app", "refused", append(opts,
						cwzap.WithClient(closedEndpoint(t)), cwzap.WithFallback(f.fallback), cwzap.WithErrorHandler(f.errs.handle))...)
					if err != nil {
						t.Fatal(err)
					}
					f.syncer = f.errs.attach(s)
					t.Cleanup(func() { s.Close() })
				} else {
					f = bubbleFixture(t, opts...)
					f.srv.SetFaults(cwlogstest.Faults{Outage: true})
				}
				write := func(from int) {
					for i := from; i < from+100; i++ {
						f.syncer.Write(fmt.Appendf(nil, "event %d", i))
					}
				}

				start := time.Now()
				write(0)
				if err := f.syncer.Sync(); lateOf(err) != 100 {
					t.Fatalf("first Sync = %v, want 100 late events", err)
				}
				if took, want := time.Since(start), timeout-timeout/10; took != want {
					t.Errorf("first Sync returned after %v, want %v: the deadline less the handover reserve", took, want)
				}
				write(100)
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if tt.giveCtx > 0 {
					ctx, cancel = context.WithTimeout(ctx, tt.giveCtx)
				}
				defer cancel()
				var err error
				switch {
				case tt.giveClose:
					err = f.syncer.CloseContext(ctx)
				default:
					err = f.syncer.SyncContext(ctx)
				}
				if lateOf(err) != 100 || !errors.Is(err, cwzap.ErrDeadline) {
					t.Errorf("second call = %v, want the 100 events written since late", err)
				}
				if took, want := time.Since(start), timeout-timeout/10+timeout/4; took != want {
					t.Errorf("both returned after %v, want %v: a quarter of the wait for the second", took, want)
				}
				st := f.syncer.Stats()
				checkStatsAddUp(t, st)
				if st.Fallback != 200 || len(f.fallback.Lines()) != 200 {
					t.Errorf("stats = %+v, %d fallback lines; want all 200 in the fallback", st, len(f.fallback.Lines()))
				}
			})
		})
	}
}

// A put that succeeds during that quarter means the endpoint answers
// again: the full wait is back, and the Sync waits for the batches still
// pending.
func TestAPutThatSucceedsBringsTheFullWaitBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout = 3 * time.Second
		// One put at a time, each answered after a sixth of the wait: the
		// first succeeds within the quarter, the second after it.
		const latency = timeout / 6
		f := bubbleFixture(t, cwzap.WithPutTimeout(time.Hour), cwzap.WithSyncTimeout(timeout),
			cwzap.WithMaxBatchEvents(10), cwzap.WithConcurrency(1))
		f.createStream(t)
		f.srv.SetFaults(cwlogstest.Faults{Outage: true})
		for i := range 10 {
			f.syncer.Write(fmt.Appendf(nil, "lost %d", i))
		}
		if err := f.syncer.Sync(); lateOf(err) != 10 {
			t.Fatalf("Sync in the outage = %v, want 10 late events", err)
		}

		f.srv.SetFaults(cwlogstest.Faults{Latency: latency})
		for i := range 20 {
			f.syncer.Write(fmt.Appendf(nil, "found %d", i))
		}
		start := time.Now()
		err := f.syncer.Sync()
		if took := time.Since(start); err != nil || took != 2*latency {
			t.Errorf("Sync = %v after %v; want both batches delivered after %v, past the quarter (%v)", err, took, 2*latency, timeout/4)
		}
		if st := f.syncer.Stats(); st.Delivered != 20 || st.Fallback != 10 {
			t.Errorf("stats = %+v, want the 20 events since the outage delivered", st)
		}
	})
}

// closedEndpoint returns a client of an in-memory endpoint that is
// closed: every call fails at once, "connection refused".
func closedEndpoint(t *testing.T) *cloudwatchlogs.Client {
	srv := cwlogstest.NewUnstartedServer()
	srv.InMemory = true
	srv.Start()
	c := srv.Client()
	srv.Close()
	return c
}

// closedSyncer returns a Syncer of stream putting to closedEndpoint, its
// fallback writer and its error log.
func closedSyncer(t *testing.T, stream string, deadline time.Duration) (*cwzap.Syncer, *lockedBuffer, *errorLog) {
	t.Helper()
	fallback, errs := &lockedBuffer{}, &errorLog{}
	s, err := cwzap.NewSyncer("/test/app", stream,
		cwzap.WithClient(closedEndpoint(t)),
		cwzap.WithFallback(fallback),
		cwzap.WithErrorHandler(errs.handle),
		cwzap.WithSyncTimeout(deadline))
	if err != nil {
		t.Fatal(err)
	}
	errs.attach(s)
	return s, fallback, errs
}

func TestPurgeAgainstAnUnreachableEndpointKeepsTheDeadline(t *testing.T) {
	synctest.Test(t, testPurgeAgainstAnUnreachableEndpoint)
}

func testPurgeAgainstAnUnreachableEndpoint(t *testing.T) {
	const deadline = time.Second
	s, fallback, errs := closedSyncer(t, "unreachable", deadline)
	defer s.Close()
	var errOut lockedBuffer
	logger := zap.New(cwzap.NewCore(s, zap.InfoLevel), zap.ErrorOutput(zapcore.AddSync(&errOut)))

	start := time.Now()
	logger.Info("must not wait past the deadline", cwzap.Purge())
	if took, want := time.Since(start), deadline-deadline/10; took != want {
		t.Errorf("the purge returned after %v, want %v: its deadline less the handover reserve", took, want)
	}

	if got := fallback.Lines(); len(got) != 1 || !strings.Contains(got[0], "must not wait") {
		t.Errorf("fallback = %q, want the purged entry", got)
	}
	if got := errs.all(); len(got) != 1 || !errors.Is(got[0], cwzap.ErrDeadline) {
		t.Errorf("error handler got %v, want one deadline report", got)
	}
	if out := errOut.Lines(); len(out) != 0 {
		t.Errorf("zap's ErrorOutput printed %q: the error handler already reported it", out)
	}
	// The purge left the record to the caller's Sync.
	var de *cwzap.DeliveryError
	if err := logger.Sync(); !errors.As(err, &de) || de.Late != 1 {
		t.Errorf("Sync after the purge = %v, want the late event", err)
	}
}

func TestSyncReportsWhatPurgesSaw(t *testing.T) {
	// The group does not exist and may not be created: every put fails
	// for good at once.
	f := newFixture(t, cwzap.WithCreateGroup(false))
	logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel))
	for i := range 10 {
		logger.Info("entry", zap.Int("i", i))
	}
	logger.Warn("purged", cwzap.Purge())
	logger.Error("an error entry is no purge, but DPanic is")
	logger.DPanic("purged too")

	err := logger.Sync()
	st := f.syncer.Stats()
	checkStatsAddUp(t, st)
	var de *cwzap.DeliveryError
	if !errors.As(err, &de) || de.Failed != 13 || de.Events != 13 {
		t.Fatalf("Sync = %v (stats %+v), want 13 failed events despite two purges", err, st)
	}
	if !strings.Contains(err.Error(), "WithCreateGroup(false)") {
		t.Errorf("Sync = %q, want it to say why", err)
	}

	// "Since": the next Sync reports only what failed after this one.
	if err := logger.Sync(); err != nil {
		t.Errorf("second Sync = %v, want nil", err)
	}
	logger.Info("one more")
	if err := logger.Sync(); !errors.As(err, &de) || de.Events != 1 {
		t.Errorf("third Sync = %v, want the one new failure", err)
	}
}

func TestOptionValues(t *testing.T) {
	const entries = 100
	tests := []struct {
		name        string
		give        cwzap.SyncerOption
		wantErr     string // a refused value: NewSyncer's error contains this
		wantBatches uint64 // else: PutLogEvents calls for 100 entries
	}{
		{name: "MaxBatchEvents valid", give: cwzap.WithMaxBatchEvents(30), wantBatches: 4},
		{name: "MaxBatchEvents 0 is the default", give: cwzap.WithMaxBatchEvents(0), wantBatches: 1},
		{name: "MaxBatchEvents -5 is the default", give: cwzap.WithMaxBatchEvents(-5), wantBatches: 1},
		{name: "MaxBatchEvents over the limit", give: cwzap.WithMaxBatchEvents(10_001), wantErr: "WithMaxBatchEvents(10001): the service takes at most 10000"},
		{name: "MaxBatchBytes valid", give: cwzap.WithMaxBatchBytes(50 * (8 + cwzap.EventOverhead)), wantBatches: 2},
		{name: "MaxBatchBytes -1 is the default", give: cwzap.WithMaxBatchBytes(-1), wantBatches: 1},
		{name: "MaxBatchBytes too small", give: cwzap.WithMaxBatchBytes(26), wantErr: "WithMaxBatchBytes(26): want 27 to 1048576"},
		{name: "MaxBatchBytes over the limit", give: cwzap.WithMaxBatchBytes(2 << 20), wantErr: "WithMaxBatchBytes(2097152)"},
		{name: "BufferLimit -1 is the default", give: cwzap.WithBufferLimit(-1), wantBatches: 1},
		{name: "Concurrency 0 is the default", give: cwzap.WithConcurrency(0), wantBatches: 1},
		{name: "FlushInterval -1 is the default", give: cwzap.WithFlushInterval(-1), wantBatches: 1},
		{name: "PutTimeout 0 is the default", give: cwzap.WithPutTimeout(0), wantBatches: 1},
		{name: "SyncTimeout -1 is the default", give: cwzap.WithSyncTimeout(-time.Second), wantBatches: 1},
		{name: "Retention 0 keeps events forever", give: cwzap.WithRetention(0), wantBatches: 1},
		{name: "Retention 7", give: cwzap.WithRetention(7), wantBatches: 1},
		{name: "Retention -3", give: cwzap.WithRetention(-3), wantErr: "WithRetention(-3): the service accepts [1 3 5 7"},
		{name: "Retention 13", give: cwzap.WithRetention(13), wantErr: "WithRetention(13): the service accepts [1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653] days, or 0"},
		{name: "Overflow block", give: cwzap.WithOverflow(cwzap.OverflowBlock), wantBatches: 1},
		{name: "Overflow 42", give: cwzap.WithOverflow(42), wantErr: "WithOverflow(42): unknown policy; want OverflowFallback, OverflowBlock or OverflowDrop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := cwlogstest.NewServer()
			defer srv.Close()
			client := cwzap.WithClient(srv.Client())
			s, err := cwzap.NewSyncer("/test/options", "s", client, tt.give)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewSyncer = %v, want an error containing %q", err, tt.wantErr)
				}
				// New refuses it too, whatever the class.
				for _, spec := range []any{"#print", map[string]any{"class": "cloud-watch", "cloud-watch": map[string]any{"group": "g", "stream": "s"}}} {
					if _, err := cwzap.New(spec, client, tt.give); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Errorf("New(%v) = %v, want an error containing %q", spec, err, tt.wantErr)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for i := range entries {
				s.Write(fmt.Appendf(nil, "entry %02d", i)) // 8 bytes + 26 each
			}
			if err := s.Sync(); err != nil {
				t.Fatal(err)
			}
			if st := s.Stats(); st.Delivered != entries || st.Batches != tt.wantBatches {
				t.Errorf("stats = %+v, want %d delivered in %d batches", st, entries, tt.wantBatches)
			}
		})
	}
}

func TestSinkRefusesOptionValues(t *testing.T) {
	for _, u := range []string{
		"cloudwatch://g/s?retention=13&endpoint=http://127.0.0.1:1&anonymous=true&region=us-east-1",
		"cloudwatch://g/s?synctimeout=0s&endpoint=http://127.0.0.1:1&anonymous=true&region=us-east-1",
	} {
		cfg := zap.NewProductionConfig()
		cfg.OutputPaths = []string{u}
		if _, err := cfg.Build(); err == nil {
			t.Errorf("Build with %s succeeded, want an error", u)
		}
	}
}

func TestErrorsAreOneLineAndSayWhatToDo(t *testing.T) {
	t.Run("unreachable endpoint", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const putTimeout, flush = 300 * time.Millisecond, 10 * time.Millisecond
			reports := make(chan error, 1) // the one report this test waits for
			s, err := cwzap.NewSyncer("/test/app", "unreachable",
				cwzap.WithClient(closedEndpoint(t)),
				cwzap.WithFallback(&lockedBuffer{}),
				cwzap.WithErrorHandler(func(err error) { reports <- err }),
				cwzap.WithPutTimeout(putTimeout),
				cwzap.WithFlushInterval(flush))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			start := time.Now()
			s.Write([]byte("x"))
			// The batch goes by age, so the put timeout ends it, not a Sync.
			err = <-reports
			if took := time.Since(start); took < flush-flush/10+putTimeout || took > flush+flush/10+putTimeout {
				t.Errorf("reported after %v, want the batch's age (%v ± a tenth) and the put timeout", took, flush)
			}
			msg := err.Error()
			t.Logf("reported: %s", msg)
			for _, want := range []string{"1 event not delivered", "PutLogEvents gave up after", "attempts over 300ms", "WithPutTimeout (300ms) passed", "connection refused"} {
				if !strings.Contains(msg, want) {
					t.Errorf("report %q lacks %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, "maximum number of attempts") {
				t.Errorf("report %q: want one line without the SDK's attempt count", msg)
			}
			if err := s.Sync(); err == nil || err.Error() != msg {
				t.Errorf("Sync = %v, want the same one line as the report", err)
			}
		})
	})
	t.Run("no credentials", func(t *testing.T) {
		srv := cwlogstest.NewServer()
		defer srv.Close()
		t.Setenv("AWS_REGION", "us-east-1")
		t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", srv.URL)
		for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
			t.Setenv(k, "")
		}
		t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
		t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
		errs := &errorLog{}
		s, err := cwzap.NewSyncer("/test/app", "nocreds", cwzap.WithFallback(&lockedBuffer{}), cwzap.WithErrorHandler(errs.handle))
		if err != nil {
			t.Fatal(err)
		}
		errs.attach(s)
		defer s.Close()
		s.Write([]byte("x"))
		err = s.Sync()
		msg := fmt.Sprint(err)
		t.Logf("Sync: %s", msg)
		for _, want := range []string{"1 event not delivered", "after 1 attempt", "no usable AWS credentials", "AWS_PROFILE", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"} {
			if !strings.Contains(msg, want) {
				t.Errorf("Sync = %q, lacks %q", msg, want)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("Sync = %q, want one line", msg)
		}
		if len(errs.all()) != 1 {
			t.Errorf("error handler got %v, want one report", errs.all())
		}
	})
}

// gateWriter is a fallback writer stuck until its gate opens, like a
// stderr pipe whose reader stalled at shutdown.
type gateWriter struct {
	gate chan struct{}
	lockedBuffer
}

func (w *gateWriter) Write(p []byte) (int, error) {
	<-w.gate
	return w.lockedBuffer.Write(p)
}

func TestSyncDeadlineWithAStuckFallbackWriter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, deadline = 1000, 500 * time.Millisecond
		w := &gateWriter{gate: make(chan struct{})}
		f := bubbleFixture(t, cwzap.WithFallback(w), cwzap.WithMaxBatchEvents(100),
			cwzap.WithPutTimeout(time.Hour), cwzap.WithSyncTimeout(deadline))
		f.srv.SetFaults(cwlogstest.Faults{Outage: true})
		for i := range n {
			f.syncer.Write(fmt.Appendf(nil, "stuck %d", i))
		}
		start := time.Now()
		err := f.syncer.SyncContext(context.Background())
		late := lateOf(err)
		// The handover is the background's: the first batch holds it at
		// the writer, and Sync returns at its deadline, at most the
		// handover reserve past it (without the background handover, ten
		// batches each stuck took ten times that).
		if took := time.Since(start); took < deadline || took > deadline+deadline/10 {
			t.Errorf("SyncContext took %v with a stuck fallback writer, want %v to %v", took, deadline, deadline+deadline/10)
		}
		var de *cwzap.DeliveryError
		if late != n || !errors.As(err, &de) || de.Late != n {
			t.Fatalf("SyncContext = %d, %v; want all %d late, counted though not yet written", late, err, n)
		}

		close(w.gate)
		if err := f.syncer.Close(); err != nil {
			t.Errorf("Close = %v; the late events were reported already", err)
		}
		// Close waits while the writer takes what the handover left it.
		if got := len(w.Lines()); got != n {
			t.Fatalf("fallback holds %d lines, want %d", got, n)
		}
		checkStatsAddUp(t, f.syncer.Stats())
		// One report for the deadline, however many batches it gave up on.
		if got := f.errs.all(); len(got) != 1 || lateOf(got[0]) != n {
			t.Errorf("error handler got %v, want one report of %d late events", got, n)
		}
	})
}

// A CloseContext whose context ends while every put waits for answers
// returns at that deadline less the handover reserve, with every event in
// the fallback writer.
func TestSyncerCloseContextDeadlineSendsTheRestToFallback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const deadline = 100 * time.Millisecond
		f := bubbleFixture(t, cwzap.WithMaxBatchEvents(10))
		f.srv.SetFaults(cwlogstest.Faults{Latency: 5 * time.Second})
		for i := range 50 {
			f.syncer.Write(fmt.Appendf(nil, "%d", i))
		}
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		start := time.Now()
		err := f.syncer.CloseContext(ctx)
		n := lateOf(err)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("CloseContext = %d, %v; want the deadline error", n, err)
		}
		if took, want := time.Since(start), deadline-deadline/10; took != want {
			t.Errorf("CloseContext took %v, want %v: its deadline less the handover reserve", took, want)
		}
		if n != 50 {
			t.Errorf("CloseContext reports %d undelivered, want 50", n)
		}
		st := f.syncer.Stats()
		checkStatsAddUp(t, st)
		if st.Fallback != 50 || len(f.fallback.Lines()) != 50 {
			t.Errorf("stats = %+v, fallback lines %d; want all 50 in the fallback", st, len(f.fallback.Lines()))
		}
	})
}

func TestSyncerSyncContextDeadlineSendsPendingToFallback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const deadline = 20 * time.Millisecond
		f := bubbleFixture(t)
		f.srv.SetFaults(cwlogstest.Faults{Latency: time.Hour})
		f.syncer.Write([]byte("slow"))
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		start := time.Now()
		err := f.syncer.SyncContext(ctx)
		if took, want := time.Since(start), deadline-deadline/10; took != want {
			t.Errorf("SyncContext took %v, want %v: its deadline less the handover reserve", took, want)
		}
		n := lateOf(err)
		if n != 1 || !errors.Is(err, cwzap.ErrDeadline) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("SyncContext = %d, %v; want 1 pending and the deadline", n, err)
		}
		var de *cwzap.DeliveryError
		if !errors.As(err, &de) || de.Events != 1 || de.Late != 1 {
			t.Errorf("SyncContext error = %#v, want 1 late event", err)
		}
		st := f.syncer.Stats()
		checkStatsAddUp(t, st)
		if st.Fallback != 1 || !slices.Equal(f.fallback.Lines(), []string{"slow"}) {
			t.Errorf("stats = %+v, fallback %q; want the pending event in the fallback", st, f.fallback.Lines())
		}
		// Reported once: the next Sync has nothing new to say.
		if err := f.syncer.Sync(); err != nil {
			t.Errorf("second Sync = %v, want nil", err)
		}
	})
}

// lateOf returns the events a Sync or Close error counts as late.
func lateOf(err error) int {
	var de *cwzap.DeliveryError
	if errors.As(err, &de) {
		return de.Late
	}
	return 0
}

// Flush waits for delivery like Sync, but a context that ends leaves the
// events pending, to be sent on, not in the fallback writer.
func TestFlushLeavesPendingEventsPending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const wait = 200 * time.Millisecond
		f := bubbleFixture(t)
		f.createStream(t)
		f.srv.SetFaults(cwlogstest.Faults{Outage: true})
		f.syncer.Write([]byte("deferred"))
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		start := time.Now()
		if err := f.syncer.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Flush during an outage = %v, want the context's deadline", err)
		}
		if took := time.Since(start); took != wait {
			t.Errorf("Flush returned after %v, want its context's %v: it keeps no reserve, as it gives nothing up", took, wait)
		}
		if got := f.fallback.Lines(); len(got) != 0 {
			t.Fatalf("fallback = %q after Flush, want the event still pending", got)
		}
		f.srv.SetFaults(cwlogstest.Faults{})
		if err := f.syncer.Flush(context.Background()); err != nil {
			t.Fatalf("Flush after the outage = %v", err)
		}
		if got := f.messages(t); len(got) != 1 || got[0] != "deferred" {
			t.Errorf("stream holds %q, want the deferred event", got)
		}
		st := f.syncer.Stats()
		checkStatsAddUp(t, st)
		if st.Delivered != 1 {
			t.Errorf("stats = %+v", st)
		}
	})
}
