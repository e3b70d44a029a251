package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/cwzap/cwzap/cwlogstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPipeThenTail(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	var out bytes.Buffer
	in := strings.NewReader("first line\n\nsecond line\n{\"json\":true}\n")
	args := []string{"pipe", "-group", "/cli/test", "-stream", "s1", "-endpoint", srv.URL}
	if err := run(args, in, &out); err != nil {
		t.Fatalf("pipe: %v", err)
	}
	if !strings.Contains(out.String(), "3 lines: 3 delivered, 0 to stderr") {
		t.Errorf("pipe printed %q; the empty line is not an event, the rest are delivered", out.String())
	}
	events := srv.Events("/cli/test", "s1")
	if len(events) != 3 || events[0].Message != "first line" || events[2].Message != `{"json":true}` {
		t.Fatalf("endpoint holds %+v", events)
	}

	out.Reset()
	args = []string{"tail", "-group", "/cli/test", "-stream", "s1", "-endpoint", srv.URL, "-n", "2"}
	if err := run(args, nil, &out); err != nil {
		t.Fatalf("tail: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], " second line") || !strings.HasSuffix(lines[1], ` {"json":true}`) {
		t.Errorf("tail -n 2 printed %q, want the last two events", lines)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		give []string
		want string
	}{
		{nil, "usage"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"pipe", "-endpoint", "http://127.0.0.1:1"}, "-group and -stream are required"},
		{[]string{"tail", "-group", "g"}, "-group and -stream are required"},
		{[]string{"serve", "-addr", "not an address"}, "not an address"},
	}
	for _, tt := range tests {
		err := run(tt.give, strings.NewReader(""), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v, want an error containing %q", tt.give, err, tt.want)
		}
	}
}
