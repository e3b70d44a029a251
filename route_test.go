package cwzap_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// Routing: names that take values from each entry ({logger},
// {field:KEY}) send each entry to its own stream, through the real SDK
// client to the in-memory endpoint.

// routedFixture is templated on an in-memory endpoint, for a bubble.
func routedFixture(t *testing.T, group, stream string, opts ...cwzap.SyncerOption) *fixture {
	t.Helper()
	return templatedOn(t, memoryServer(t), group, stream, opts...)
}

// messagesOf returns the "message" of each entry of a stream, in the
// order of their times, as the service returns them.
func messagesOf(t *testing.T, f *fixture, group, stream string) []string {
	t.Helper()
	var out []string
	evs := f.srv.Events(group, stream)
	slices.SortStableFunc(evs, func(a, b cwlogstest.Event) int { return cmp.Compare(a.Timestamp, b.Timestamp) })
	for _, e := range evs {
		m := e.Message
		if i := strings.Index(m, `"message":"`); i >= 0 {
			m = m[i+len(`"message":"`):]
			m = m[:strings.IndexByte(m, '"')]
		}
		out = append(out, m)
	}
	return out
}

func TestRouteByField(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := routedFixture(t, "/app/orders", "{field:tenant}/{date}", cwzap.WithMaxBatchEvents(7))
		f.srv.SetFaults(cwlogstest.Faults{Unavailable: 0.2, Throttle: 0.2, Seed: 1})
		clock := &tickClock{} // entries a millisecond apart, in the order written
		clock.ms.Store(time.Now().UnixMilli())
		logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel), zap.WithClock(clock))
		acme := logger.With(zap.String("tenant", "acme"))
		want := map[string][]string{}
		for i := range 60 {
			switch i % 4 {
			case 0:
				acme.Info(fmt.Sprintf("a%d", i))
				want["acme"] = append(want["acme"], fmt.Sprintf("a%d", i))
			case 1:
				logger.Info(fmt.Sprintf("b%d", i), zap.String("tenant", "beta"))
				want["beta"] = append(want["beta"], fmt.Sprintf("b%d", i))
			case 2:
				acme.Info(fmt.Sprintf("o%d", i), zap.Int("tenant", 42)) // the entry's field counts before its logger's
				want["42"] = append(want["42"], fmt.Sprintf("o%d", i))
			case 3:
				logger.Info(fmt.Sprintf("n%d", i)) // no tenant
				want["-"] = append(want["-"], fmt.Sprintf("n%d", i))
			}
		}
		f.syncer.WriteEntry(clock.Now(), []byte("raw")) // no entry: as one without the field
		f.syncOK(t)

		day := time.UnixMilli(clock.ms.Load()).UTC().Format(time.DateOnly)
		for tenant, msgs := range want {
			got := messagesOf(t, f, "/app/orders", tenant+"/"+day)
			if tenant == "-" {
				msgs = append(msgs, "raw")
			}
			if fmt.Sprint(got) != fmt.Sprint(msgs) {
				t.Errorf("stream %s/%s holds %q, want %q in order", tenant, day, got, msgs)
			}
		}
		st := f.syncer.Stats()
		checkStatsAddUp(t, st)
		if st.Written != 61 || st.Delivered != 61 {
			t.Errorf("Stats %+v, want all 61 delivered", st)
		}
	})
}

func TestRouteByLogger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := routedFixture(t, "app", "{logger}")
		logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel))
		logger.Named("billing").Info("invoice")
		logger.Named("billing").Named("eu").Info("vat")
		logger.Info("unnamed")
		f.syncOK(t)
		for stream, want := range map[string]string{"billing": "invoice", "billing.eu": "vat", "root": "unnamed"} {
			if got := messagesOf(t, f, "app", stream); len(got) != 1 || got[0] != want {
				t.Errorf("stream %s holds %q, want %q", stream, got, want)
			}
		}
	})
}

// A value is made fit for the name it goes into: characters the service
// refuses there become '_', and a name too long is cut to 512 characters.
func TestRouteValuesAreMadeValidNames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := routedFixture(t, "/app/{field:tenant}", "{field:tenant}")
		logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel))
		long := strings.Repeat("é", 600)
		for _, tenant := range []string{"acme:eu*1", "a b/c", "\x00ctl\n", long} {
			logger.Info("m", zap.String("tenant", tenant))
		}
		f.syncOK(t)
		for _, tt := range []struct{ group, stream string }{
			{"/app/acme_eu_1", "acme_eu_1"},
			{"/app/a_b/c", "a b/c"},
			{"/app/_ctl_", "_ctl_"},
			{"/app/" + strings.Repeat("_", 507), strings.Repeat("é", 512)},
		} {
			if got := len(f.srv.Events(tt.group, tt.stream)); got != 1 {
				t.Errorf("group %.40q stream %.40q holds %d events, want 1", tt.group, tt.stream, got)
			}
		}
		if st := f.syncer.Stats(); st.Delivered != 4 {
			t.Errorf("Stats %+v, want the 4 delivered", st)
		}
	})
}

// An entry too large for one event goes to its route's stream in parts,
// in order, among the others of that route.
func TestRouteSplitEntry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := routedFixture(t, "app", "{field:tenant}", cwzap.WithConcurrency(4))
		clock := &tickClock{}
		clock.ms.Store(time.Now().UnixMilli())
		logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel), zap.WithClock(clock))
		logger.Info("before", zap.String("tenant", "big"))
		logger.Info(strings.Repeat("x", cwzap.MaxEventBytes+1000), zap.String("tenant", "big"))
		logger.Info("other", zap.String("tenant", "small"))
		logger.Info("after", zap.String("tenant", "big"))
		f.syncOK(t)
		evs := f.srv.Events("app", "big")
		slices.SortStableFunc(evs, func(a, b cwlogstest.Event) int { return cmp.Compare(a.Timestamp, b.Timestamp) })
		if len(evs) != 4 {
			t.Fatalf("stream big holds %d events, want before, two parts, after", len(evs))
		}
		for i, want := range []string{`"message":"before"`, `"part":1`, `"part":2`, `"message":"after"`} {
			if !strings.Contains(evs[i].Message, want) {
				t.Errorf("event %d of big is %.80q…, want it to hold %s", i, evs[i].Message, want)
			}
		}
		if got := messagesOf(t, f, "app", "small"); len(got) != 1 || got[0] != "other" {
			t.Errorf("stream small holds %q", got)
		}
	})
}

// Ten thousand tenants through a hundred open streams: the least recently
// used is sealed and gives up its place, nothing is lost, and what the
// Syncer holds stays bounded.
func TestRouteManyTenantsThroughFewStreams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const tenants = 10_000
		f := routedFixture(t, "app", "t-{field:tenant}", cwzap.WithMaxStreams(100), cwzap.WithConcurrency(8))
		logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel))
		most := 0
		for i := range tenants {
			logger.Info("hello", zap.Int("tenant", i))
			if i%100 == 99 {
				most = max(most, cwzap.OpenRoutes(f.syncer))
			}
		}
		f.syncOK(t)
		if most > 100 {
			t.Errorf("%d routes open at once, want at most 100", most)
		}
		st := f.syncer.Stats()
		if st.Written != tenants || st.Delivered != tenants || st.Fallback != 0 {
			t.Errorf("Stats %+v, want all %d delivered", st, tenants)
		}
		out, err := f.srv.Client().DescribeLogStreams(t.Context(), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("app"), LogStreamNamePrefix: aws.String("t-9999")})
		if err != nil || len(out.LogStreams) != 1 {
			t.Errorf("DescribeLogStreams t-9999: %v, %v", out, err)
		}
		for _, i := range []int{0, 1234, 9999} {
			if got := len(f.srv.Events("app", fmt.Sprintf("t-%d", i))); got != 1 {
				t.Errorf("stream t-%d holds %d events, want 1", i, got)
			}
		}
		if n := cwzap.Targets(f.syncer); n > 2 {
			t.Errorf("%d targets kept once every batch is settled, want at most the last", n)
		}
	})
}

// An open batch starts at its route's share of half the buffer and widens,
// up to WithMaxBatchBytes, while the open batches hold less than that half:
// two routes fill requests nearly as one route would, eight
// (WithMaxStreams) keep to their shares and leave the other half for the
// batches being sent.
func TestRouteBatchesWidenWhileFewRoutesAreOpen(t *testing.T) {
	const (
		limit   = 8 << 20
		streams = 8
		share   = limit / (2 * streams) // 512 KiB
		entries = 6000                  // about 6.7 MB of log data
	)
	for _, tt := range []struct {
		tenants int
		widened bool
	}{
		{2, true},
		{streams, false},
	} {
		t.Run(fmt.Sprintf("%d tenants", tt.tenants), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := routedFixture(t, "app", "t-{field:tenant}", cwzap.WithBufferLimit(limit), cwzap.WithMaxStreams(streams),
					cwzap.WithOverflow(cwzap.OverflowBlock))
				logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel))
				pad := strings.Repeat("x", 1000)
				for i := range entries {
					logger.Info(pad, zap.Int("tenant", i%tt.tenants))
				}
				f.syncOK(t)
				st := f.syncer.Stats()
				if st.Delivered != entries {
					t.Fatalf("Stats %+v, want all %d delivered", st, entries)
				}
				// Puts a route needs at most, in batches of size bytes.
				puts := func(size int) int {
					n := 0
					for i := range tt.tenants {
						bytes := 0
						for _, e := range f.srv.Events("app", fmt.Sprintf("t-%d", i)) {
							bytes += len(e.Message) + cwzap.EventOverhead
						}
						n += (bytes + size - 1) / size
					}
					return n
				}
				widened, shares := puts(cwzap.MaxBatchBytes*9/10), puts(share)
				if tt.widened && int(st.Batches) > widened {
					t.Errorf("%d puts, want at most %d: batches of nearly WithMaxBatchBytes, not of the share (%d puts)", st.Batches, widened, shares)
				}
				if !tt.widened && int(st.Batches) < shares {
					t.Errorf("%d puts, want at least %d: batches of the share, which fills half the buffer", st.Batches, shares)
				}
			})
		})
	}
}

// Widened batches give their room back: routes sealed by their event
// count leave half the buffer to others, which widen into it; when the
// first reopen, the most widened are sealed, and the open batches never
// take more than half of WithBufferLimit.
func TestRouteWidenedBatchesGiveTheirRoomBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const limit, streams = 8 << 20, 8
		f := routedFixture(t, "app", "t-{field:tenant}", cwzap.WithBufferLimit(limit), cwzap.WithMaxStreams(streams),
			cwzap.WithMaxBatchEvents(1000), cwzap.WithOverflow(cwzap.OverflowBlock))
		logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel))
		most := 0
		check := func(when string) {
			charged, half := cwzap.OpenCharge(f.syncer)
			most = max(most, charged)
			if charged > half {
				t.Errorf("%s: the open batches are charged %d bytes, more than half the buffer (%d)", when, charged, half)
			}
		}
		n := 0
		log := func(tenant, count int, msg string) {
			for range count {
				logger.Info(msg, zap.Int("tenant", tenant))
				n++
			}
		}
		for i := range streams {
			log(i, 1, "open")
		}
		check("all open")
		for i := range 4 {
			log(i, 999, "s") // sealed by the event count
		}
		check("half sealed")
		big := strings.Repeat("x", 2000)
		for i := 4; i < streams; i++ {
			log(i, 400, big) // widened into the room
		}
		check("the others widened")
		if _, half := cwzap.OpenCharge(f.syncer); most <= half/2 {
			t.Fatalf("the open batches took at most %d bytes: none widened, and the test shows nothing", most)
		}
		for i := range 4 {
			log(i, 1, "again")
		}
		check("the first reopened")
		f.syncOK(t)
		if st := f.syncer.Stats(); st.Delivered != uint64(n) || st.Fallback != 0 {
			t.Errorf("Stats %+v, want all %d delivered", st, n)
		}
		if charged, _ := cwzap.OpenCharge(f.syncer); charged != 0 {
			t.Errorf("the open batches are charged %d bytes once all are sealed, want 0", charged)
		}
	})
}

// An unknown placeholder and a field placeholder without a key are errors
// that name what is known.
func TestRoutePlaceholderErrors(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	for _, stream := range []string{"{field:}", "{fields:tenant}", "{loger}"} {
		_, err := cwzap.NewSyncer("g", stream, cwzap.WithClient(srv.Client()))
		if err == nil || !strings.Contains(err.Error(), "{logger}, {field:KEY}") {
			t.Errorf("NewSyncer(%q) = %v, want an error naming the known placeholders", stream, err)
		}
	}
}
