package cwzap_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
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

// templated starts an endpoint and a Syncer on the name templates given.
func templated(t *testing.T, group, stream string, opts ...cwzap.SyncerOption) *fixture {
	t.Helper()
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	return templatedOn(t, srv, group, stream, opts...)
}

// templatedOn is templated on srv.
func templatedOn(t *testing.T, srv *cwlogstest.Server, group, stream string, opts ...cwzap.SyncerOption) *fixture {
	t.Helper()
	f := &fixture{srv: srv, fallback: &lockedBuffer{}, errs: &errorLog{}, group: group, stream: stream}
	base := []cwzap.SyncerOption{
		cwzap.WithClient(srv.Client()),
		cwzap.WithFallback(f.fallback),
		cwzap.WithErrorHandler(f.errs.handle),
		cwzap.WithFlushInterval(time.Hour),
	}
	s, err := cwzap.NewSyncer(group, stream, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	f.syncer = f.errs.attach(s)
	t.Cleanup(func() { s.Close() })
	return f
}

// in returns the messages of one stream, read back through the SDK.
func (f *fixture) in(t *testing.T, group, stream string) []string {
	t.Helper()
	g := *f
	g.group, g.stream = group, stream
	return g.messages(t)
}

// stepClock is a zapcore.Clock whose time the test sets.
type stepClock struct{ now time.Time }

func (c *stepClock) Now() time.Time                         { return c.now }
func (c *stepClock) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }

// midnight returns the last UTC midnight, and the dates either side of it.
func midnight() (time.Time, string, string) {
	m := time.Now().UTC().Truncate(24 * time.Hour)
	return m, m.Add(-time.Millisecond).Format(time.DateOnly), m.Format(time.DateOnly)
}

func TestDateStreamRollsOverAtTheEventsMidnight(t *testing.T) {
	f := templated(t, "/test/app", "orders-{date}", cwzap.WithMaxBatchEvents(100), cwzap.WithConcurrency(4))
	if _, err := f.srv.Client().CreateLogGroup(t.Context(), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/test/app")}); err != nil {
		t.Fatal(err)
	}
	clock := &stepClock{}
	logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel), zap.WithClock(clock))
	m, before, after := midnight()

	// Half the events at 23:59:59.999, half at 00:00:00.000, interleaved
	// as writers near midnight interleave them.
	const n = 1000
	for i := range n {
		clock.now = m.Add(-time.Millisecond)
		if i%2 == 1 {
			clock.now = m
		}
		logger.Info("entry", zap.Int("i", i))
	}
	if err := logger.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	for _, tt := range []struct {
		stream  string
		wantOdd bool
	}{
		{"orders-" + before, false},
		{"orders-" + after, true},
	} {
		msgs := f.in(t, "/test/app", tt.stream)
		if len(msgs) != n/2 {
			t.Errorf("%s: %d events, want %d", tt.stream, len(msgs), n/2)
		}
		seen := map[int]bool{}
		for _, msg := range msgs {
			var v struct{ I int }
			if err := json.Unmarshal([]byte(msg), &v); err != nil {
				t.Fatalf("%s: %v in %s", tt.stream, err, msg)
			}
			if seen[v.I] || (v.I%2 == 1) != tt.wantOdd {
				t.Errorf("%s: event %d duplicated or in the wrong day's stream", tt.stream, v.I)
			}
			seen[v.I] = true
		}
	}
	if got := f.srv.Calls("CreateLogStream"); got != 2 {
		t.Errorf("CreateLogStream called %d times, want 2: once per day, however many puts found it missing", got)
	}
	st := f.syncer.Stats()
	checkStatsAddUp(t, st)
	if st.Delivered != n {
		t.Errorf("Stats %+v: want %d delivered", st, n)
	}
	// Interleaved days cost one put per day of each batch of 100, not one
	// per change of day.
	if st.Batches != 2*n/100 {
		t.Errorf("%d puts, want %d: two per batch", st.Batches, 2*n/100)
	}
}

func TestDateGroupRollsOverAndEachDayIsCreatedOnce(t *testing.T) {
	f := templated(t, "/test/{date}", "s")
	m, before, after := midnight()
	for i := range 10 {
		day := m.Add(-time.Millisecond)
		if i >= 5 {
			day = m
		}
		if err := f.syncer.WriteEntry(day, []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			f.syncer.Sync() // several puts per day
		}
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := f.in(t, "/test/"+before, "s"); strings.Join(got, ",") != "0,1,2,3,4" {
		t.Errorf("day before midnight: %q", got)
	}
	if got := f.in(t, "/test/"+after, "s"); strings.Join(got, ",") != "5,6,7,8,9" {
		t.Errorf("day after midnight: %q", got)
	}
	// Each day: the stream's creation finds the group missing, the group
	// is created, then the stream.
	if g, s := f.srv.Calls("CreateLogGroup"), f.srv.Calls("CreateLogStream"); g != 2 || s != 4 {
		t.Errorf("CreateLogGroup %d, CreateLogStream %d calls; want 2 and 4", g, s)
	}
}

func TestProcessPlaceholdersExpandAtConstruction(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "order-intake")
	f := templated(t, "/app/{function}", "{hostname}-{pid}")
	if err := f.syncer.WriteEntry(time.Now(), []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	stream := fmt.Sprintf("%s-%d", host, os.Getpid())
	if got := f.in(t, "/app/order-intake", stream); len(got) != 1 || got[0] != "hello" {
		t.Errorf("stream %q holds %q, want [hello]", stream, got)
	}
}

func TestNameTemplateErrors(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	tests := []struct {
		name          string
		giveGroup     string
		giveStream    string
		wantInMessage []string
	}{
		{"unknown placeholder", "g", "s-{day}", []string{"{day}", "{date}, {hostname}, {pid}, {function}"}},
		{"unknown in the group", "{Date}", "s", []string{"log group", "{Date}"}},
		{"too long once expanded", "g", "{date}" + strings.Repeat("x", 503), []string{"log stream", "1 to 512"}},
		{"function not a valid group name", "/app/{function}", "s", []string{"log group", `' '`}},
	}
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "has space")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cwzap.NewSyncer(tt.giveGroup, tt.giveStream, cwzap.WithClient(srv.Client()))
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tt.wantInMessage {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestBracesThatAreNoPlaceholderStayAsWritten(t *testing.T) {
	f := templated(t, "g", "a{b-{}")
	f.syncer.WriteEntry(time.Now(), []byte("x"))
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := f.in(t, "g", "a{b-{}"); len(got) != 1 {
		t.Errorf("stream a{b-{} holds %q", got)
	}
}

var _ zapcore.Clock = (*stepClock)(nil)

// The sync deadline covers the batches of every day's stream: when it
// passes, each pending event of both goes to the fallback writer, once.
func TestSyncDeadlineCoversEveryStream(t *testing.T) {
	synctest.Test(t, testSyncDeadlineCoversEveryStream)
}

func testSyncDeadlineCoversEveryStream(t *testing.T) {
	const deadline = 300 * time.Millisecond
	f := templatedOn(t, memoryServer(t), "/test/app", "s-{date}", cwzap.WithSyncTimeout(deadline))
	f.srv.SetFaults(cwlogstest.Faults{Outage: true})
	m, _, _ := midnight()
	const n = 20
	for i := range n {
		day := m.Add(-time.Millisecond)
		if i%2 == 1 {
			day = m
		}
		f.syncer.WriteEntry(day, []byte(strconv.Itoa(i)))
	}
	start := time.Now()
	err := f.syncer.Sync()
	if took, want := time.Since(start), deadline-deadline/10; took != want {
		t.Errorf("Sync returned after %v, want %v: its deadline less the handover reserve", took, want)
	}
	var de *cwzap.DeliveryError
	if !errors.As(err, &de) || de.Late != n || de.Stream != "s-{date}" {
		t.Fatalf("Sync: %v, want %d late events of s-{date}", err, n)
	}
	got := map[string]int{}
	for _, line := range f.fallback.Lines() {
		got[line]++
	}
	for i := range n {
		if got[strconv.Itoa(i)] != 1 {
			t.Errorf("event %d is in the fallback writer %d times, want once", i, got[strconv.Itoa(i)])
		}
	}
	st := f.syncer.Stats()
	checkStatsAddUp(t, st)
	if st.Fallback != n {
		t.Errorf("Stats %+v: want %d in the fallback writer", st, n)
	}
	// The error handler names each day's own stream.
	perStream := map[string]int{}
	for _, err := range f.errs.all() {
		if errors.As(err, &de) {
			perStream[de.Stream] += de.Late
		}
	}
	before, after := "s-"+m.Add(-time.Millisecond).UTC().Format(time.DateOnly), "s-"+m.UTC().Format(time.DateOnly)
	if perStream[before] != n/2 || perStream[after] != n/2 || len(perStream) != 2 {
		t.Errorf("late events reported per stream %v, want %d in %s and %d in %s", perStream, n/2, before, n/2, after)
	}
}

// TestNameLimits checks the service's name rules at and just over each
// limit: lengths count characters, not bytes.
func TestNameLimits(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	tests := []struct {
		name       string
		giveGroup  string
		giveStream string
		wantErr    string // "" when the names are accepted
	}{
		{"group of 512", strings.Repeat("g", 512), "s", ""},
		{"group of 513", strings.Repeat("g", 513), "s", "log group name \"" + strings.Repeat("g", 40) + "\"…: 513 characters, want 1 to 512"},
		{"empty group", "", "s", "0 characters, want 1 to 512"},
		{"group outside its pattern", "/app/é", "s", `'é' is not allowed (letters, digits, . - _ / #)`},
		{"stream of 512 ASCII", "g", strings.Repeat("s", 512), ""},
		{"stream of 513 ASCII", "g", strings.Repeat("s", 513), "513 characters, want 1 to 512"},
		{"stream of 512 two-byte characters", "g", strings.Repeat("é", 512), ""},
		{"stream of 513 two-byte characters", "g", strings.Repeat("é", 513), "513 characters, want 1 to 512"},
		{"stream of 512 four-byte characters", "g", strings.Repeat("😀", 512), ""},
		{"stream with a colon", "g", "a:b", `':' is not allowed`},
		{"stream with an asterisk", "g", "a*b", `'*' is not allowed`},
		{"stream with invalid UTF-8", "g", "a\xffb", "not valid UTF-8"},
		{"stream with NUL", "g", "a\x00b", "control character U+0000 is not allowed"},
		{"stream with a newline", "g", "a\nb", "control character U+000A is not allowed"},
		{"stream with DEL", "g", "a\x7fb", "control character U+007F is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := cwzap.NewSyncer(tt.giveGroup, tt.giveStream, cwzap.WithClient(srv.Client()))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("NewSyncer(%q, %q): %v", tt.giveGroup, tt.giveStream, err)
				}
				if err := s.Close(); err != nil {
					t.Error(err)
				}
				return
			}
			if err == nil {
				s.Close()
				t.Fatalf("NewSyncer(%q, %q) accepted the names", tt.giveGroup, tt.giveStream)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "cwzap: ") || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("error %q does not start with \"cwzap: \" and contain %q", msg, tt.wantErr)
			}
		})
	}
}
