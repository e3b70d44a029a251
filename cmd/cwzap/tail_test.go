package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/cwzap/cwzap/cwlogstest"
)

// stream starts a server holding one stream with the given messages, one
// millisecond apart and ending now.
func stream(t *testing.T, msgs ...string) (*cwlogstest.Server, int64) {
	t.Helper()
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	c := srv.Client()
	ctx := context.Background()
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMilli()
	for i, m := range msgs {
		putAt(t, srv, now-int64(len(msgs)-i), m)
	}
	return srv, now
}

func putAt(t *testing.T, srv *cwlogstest.Server, ts int64, msg string) {
	t.Helper()
	_, err := srv.Client().PutLogEvents(context.Background(), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(ts), Message: aws.String(msg)}}})
	if err != nil {
		t.Fatal(err)
	}
}

func tailLines(t *testing.T, srv *cwlogstest.Server, args ...string) []string {
	t.Helper()
	out, _, err := cli(t, "", append([]string{"tail", "-group", "g", "-stream", "s", "-endpoint", srv.URL}, args...)...)
	if err != nil {
		t.Fatalf("tail %q: %v", args, err)
	}
	if out == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

func TestTailReadsEveryPage(t *testing.T) {
	isolate(t)
	big := strings.Repeat("x", 1_000_000)
	srv, _ := stream(t, "first "+big, "second "+big, "third")
	lines := tailLines(t, srv, "-n", "10")
	if len(lines) != 3 || !strings.Contains(lines[0], " first ") || !strings.HasSuffix(lines[2], " third") {
		t.Fatalf("tail -n 10 printed %d lines, want the 3 events (two of ~1 MB, one page each)", len(lines))
	}
	var msgs []string
	for i := range 25 {
		msgs = append(msgs, fmt.Sprint("event ", i))
	}
	srv, _ = stream(t, msgs...)
	if lines := tailLines(t, srv, "-n", "7"); len(lines) != 7 || !strings.HasSuffix(lines[0], " event 18") || !strings.HasSuffix(lines[6], " event 24") {
		t.Errorf("tail -n 7: %q", lines)
	}
	if lines := tailLines(t, srv, "-n", "0"); len(lines) != 0 {
		t.Errorf("tail -n 0 printed %q", lines)
	}
}

func layout(level, msg string, fields string) string {
	return fmt.Sprintf(`{"timestamp":"2026-11-29 12:00:00,000","level":%q,"location":"root.handler:42","message":%q%s}`, level, msg, fields)
}

func TestTailLevelFilterSinceJSON(t *testing.T) {
	isolate(t)
	srv, now := stream(t,
		layout("INFO", "order placed", `,"order":42`),
		layout("WARNING", "slow payment", `,"order":42`),
		layout("ERROR", "payment failed timeout", `,"order":7`),
		layout("DEBUG", "cache miss", ``),
		"WARNING: lambdaA: text format event",
	)
	putAt(t, srv, now-2*60*60*1000, layout("ERROR", "old failure", ``))
	tests := []struct {
		args []string
		want []string // message of each line, in order
	}{
		{[]string{"-level", "warning"}, []string{"old failure", "slow payment", "payment failed timeout", "text format event"}},
		{[]string{"-filter", "{ $.order = 42 }"}, []string{"order placed", "slow payment"}},
		{[]string{"-filter", "payment -timeout"}, []string{"slow payment"}},
		{[]string{"-filter", "?placed ?failure", "-level", "ERROR"}, []string{"old failure"}},
		{[]string{"-since", "1h", "-level", "ERROR"}, []string{"payment failed timeout"}},
		{[]string{"-since", "1h", "-filter", "failure"}, nil},
		{[]string{"-n", "2", "-filter", "{ $.level = * }"}, []string{"payment failed timeout", "cache miss"}},
	}
	for _, tt := range tests {
		lines := tailLines(t, srv, tt.args...)
		if len(lines) != len(tt.want) {
			t.Errorf("tail %q printed %q, want %q", tt.args, lines, tt.want)
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("tail %q line %d = %q, want %q", tt.args, i, lines[i], w)
			}
		}
	}
	lines := tailLines(t, srv, "-json", "-n", "1")
	var e struct {
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &e) != nil || e.Message != "WARNING: lambdaA: text format event" || e.Timestamp != now-1 {
		t.Errorf("tail -json: %q", lines)
	}
}

func TestTailFollow(t *testing.T) {
	isolate(t)
	for _, extra := range [][]string{nil, {"-filter", "new"}} {
		srv, now := stream(t, "old event")
		args := append([]string{"tail", "-group", "g", "-stream", "s", "-endpoint", srv.URL, "-f", "-interval", "5ms"}, extra...)
		out, stop := background(t, args...)
		if extra == nil {
			out.waitFor(t, "old event\n")
		}
		putAt(t, srv, now+1, "new event one")
		out.waitFor(t, "new event one\n")
		putAt(t, srv, now+2, "new event two")
		got := out.waitFor(t, "new event two\n")
		if err := stop(); err != nil {
			t.Errorf("tail -f %q returned %v when interrupted", extra, err)
		}
		if strings.Count(got, "new event one") != 1 {
			t.Errorf("tail -f %q printed an event twice: %q", extra, got)
		}
	}
}
