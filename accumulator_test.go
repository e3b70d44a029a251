package cwzap_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

func TestSyncerBatchLimits(t *testing.T) {
	// msg returns an event of exactly n message bytes.
	msg := func(n int) []byte { return bytes.Repeat([]byte("x"), n) }
	now := time.Now()
	tests := []struct {
		name        string
		giveSizes   []int           // message bytes of each event
		giveOffsets []time.Duration // event time = now - 25h + offset; nil: all now
		wantBatches uint64
	}{
		{"10000 events fit one batch", repeat(10, cwzap.MaxBatchEvents), nil, 1},
		{"10001 events take two", repeat(10, cwzap.MaxBatchEvents+1), nil, 2},
		{"exactly the byte limit is one batch", []int{cwzap.MaxBatchBytes/2 - cwzap.EventOverhead, cwzap.MaxBatchBytes/2 - cwzap.EventOverhead}, nil, 1},
		{"one byte over the byte limit is two", []int{cwzap.MaxBatchBytes/2 - cwzap.EventOverhead, cwzap.MaxBatchBytes/2 - cwzap.EventOverhead + 1}, nil, 2},
		{"an event of the maximum size is one batch", []int{cwzap.MaxEventBytes}, nil, 1},
		{"24 hours apart is one batch", []int{10, 10}, []time.Duration{0, 24 * time.Hour}, 1},
		{"24 hours and 1 ms apart is two", []int{10, 10}, []time.Duration{0, 24*time.Hour + time.Millisecond}, 2},
		{"out of order within 24 h is sorted into one", []int{10, 10, 10}, []time.Duration{2 * time.Hour, time.Hour, 3 * time.Hour}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.createStream(t)
			for i, size := range tt.giveSizes {
				ts := now
				if tt.giveOffsets != nil {
					ts = now.Add(-25 * time.Hour).Add(tt.giveOffsets[i])
				}
				if err := f.syncer.WriteEntry(ts, msg(size)); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.syncer.Sync(); err != nil {
				t.Fatalf("Sync: %v", err)
			}
			st := f.syncer.Stats()
			if st.Batches != tt.wantBatches {
				t.Errorf("Batches = %d, want %d", st.Batches, tt.wantBatches)
			}
			// Every put was accepted: the Syncer respected the limit
			// itself rather than having a refused request split for it.
			if calls := f.srv.Calls("PutLogEvents"); uint64(calls) != tt.wantBatches {
				t.Errorf("%d PutLogEvents calls for %d batches: a request was refused", calls, tt.wantBatches)
			}
			if int(st.Delivered) != len(tt.giveSizes) || st.Fallback != 0 {
				t.Errorf("stats = %+v, want all %d delivered", st, len(tt.giveSizes))
			}
			if got := len(f.srv.Events(f.group, f.stream)); got != len(tt.giveSizes) {
				t.Errorf("endpoint holds %d events, want %d", got, len(tt.giveSizes))
			}
		})
	}
}

func repeat(v, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func TestSyncerSortsEventsInsideBatches(t *testing.T) {
	f := newFixture(t)
	base := time.Now().Add(-time.Hour)
	for _, off := range []int{5, 1, 4, 1, 3, 2} {
		f.syncer.WriteEntry(base.Add(time.Duration(off)*time.Second), fmt.Appendf(nil, "at %d", off))
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range f.srv.Events(f.group, f.stream) {
		got = append(got, e.Message)
	}
	want := []string{"at 1", "at 1", "at 2", "at 3", "at 4", "at 5"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("stored order %q, want %q", got, want)
	}
}

func TestSyncerSplitsOversizeEntries(t *testing.T) {
	f := newFixture(t)
	logger := zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel), zap.AddCaller())
	big := strings.Repeat(`a "quoted" line with é and 日本 `, 3*cwzap.MaxEventBytes/30)
	logger.Info(big, zap.Int("n", 7))
	if err := logger.Sync(); err != nil {
		t.Fatal(err)
	}
	events := f.srv.Events(f.group, f.stream)
	if len(events) < 3 {
		t.Fatalf("got %d events, want the entry in several parts", len(events))
	}
	// Parts travel in separate batches, possibly in parallel, and are
	// stored in order.
	var whole strings.Builder
	for i, e := range events {
		if len(e.Message) > cwzap.MaxEventBytes {
			t.Fatalf("part %d is %d bytes", i+1, len(e.Message))
		}
		var part struct {
			Timestamp, Level, Location string
			Part, Parts                int
			Chunk                      string
		}
		if err := json.Unmarshal([]byte(e.Message), &part); err != nil {
			t.Fatalf("part %d is not JSON: %v", i+1, err)
		}
		if part.Part != i+1 || part.Parts != len(events) || part.Level != "INFO" || part.Timestamp == "" || !strings.Contains(part.Location, "TestSyncerSplitsOversizeEntries") {
			t.Fatalf("part %d head = %d/%d %s %s %s", i+1, part.Part, part.Parts, part.Level, part.Timestamp, part.Location)
		}
		whole.WriteString(part.Chunk)
	}
	var entry struct {
		Message string
		N       int
	}
	if err := json.Unmarshal([]byte(whole.String()), &entry); err != nil {
		t.Fatalf("reassembled entry is not JSON: %v", err)
	}
	if entry.Message != big || entry.N != 7 {
		t.Errorf("reassembled entry differs from the original")
	}
	if st := f.syncer.Stats(); st.Written != uint64(len(events)) || st.Delivered != st.Written {
		t.Errorf("stats = %+v, want %d parts written and delivered", st, len(events))
	}
}

func TestSyncerSplitsRequestsTheEndpointRefusesAsTooLarge(t *testing.T) {
	// Control characters escape to six bytes each, so a batch's body is far
	// larger than its service count; an endpoint capped at 512 KiB refuses
	// it (413). The Syncer halves the batch until the halves pass.
	srv := cwlogstest.NewUnstartedServer()
	srv.MaxRequestBytes = 512 << 10
	srv.Start()
	t.Cleanup(srv.Close)
	f := newFixtureOn(t, srv)
	line := bytes.Repeat([]byte{0x01}, 1000)
	for range 1000 {
		f.syncer.Write(line)
	}
	if err := f.syncer.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	st := f.syncer.Stats()
	if st.Delivered != 1000 || st.Batches < 2 {
		t.Errorf("stats = %+v, want 1000 delivered in several batches", st)
	}
	if refused := f.srv.Calls("PutLogEvents") - int(st.Batches); refused < 1 {
		t.Errorf("no request was refused as too large (%d puts, %d batches): the split path went untested", f.srv.Calls("PutLogEvents"), st.Batches)
	}
	if got := len(f.srv.Events(f.group, f.stream)); got != 1000 {
		t.Errorf("endpoint holds %d events, want 1000", got)
	}
}
