package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
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
	return fill(t, cwlogstest.NewServer(), msgs...)
}

// fill gives a started server, closed when the test ends, stream g/s with
// the given messages, one millisecond apart and ending now.
func fill(t *testing.T, srv *cwlogstest.Server, msgs ...string) (*cwlogstest.Server, int64) {
	t.Helper()
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

// putTo stores one event in group/stream, creating both.
func putTo(t *testing.T, srv *cwlogstest.Server, group, stream string, ts int64, msg string) {
	t.Helper()
	c, ctx := srv.Client(), context.Background()
	_, _ = c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: &group})
	_, _ = c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: &group, LogStreamName: &stream})
	_, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: &group, LogStreamName: &stream,
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(ts), Message: aws.String(msg)}}})
	if err != nil {
		t.Fatal(err)
	}
}

// tail reads the names pipe writes: {date} is today in UTC or -date, and
// {hostname} this machine's.
func TestTailNameTemplates(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	now := time.Now()
	today := now.UTC().Format(time.DateOnly)
	yesterday := now.Add(-24 * time.Hour)
	if _, _, err := cli(t, "written today\n", "pipe", "-group", "/app", "-stream", "s-{date}", "-endpoint", srv.URL); err != nil {
		t.Fatalf("pipe: %v", err)
	}
	putTo(t, srv, "/app", "s-"+yesterday.UTC().Format(time.DateOnly), yesterday.UnixMilli(), "written yesterday")
	host, _ := os.Hostname()
	putTo(t, srv, "/app", "h-"+host, now.UnixMilli(), "written on this host")

	tailOf := func(args ...string) (string, error) {
		out, _, err := cli(t, "", append([]string{"tail", "-group", "/app", "-endpoint", srv.URL}, args...)...)
		return out, err
	}
	out, err := tailOf("-stream", "s-{date}")
	if time.Now().UTC().Format(time.DateOnly) == today && (err != nil || !strings.HasSuffix(out, " written today\n")) {
		t.Errorf("tail -stream s-{date}: %v, printed %q", err, out)
	}
	out, err = tailOf("-stream", "s-{date}", "-date", yesterday.UTC().Format(time.DateOnly))
	if err != nil || !strings.HasSuffix(out, " written yesterday\n") {
		t.Errorf("tail -date yesterday: %v, printed %q", err, out)
	}
	out, err = tailOf("-stream", "h-{hostname}")
	if err != nil || !strings.HasSuffix(out, " written on this host\n") {
		t.Errorf("tail -stream h-{hostname}: %v, printed %q", err, out)
	}
	// A stream of another day that does not exist names the expanded name.
	_, err = tailOf("-stream", "s-{date}", "-date", "2020-01-02")
	if err == nil || errorLine(err) != "cwzap: log stream /app/s-2020-01-02 does not exist" {
		t.Errorf("tail of a missing day: %v", err)
	}
}

// Names are checked as pipe checks them, before any request: the endpoint
// here is unreachable, so a name error proves nothing was sent.
func TestTailRefusesBadNames(t *testing.T) {
	isolate(t)
	tests := []struct {
		give []string
		want string
	}{
		{[]string{"-group", "g", "-stream", "s-{date"}, `-stream "s-{date": placeholder "{date" is not closed`},
		{[]string{"-group", "g", "-stream", "s-{nope}"}, `-stream "s-{nope}": unknown placeholder {nope}`},
		{[]string{"-group", "g", "-stream", "s-{pid}"}, `-stream "s-{pid}": tail cannot know the writer's {pid}`},
		{[]string{"-group", "my group", "-stream", "s"}, `-group "my group": ' ' is not allowed in a log group name`},
		{[]string{"-group", "g", "-stream", "a:b"}, `-stream "a:b": ':' is not allowed in a log stream name`},
		{[]string{"-group", "g", "-stream", "s", "-date", "2026-01-01"}, `-date "2026-01-01": neither -group nor -stream holds {date}`},
		{[]string{"-group", "g", "-stream", "s-{date}", "-date", "yesterday"}, `-date "yesterday" is not a day like 2006-01-02`},
	}
	for _, tt := range tests {
		out, errOut, err := cli(t, "", append([]string{"tail", "-endpoint", "http://127.0.0.1:1"}, tt.give...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("tail %q = %v, want an error holding %q", tt.give, err, tt.want)
		}
		if out != "" || errOut != "" {
			t.Errorf("tail %q printed %q %q", tt.give, out, errOut)
		}
	}
}

// The service's common answers are one sentence; others are the
// operation, code and message, without the SDK's transport text.
func TestTailErrorsInOneLine(t *testing.T) {
	isolate(t)
	srv, _ := stream(t, "x")
	tests := []struct {
		give []string
		want string
	}{
		{[]string{"-group", "nope", "-stream", "s"}, "cwzap: log group nope does not exist"},
		{[]string{"-group", "g", "-stream", "nope"}, "cwzap: log stream g/nope does not exist"},
		{[]string{"-group", "g", "-stream", "nope", "-f", "-n", "0"}, "cwzap: log stream g/nope does not exist"},
		{[]string{"-group", "nope", "-stream", "s", "-filter", "x"}, "cwzap: log group nope does not exist"},
		{[]string{"-group", "g", "-stream", "s", "-filter", "{ $.a = "}, "cwzap: FilterLogEvents: InvalidParameterException: "},
	}
	for _, tt := range tests {
		_, _, err := cli(t, "", append([]string{"tail", "-endpoint", srv.URL}, tt.give...)...)
		if err == nil {
			t.Errorf("tail %q succeeded", tt.give)
			continue
		}
		line := errorLine(err)
		if !strings.HasPrefix(line, tt.want) || strings.Contains(line, "https") || strings.Contains(line, "RequestID") || strings.Contains(line, "operation error") {
			t.Errorf("tail %q: %q, want %q", tt.give, line, tt.want)
		}
	}
}

// Off a terminal each event is one line, whatever its message holds; -json
// prints each event exactly as stored.
func TestTailMultiLineEvents(t *testing.T) {
	isolate(t)
	srv, now := stream(t,
		layout("ERROR", "payment failed\nfor order 7", `,"exception":"boom\nmain.f\n\ta.go:1\n"`),
		"WARNING: fn: text event\nmain.f\n\ta.go:1",
		`{"message":"<a href=\"x\">&amp;</a>"}`,
	)
	lines := tailLines(t, srv)
	want := []string{
		` ERROR    root.handler:42 payment failed\nfor order 7 exception="boom\nmain.f\n\ta.go:1\n"`,
		` WARNING: fn: text event\nmain.f\n	a.go:1`,
		` <a href="x">&amp;</a>`,
	}
	if len(lines) != len(want) {
		t.Fatalf("tail printed %d lines for %d events: %q", len(lines), len(want), lines)
	}
	for i, w := range want {
		if !strings.HasSuffix(lines[i], w) {
			t.Errorf("line %d = %q, want it to end %q", i, lines[i], w)
		}
	}
	lines = tailLines(t, srv, "-json")
	msgs := []string{
		layout("ERROR", "payment failed\nfor order 7", `,"exception":"boom\nmain.f\n\ta.go:1\n"`),
		"WARNING: fn: text event\nmain.f\n\ta.go:1",
		`{"message":"<a href=\"x\">&amp;</a>"}`,
	}
	for i, m := range msgs {
		b, _ := json.Marshal(m)
		exact := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
		wantLine := fmt.Sprintf(`{"timestamp":%d,"message":%s,"ingestionTime":`, now-int64(len(msgs)-i), exact)
		if i >= len(lines) || !strings.HasPrefix(lines[i], wantLine) {
			t.Errorf("-json line %d = %q, want it to start %q", i, lines, wantLine)
		}
	}
}
