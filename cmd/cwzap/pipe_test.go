package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

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
	// The parts are numbered objects, stored in order.
	var joined strings.Builder
	for i, e := range events[1 : len(events)-1] {
		if len(e.Message) > 1_048_576-26 {
			t.Fatalf("an event of %d bytes is over the limit", len(e.Message))
		}
		var p struct {
			Part, Parts int
			Chunk       string
		}
		if err := json.Unmarshal([]byte(e.Message), &p); err != nil || p.Part != i+1 || p.Parts != len(events)-2 {
			t.Fatalf("event %d is not part %d of %d in order: %v %.80s", i+1, i+1, len(events)-2, err, e.Message)
		}
		joined.WriteString(p.Chunk)
	}
	if events[0].Message != "short" || events[len(events)-1].Message != "last" || joined.String() != long {
		t.Fatalf("the parts do not give the line back")
	}
	if !strings.HasPrefix(out, "cwzap: 3 lines, ") || !strings.Contains(out, " events: ") {
		t.Errorf("summary %q should count 3 lines and their events", out)
	}
}

// A failed delivery is said once, in one line that names pipe's flag and
// not the library's option, before the summary.
func TestPipeDeliveryFailureReportedOnce(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	srv.SetFaults(cwlogstest.Faults{Outage: true})
	var out bytes.Buffer // stdout and stderr, in the order written
	err := run(context.Background(), []string{"pipe", "-group", "g", "-stream", "s", "-endpoint", srv.URL, "-timeout", "1s", "-flush", "1ms"},
		strings.NewReader("lost line\n"), &out, &out)
	if !errors.Is(err, errReported) {
		t.Fatalf("pipe during an outage returned %v, want errReported (printed already)", err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("pipe printed %q, want the undelivered line, why, then the summary", lines)
	}
	// The fallback writer gets the line as it fails, then why, then the count.
	if lines[0] != "lost line" || lines[2] != "cwzap: 1 line: 0 delivered, 1 to stderr" {
		t.Errorf("pipe printed %q", lines)
	}
	// Which deadline ends the put first, -timeout's put or its sync, is a
	// matter of scheduling; either way the flag is named.
	why := lines[1]
	for _, want := range []string{"cwzap: g/s: 1 event not delivered", "-timeout", "written to stderr"} {
		if !strings.Contains(why, want) {
			t.Errorf("why = %q, want it to hold %q", why, want)
		}
	}
	for _, bad := range []string{"WithPutTimeout", "WithSyncTimeout", "https", "RequestID", "fallback writer"} {
		if strings.Contains(why, bad) {
			t.Errorf("why = %q holds %q", why, bad)
		}
	}
	if strings.Count(out.String(), "not delivered") != 1 {
		t.Errorf("the error is said more than once: %q", out.String())
	}
}

func TestPipeErrorLineNamesFlags(t *testing.T) {
	tests := []struct{ give, want string }{
		{"cwzap: g/s: 1 event not delivered: failed (PutLogEvents gave up after 5 attempts over 1s: WithPutTimeout (1s) passed; last error: " +
			"PutLogEvents: https response error StatusCode: 503, RequestID: r-1, ServiceUnavailableException: The service is unavailable.); written to the fallback writer",
			"cwzap: g/s: 1 event not delivered: failed (PutLogEvents gave up after 5 attempts over 1s: -timeout (1s) passed; last error: " +
				"PutLogEvents: ServiceUnavailableException: The service is unavailable.); written to stderr"},
		{"cwzap: g/s: 1 event not delivered: still pending when the sync deadline passed (WithSyncTimeout 1s); written to the fallback writer",
			"cwzap: g/s: 1 event not delivered: still pending when the sync deadline passed (-timeout 1s); written to stderr"},
	}
	for _, tt := range tests {
		if got := pipeErrorLine(errors.New(tt.give)); got != tt.want {
			t.Errorf("pipeErrorLine\n got %q\nwant %q", got, tt.want)
		}
	}
}

// Input that pipe used to take silently, as a default or a literal name,
// is refused before anything is sent.
func TestPipeRefusesBadFlags(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	tests := []struct {
		give []string
		want string
	}{
		{[]string{"-stream", "s-{date"}, `-stream "s-{date": placeholder "{date" is not closed with '}'`},
		{[]string{"-stream", "s-{}"}, `-stream "s-{}": a '{' must open a placeholder`},
		{[]string{"-stream", "s-{a b}"}, `-stream "s-{a b}": placeholder "{a" is not closed`},
		{[]string{"-group", "g-{date"}, `-group "g-{date": placeholder "{date" is not closed`},
		{[]string{"-flush", "-1s"}, "-flush must be positive, not -1s"},
		{[]string{"-flush", "0s"}, "-flush must be positive, not 0s"},
	}
	for _, tt := range tests {
		args := append([]string{"pipe", "-group", "g", "-stream", "s", "-endpoint", srv.URL}, tt.give...)
		out, errOut, err := cli(t, "a line\n", args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("pipe %q = %v, want an error holding %q", tt.give, err, tt.want)
		}
		if out != "" || errOut != "" {
			t.Errorf("pipe %q printed %q %q; the error is main's to print", tt.give, out, errOut)
		}
	}
	groups, err := srv.Client().DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{})
	if err != nil || len(groups.LogGroups) != 0 {
		t.Errorf("refused input created %d groups (%v), want none", len(groups.LogGroups), err)
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
