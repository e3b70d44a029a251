package cwzap

import (
	"strconv"
	"testing"
	"time"

	"github.com/cwzap/cwzap/cwlogstest"
)

// A Syncer that lives for days keeps the targets of the days in use only.
func TestOldDaysAreDroppedOnceIdle(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	s, err := NewSyncer("g", "s-{date}", WithClient(srv.Client()), WithFlushInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -5)
	for d := range 6 {
		if err := s.WriteEntry(start.AddDate(0, 0, d), []byte(strconv.Itoa(d))); err != nil {
			t.Fatal(err)
		}
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	n := s.targets.len()
	if n > 2 {
		t.Errorf("%d targets kept after six days, want at most 2", n)
	}
	for d := range 6 {
		name := "s-" + start.AddDate(0, 0, d).Format(time.DateOnly)
		if got := srv.Events("g", name); len(got) != 1 || got[0].Message != strconv.Itoa(d) {
			t.Errorf("stream %s holds %+v", name, got)
		}
	}
}

func TestDayOf(t *testing.T) {
	tests := []struct {
		give time.Time
		want string
	}{
		{time.Date(2026, 11, 28, 23, 59, 59, 999e6, time.UTC), "2026-11-28"},
		{time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), "2026-11-29"},
		{time.Date(1969, 12, 31, 23, 59, 59, 999e6, time.UTC), "1969-12-31"},
		{time.Date(2026, 11, 29, 1, 0, 0, 0, time.FixedZone("CET", 3600)), "2026-11-29"},
	}
	tmpl := nameTemplate{parts: []namePart{{value: _partDate}}}
	for _, tt := range tests {
		if got := tmpl.expand(dayOf(tt.give.UnixMilli()), nil); got != tt.want {
			t.Errorf("%v: %s, want %s", tt.give, got, tt.want)
		}
	}
}
