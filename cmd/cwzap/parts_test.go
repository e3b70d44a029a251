package main

import (
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
)

// An entry the library split into parts prints as the one entry it was;
// -json prints the parts as stored.
func TestTailJoinsSplitEntries(t *testing.T) {
	srv, _ := stream(t)
	s, err := cwzap.NewSyncer("g", "s", cwzap.WithClient(srv.Client()), cwzap.WithConcurrency(4))
	if err != nil {
		t.Fatal(err)
	}
	logger := zap.New(cwzap.NewCore(s, zap.InfoLevel))
	big := "start " + strings.Repeat("0123456789", 3*cwzap.MaxEventBytes/10) + " end"
	logger.Info(big, zap.Int("n", 7))
	logger.Info("after")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	stored := len(srv.Events("g", "s"))
	if stored < 4 {
		t.Fatalf("%d events stored, want the big entry in parts", stored)
	}

	lines := tailLines(t, srv)
	if len(lines) != 2 {
		t.Fatalf("tail printed %d lines, want 2 (the joined entry, then the next)", len(lines))
	}
	if !strings.Contains(lines[0], big) || !strings.Contains(lines[0], "n=7") || strings.Contains(lines[0], "chunk") {
		t.Errorf("first line is not the whole entry: %.120s…", lines[0])
	}
	if !strings.Contains(lines[1], "after") {
		t.Errorf("second line = %.120s", lines[1])
	}
	if got := tailLines(t, srv, "-json"); len(got) != stored {
		t.Errorf("tail -json printed %d lines, want the %d stored events", len(got), stored)
	}
	// The command itself: the events on stdout, nothing on stderr (the
	// SDK's warnings included: transport_test.go).
	isolate(t)
	r := exe(t, "", "tail", "-group", "g", "-stream", "s", "-endpoint", srv.URL)
	if r.code != 0 || r.stderr != "" || strings.Count(r.stdout, "\n") != 2 || !strings.Contains(r.stdout, big) {
		t.Errorf("cwzap tail: exit %d, stderr %q, %d lines on stdout; want 0, nothing, the 2 entries", r.code, r.stderr, strings.Count(r.stdout, "\n"))
	}
}

// Parts whose entry never completes print as they are, at the end.
func TestTailPrintsIncompletePartsAsStored(t *testing.T) {
	srv, _ := stream(t,
		`{"part":1,"parts":2,"entry":"x-1","chunk":"{\"message\":\"half"}`,
		`plain`)
	lines := tailLines(t, srv)
	if len(lines) != 2 || !strings.Contains(lines[0], "plain") || !strings.Contains(lines[1], "entry=x-1") {
		t.Errorf("tail printed %q, want the plain event, then the lone part as stored", lines)
	}
}
