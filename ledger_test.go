package cwzap_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Events still pending at the deadline against an endpoint that refuses
// connections: the error says why, in one line.
func TestLateEventsNameTheLastAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const deadline = time.Second
		s, fallback, _ := closedSyncer(t, "refused", deadline)
		defer s.Close()
		s.Write([]byte("to nowhere"))
		start := time.Now()
		err := s.Sync()
		if took, want := time.Since(start), deadline-deadline/10; took != want {
			t.Errorf("Sync returned after %v, want %v: its deadline less the handover reserve", took, want)
		}
		if err == nil {
			t.Fatal("Sync = nil, want the late event reported")
		}
		msg := err.Error()
		if lateOf(err) != 1 || !strings.Contains(msg, "connection refused") || strings.Contains(msg, "\n") {
			t.Errorf("Sync = %q; want 1 late event and the refused connection, on one line", msg)
		}
		if got := fallback.Lines(); len(got) != 1 || got[0] != "to nowhere" {
			t.Errorf("fallback = %q", got)
		}
		checkStatsAddUp(t, s.Stats())
	})
}
