package cwzap_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

func TestSyncerRejectedEventsGoToFallback(t *testing.T) {
	f := newFixture(t)
	f.syncer.WriteEntry(time.Now().Add(-15*24*time.Hour), []byte("fifteen days old"))
	f.syncer.WriteEntry(time.Now(), []byte("on time"))
	f.syncer.WriteEntry(time.Now().Add(3*time.Hour), []byte("three hours ahead"))
	err := f.syncer.Sync()
	var de *cwzap.DeliveryError
	if !errors.As(err, &de) || de.Rejected == 0 {
		t.Fatalf("Sync = %v, want a DeliveryError for rejected events", err)
	}
	st := f.syncer.Stats()
	if st.Delivered != 1 || st.Rejected != 2 || st.Fallback != 2 {
		t.Errorf("stats = %+v, want 1 delivered, 2 rejected to the fallback", st)
	}
	checkStatsAddUp(t, st)
	lines := f.fallback.Lines()
	sort.Strings(lines)
	if strings.Join(lines, "|") != "fifteen days old|three hours ahead" {
		t.Errorf("fallback lines = %q", lines)
	}
	if got := f.messages(t); len(got) != 1 || got[0] != "on time" {
		t.Errorf("stream holds %q, want only the event on time", got)
	}
	// The old event can't share a batch with the others (24 h span), so
	// each batch reports its own rejection.
	reported := 0
	for _, err := range f.errs.all() {
		if errors.As(err, &de) && de.Rejected > 0 {
			reported += de.Events
		}
	}
	if reported != 2 {
		t.Errorf("error handler got %v, want reports of 2 rejected events", f.errs.all())
	}
}

func TestSyncerCreatesGroupWithRetentionKMSAndTags(t *testing.T) {
	f := newFixture(t,
		cwzap.WithRetention(7),
		cwzap.WithKMSKey("arn:aws:kms:us-east-1:111122223333:key/abc"),
		cwzap.WithTags(map[string]string{"team": "core"}))
	f.syncer.Write([]byte("hello"))
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, g := range f.srv.Groups() {
		if g.Name != f.group {
			continue
		}
		found = true
		if g.RetentionInDays != 7 || g.KMSKeyID != "arn:aws:kms:us-east-1:111122223333:key/abc" || g.Tags["team"] != "core" {
			t.Errorf("group = %+v, want retention 7, the KMS key and the tag", g)
		}
	}
	if !found {
		t.Fatalf("group %s not created", f.group)
	}
	if n := f.srv.Calls("CreateLogStream"); n != 2 {
		// The first try finds the group missing, the second succeeds.
		t.Errorf("CreateLogStream called %d times, want 2", n)
	}
}

func TestSyncerWithoutCreateGroupFailsToFallback(t *testing.T) {
	f := newFixture(t, cwzap.WithCreateGroup(false))
	f.syncer.Write([]byte("one"))
	f.syncer.Write([]byte("two"))
	err := f.syncer.Sync()
	var de *cwzap.DeliveryError
	if !errors.As(err, &de) || de.Events != 2 {
		t.Fatalf("Sync = %v, want a DeliveryError for 2 events", err)
	}
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) && !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("error %v does not say the group is missing", err)
	}
	if got := f.fallback.Lines(); strings.Join(got, ",") != "one,two" {
		t.Errorf("fallback = %q, want both events", got)
	}
	if n := f.srv.Calls("CreateLogGroup"); n != 0 {
		t.Errorf("CreateLogGroup called %d times", n)
	}
	checkStatsAddUp(t, f.syncer.Stats())
	if len(f.errs.all()) != 1 {
		t.Errorf("error handler got %d reports, want 1", len(f.errs.all()))
	}
}

func TestSyncerLegacySequenceTokens(t *testing.T) {
	srv := cwlogstest.NewUnstartedServer()
	srv.SequenceTokens = true
	srv.Start()
	t.Cleanup(srv.Close)
	f := newFixtureOn(t, srv, cwzap.WithConcurrency(1), cwzap.WithMaxBatchEvents(10))
	for i := range 35 {
		f.syncer.Write(fmt.Appendf(nil, "event %d", i))
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	// A second Syncer on the same stream starts without the token.
	s2, err := cwzap.NewSyncer(f.group, f.stream, cwzap.WithClient(srv.Client()), cwzap.WithFallback(f.fallback))
	if err != nil {
		t.Fatal(err)
	}
	s2.Write([]byte("from the second writer"))
	if err := s2.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := len(f.messages(t)); got != 36 {
		t.Errorf("stream holds %d events, want 36", got)
	}
	if srv.Calls("DescribeLogStreams") == 0 {
		t.Error("the second writer never described the stream to learn the token")
	}
	if lines := f.fallback.Lines(); len(lines) != 0 {
		t.Errorf("fallback got %q", lines)
	}
}

// On the bubble's clock the Sync deadline counts the backoff of the
// retries, not the machine's speed.
func TestSyncerRetriesThrottlingAndServerErrors(t *testing.T) {
	synctest.Test(t, testSyncerRetriesThrottlingAndServerErrors)
}

func testSyncerRetriesThrottlingAndServerErrors(t *testing.T) {
	f := bubbleFixture(t, cwzap.WithMaxBatchEvents(20))
	f.srv.SetFaults(cwlogstest.Faults{Throttle: 0.3, Unavailable: 0.2, InternalFailure: 0.1, Seed: 1})
	for i := range 400 {
		f.syncer.Write(fmt.Appendf(nil, "event %d", i))
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	st := f.syncer.Stats()
	if st.Delivered != 400 || st.Retries == 0 {
		t.Errorf("stats = %+v, want all 400 delivered after some retries", st)
	}
	if got := len(f.messages(t)); got != 400 {
		t.Errorf("stream holds %d events, want 400 (no duplicates)", got)
	}
}

// A bare HTTP 500 (no error code, as a proxy or load balancer answers) is
// retried, not failed for good: the first put is answered so, the second
// is accepted.
func TestSyncerRetriesABare500(t *testing.T) {
	f := newFixture(t)
	f.createStream(t)
	// With this seed the first draw is below one half and the second above.
	f.srv.SetFaults(cwlogstest.Faults{Bare: 0.5, Seed: 7})
	f.syncer.Write([]byte("through a proxy"))
	if err := f.syncer.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	st := f.syncer.Stats()
	if n := f.srv.Calls("PutLogEvents"); n != 2 || st.Retries != 1 || st.Delivered != 1 || st.Fallback != 0 {
		t.Errorf("%d puts, stats %+v; want the bare 500 retried once and the event delivered", n, st)
	}
	if lines := f.fallback.Lines(); len(lines) != 0 {
		t.Errorf("fallback got %q", lines)
	}
}

func TestSyncerFailsForGoodAtThePutTimeout(t *testing.T) {
	synctest.Test(t, testSyncerFailsForGoodAtThePutTimeout)
}

func testSyncerFailsForGoodAtThePutTimeout(t *testing.T) {
	const putTimeout = 300 * time.Millisecond
	f := bubbleFixture(t, cwzap.WithPutTimeout(putTimeout))
	f.srv.SetFaults(cwlogstest.Faults{Outage: true})
	f.syncer.Write([]byte("lost to the outage"))
	start := time.Now()
	err := f.syncer.Sync()
	if took := time.Since(start); took != putTimeout {
		t.Errorf("Sync returned after %v, want the put timeout %v: the put failed for good then", took, putTimeout)
	}
	if err == nil {
		t.Fatal("Sync = nil during an outage")
	}
	if !strings.Contains(err.Error(), "WithPutTimeout (300ms) passed") {
		t.Errorf("Sync = %q, want it to name the put timeout", err)
	}
	if got := f.fallback.Lines(); len(got) != 1 || got[0] != "lost to the outage" {
		t.Errorf("fallback = %q", got)
	}
	// Recovery: the next event goes through.
	f.srv.SetFaults(cwlogstest.Faults{})
	f.syncer.Write([]byte("after the outage"))
	if err := f.syncer.Sync(); err != nil {
		t.Fatalf("Sync after recovery: %v", err)
	}
	st := f.syncer.Stats()
	if st.Delivered != 1 || st.Fallback != 1 {
		t.Errorf("stats = %+v", st)
	}
}
