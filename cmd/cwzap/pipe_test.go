package main

import (
	"strings"
	"testing"
	"time"

	"github.com/cwzap/cwzap/cwlogstest"
)

func TestPipeThenTail(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	out, errOut, err := cli(t, "first line\n\nsecond line\r\n{\"json\":true}", "pipe", "-group", "/cli/test", "-stream", "s1", "-endpoint", srv.URL)
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	if out != "cwzap: 3 lines: 3 delivered, 0 to stderr\n" || errOut != "" {
		t.Errorf("pipe printed %q and %q; the empty line is not an event, the rest are delivered", out, errOut)
	}
	events := srv.Events("/cli/test", "s1")
	if len(events) != 3 || events[0].Message != "first line" || events[1].Message != "second line" || events[2].Message != `{"json":true}` {
		t.Fatalf("endpoint holds %+v", events)
	}
	out, _, err = cli(t, "", "tail", "-group", "/cli/test", "-stream", "s1", "-endpoint", srv.URL, "-n", "2")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || len(lines) != 2 || !strings.HasSuffix(lines[0], " second line") || !strings.HasSuffix(lines[1], ` json=true`) {
		t.Errorf("tail -n 2: %v, printed %q, want the last two events", err, lines)
	}
	out, _, _ = cli(t, "only\n", "pipe", "-group", "/cli/test", "-stream", "s1", "-endpoint", srv.URL)
	if out != "cwzap: 1 line: 1 delivered, 0 to stderr\n" {
		t.Errorf("one line: %q", out)
	}
}

func TestPipeTakesLinesOfAnyLength(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	long := strings.Repeat("0123456789abcdef", 17<<20/16) // 17 MiB, one line
	out, _, err := cli(t, "short\n"+long+"\nlast\n", "pipe", "-group", "g", "-stream", "s", "-endpoint", srv.URL)
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	events := srv.Events("g", "s")
	if len(events) < 2+17 {
		t.Fatalf("%d events; the 17 MiB line must become at least 17", len(events))
	}
	var joined strings.Builder
	for _, e := range events[1 : len(events)-1] {
		if len(e.Message) > 1_048_576-26 {
			t.Fatalf("an event of %d bytes is over the limit", len(e.Message))
		}
		joined.WriteString(e.Message)
	}
	if events[0].Message != "short" || events[len(events)-1].Message != "last" || joined.String() != long {
		t.Fatalf("the parts do not give the line back")
	}
	if !strings.HasPrefix(out, "cwzap: 3 lines, ") || !strings.Contains(out, " events: ") {
		t.Errorf("summary %q should count 3 lines and their events", out)
	}
}

func TestPipeDeliveryFailureReportedOnce(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	srv.SetFaults(cwlogstest.Faults{Outage: true})
	out, errOut, err := cli(t, "lost line\n", "pipe", "-group", "g", "-stream", "s", "-endpoint", srv.URL, "-timeout", "1s", "-flush", "1ms")
	if err == nil {
		t.Fatal("pipe succeeded during an outage")
	}
	if out != "cwzap: 1 line: 0 delivered, 1 to stderr\n" {
		t.Errorf("summary %q", out)
	}
	// stderr holds the undelivered line, and the error is left to main.
	if !strings.Contains(errOut, "lost line") || strings.Contains(errOut, "ServiceUnavailable") {
		t.Errorf("stderr %q: want the line, not the error", errOut)
	}
	if line := errorLine(err); strings.Count(line, "cwzap:") != 1 {
		t.Errorf("error line %q", line)
	}
}

func TestPipeNameTemplate(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	before := time.Now().UTC().Format(time.DateOnly)
	out, _, err := cli(t, "a\nb\n", "pipe", "-group", "/cli/test", "-stream", "s-{date}", "-endpoint", srv.URL)
	if err != nil {
		t.Fatalf("pipe: %v, printed %q", err, out)
	}
	events := srv.Events("/cli/test", "s-"+before)
	if after := time.Now().UTC().Format(time.DateOnly); len(events) == 0 && after != before {
		events = srv.Events("/cli/test", "s-"+after)
	}
	if len(events) != 2 || events[0].Message != "a" || events[1].Message != "b" {
		t.Errorf("today's stream holds %+v, want a and b", events)
	}
	if _, _, err := cli(t, "a\n", "pipe", "-group", "g", "-stream", "s-{nope}", "-endpoint", srv.URL); err == nil || !strings.Contains(err.Error(), "{nope}") {
		t.Errorf("pipe with {nope}: %v, want an error naming it", err)
	}
}
