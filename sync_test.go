package cwzap_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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

// memoryServer starts an in-memory endpoint, closed when the test ends.
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

// unreachableClient returns a client for an endpoint where nothing
// listens: every call fails at once with "connection refused".
func unreachableClient(t *testing.T) *cloudwatchlogs.Client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://" + addr),
		Credentials:  aws.AnonymousCredentials{},
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

func TestPurgeAgainstAnUnreachableEndpointKeepsTheDeadline(t *testing.T) {
	synctest.Test(t, testPurgeAgainstAnUnreachableEndpoint)
}

func testPurgeAgainstAnUnreachableEndpoint(t *testing.T) {
	const deadline = time.Second
	fallback, errs := &lockedBuffer{}, &errorLog{}
	s, err := cwzap.NewSyncer("/test/app", "unreachable",
		cwzap.WithClient(closedEndpoint(t)),
		cwzap.WithFallback(fallback),
		cwzap.WithErrorHandler(errs.handle),
		cwzap.WithSyncTimeout(deadline))
	if err != nil {
		t.Fatal(err)
	}
	errs.attach(s)
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
		errs := &errorLog{}
		s, err := cwzap.NewSyncer("/test/app", "unreachable",
			cwzap.WithClient(unreachableClient(t)),
			cwzap.WithFallback(&lockedBuffer{}),
			cwzap.WithErrorHandler(errs.handle),
			cwzap.WithPutTimeout(300*time.Millisecond),
			cwzap.WithFlushInterval(time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		errs.attach(s)
		defer s.Close()
		s.Write([]byte("x"))
		// The batch goes by age, so the put timeout ends it, not a Sync.
		err = waitForReport(t, errs)
		msg := err.Error()
		t.Logf("reported: %s", msg)
		for _, want := range []string{"1 event not delivered", "PutLogEvents gave up after", "attempts over", "WithPutTimeout (300ms) passed", "connection refused"} {
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

// waitForReport waits for the first error handler report; the wait is
// bounded by the put timeout of the caller's Syncer, with a wide margin.
func waitForReport(t *testing.T, errs *errorLog) error {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if got := errs.all(); len(got) > 0 {
			return got[0]
		}
	}
	t.Fatal("no error reported")
	return nil
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
	const n, deadline = 1000, 500 * time.Millisecond
	w := &gateWriter{gate: make(chan struct{})}
	f := newFixture(t, cwzap.WithFallback(w), cwzap.WithMaxBatchEvents(100),
		cwzap.WithPutTimeout(time.Hour), cwzap.WithSyncTimeout(deadline))
	f.srv.SetFaults(cwlogstest.Faults{Outage: true})
	for i := range n {
		f.syncer.Write(fmt.Appendf(nil, "stuck %d", i))
	}
	start := time.Now()
	err := f.syncer.SyncContext(context.Background())
	late := lateOf(err)
	// Structural, not a timing window: without the background handover
	// this took 10 s or more (ten batches, each stuck).
	if took := time.Since(start); took > 2*deadline {
		t.Errorf("SyncContext took %v with a stuck fallback writer, deadline %v", took, deadline)
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
}

func TestSyncerCloseContextDeadlineSendsTheRestToFallback(t *testing.T) {
	f := newFixture(t, cwzap.WithMaxBatchEvents(10))
	f.srv.SetFaults(cwlogstest.Faults{Latency: 5 * time.Second})
	for i := range 50 {
		f.syncer.Write(fmt.Appendf(nil, "%d", i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := f.syncer.CloseContext(ctx)
	n := lateOf(err)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CloseContext = %d, %v; want the deadline error", n, err)
	}
	if elapsed := time.Since(start); elapsed > 4*time.Second {
		t.Errorf("CloseContext took %v, past its deadline", elapsed)
	}
	if n != 50 {
		t.Errorf("CloseContext reports %d undelivered, want 50", n)
	}
	st := f.syncer.Stats()
	checkStatsAddUp(t, st)
	if st.Fallback != 50 || len(f.fallback.Lines()) != 50 {
		t.Errorf("stats = %+v, fallback lines %d; want all 50 in the fallback", st, len(f.fallback.Lines()))
	}
}

func TestSyncerSyncContextDeadlineSendsPendingToFallback(t *testing.T) {
	f := newFixture(t)
	f.srv.SetFaults(cwlogstest.Faults{Latency: time.Hour})
	f.syncer.Write([]byte("slow"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := f.syncer.SyncContext(ctx)
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
	f := newFixture(t)
	f.createStream(t)
	f.srv.SetFaults(cwlogstest.Faults{Outage: true})
	f.syncer.Write([]byte("deferred"))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := f.syncer.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush during an outage = %v, want the context's deadline", err)
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
}
