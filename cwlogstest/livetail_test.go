package cwlogstest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/cwzap/cwzap/cwlogstest"
)

// endSession closes a session and waits for its reader to stop. The
// SDK's event-stream codec is the client's, shared by its sessions: a
// reader still decoding while the next StartLiveTail reads its initial
// response is a data race in smithy-go (aws/smithy-go#714). The reader
// closes Events when it stops, after its last use of the codec.
func endSession(s *cloudwatchlogs.StartLiveTailEventStream) {
	s.Close()
	for range s.Events() {
	}
}

// liveServer starts a server with a fast live tail and one group and
// stream, and returns it with a client and the group's ARN.
func liveServer(t *testing.T, timeout time.Duration) (*cwlogstest.Server, *cloudwatchlogs.Client, string) {
	t.Helper()
	srv := cwlogstest.NewUnstartedServer()
	srv.LiveTailInterval = 10 * time.Millisecond
	srv.LiveTailTimeout = timeout
	srv.Start()
	t.Cleanup(srv.Close)
	ctx, c := context.Background(), srv.Client()
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	if err != nil || len(out.LogGroups) != 1 {
		t.Fatalf("DescribeLogGroups = %v, %v", out, err)
	}
	return srv, c, aws.ToString(out.LogGroups[0].LogGroupArn)
}

func TestStartLiveTailStreamsNewEvents(t *testing.T) {
	_, c, arn := liveServer(t, time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.StartLiveTail(ctx, &cloudwatchlogs.StartLiveTailInput{
		LogGroupIdentifiers: []string{arn}, LogEventFilterPattern: aws.String("ERROR"),
	})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer endSession(stream)
	first := <-stream.Events()
	start, ok := first.(*types.StartLiveTailResponseStreamMemberSessionStart)
	if !ok || aws.ToString(start.Value.LogEventFilterPattern) != "ERROR" || len(start.Value.LogGroupIdentifiers) != 1 {
		t.Fatalf("first event = %#v, want the sessionStart", first)
	}
	now := time.Now().UnixMilli()
	if _, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{
			{Message: aws.String("ERROR disk full"), Timestamp: aws.Int64(now)},
			{Message: aws.String("INFO all well"), Timestamp: aws.Int64(now)},
		},
	}); err != nil {
		t.Fatal(err)
	}
	for ev := range stream.Events() {
		u, ok := ev.(*types.StartLiveTailResponseStreamMemberSessionUpdate)
		if !ok {
			t.Fatalf("event %#v, want sessionUpdate", ev)
		}
		if len(u.Value.SessionResults) == 0 {
			continue // the heartbeat
		}
		r := u.Value.SessionResults
		if len(r) != 1 || aws.ToString(r[0].Message) != "ERROR disk full" || aws.ToString(r[0].LogStreamName) != "s" ||
			aws.ToString(r[0].LogGroupIdentifier) != arn || aws.ToInt64(r[0].Timestamp) != now {
			t.Errorf("results = %+v, want the one ERROR event", r)
		}
		return
	}
	t.Fatalf("the stream ended: %v", stream.Err())
}

func TestStartLiveTailTimesOut(t *testing.T) {
	_, c, arn := liveServer(t, 50*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.StartLiveTail(ctx, &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer endSession(stream)
	for range stream.Events() {
	}
	var te *types.SessionTimeoutException
	if !errors.As(stream.Err(), &te) {
		t.Errorf("stream ended with %v, want a SessionTimeoutException", stream.Err())
	}
}

func TestStartLiveTailChecksTheRequest(t *testing.T) {
	_, c, arn := liveServer(t, time.Hour)
	ctx := context.Background()
	for _, in := range []*cloudwatchlogs.StartLiveTailInput{
		{LogGroupIdentifiers: []string{"g"}},       // a name, not an ARN
		{LogGroupIdentifiers: []string{arn + "x"}}, // no such group
		{LogGroupIdentifiers: []string{arn}, LogStreamNames: []string{"s"}, LogStreamNamePrefixes: []string{"s"}},
		{LogGroupIdentifiers: []string{arn}, LogEventFilterPattern: aws.String(`{ $.x = `)},
	} {
		if out, err := c.StartLiveTail(ctx, in); err == nil {
			endSession(out.GetStream())
			t.Errorf("StartLiveTail(%+v) succeeded", in)
		}
	}
}

// The request's constraints, each at its limit and one past it, as the
// API model gives them: past it is InvalidParameterException, before the
// log group is looked for; at it the session starts (or, for a group
// that does not exist, ResourceNotFoundException).
func TestStartLiveTailFollowsTheModel(t *testing.T) {
	_, c, arn := liveServer(t, time.Hour)
	prefix := "arn:aws:logs:us-east-1:123456789012:log-group:"
	names := func(n int, name string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprint(name, i)
		}
		return out
	}
	tests := []struct {
		name     string
		give     cloudwatchlogs.StartLiveTailInput
		wantCode string // "" for a session
	}{
		{"ARN ending in :*", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn + ":*"}}, "InvalidParameterException"},
		{"ARN ending in *", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn + "*"}}, "InvalidParameterException"},
		{"identifier of 2,048 characters", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{prefix + strings.Repeat("a", 2048-len(prefix))}}, "ResourceNotFoundException"},
		{"identifier of 2,049 characters", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{prefix + strings.Repeat("a", 2049-len(prefix))}}, "InvalidParameterException"},
		{"no identifier", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{}}, "InvalidParameterException"},
		{"11 identifiers", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: names(11, arn)}, "InvalidParameterException"},
		{"empty logStreamNames", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogStreamNames: []string{}}, "InvalidParameterException"},
		{"100 logStreamNames", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogStreamNames: names(100, "s")}, ""},
		{"101 logStreamNames", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogStreamNames: names(101, "s")}, "InvalidParameterException"},
		{"empty logStreamNamePrefixes", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogStreamNamePrefixes: []string{}}, "InvalidParameterException"},
		{"101 logStreamNamePrefixes", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogStreamNamePrefixes: names(101, "s")}, "InvalidParameterException"},
		{"stream name of 512 characters", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogStreamNames: []string{strings.Repeat("s", 512)}}, ""},
		{"stream name of 513 characters", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogStreamNames: []string{strings.Repeat("s", 513)}}, "InvalidParameterException"},
		{"empty stream name", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogStreamNames: []string{""}}, "InvalidParameterException"},
		{"stream name with :", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogStreamNames: []string{"a:b"}}, "InvalidParameterException"},
		{"prefix with *", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogStreamNamePrefixes: []string{"a*"}}, "InvalidParameterException"},
		{"names and prefixes", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogStreamNames: []string{"s"}, LogStreamNamePrefixes: []string{"s"}}, "InvalidParameterException"},
		{"pattern of 1,024 characters", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogEventFilterPattern: aws.String(strings.Repeat("é", 1024))}, ""},
		{"pattern of 1,025 characters", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogEventFilterPattern: aws.String(strings.Repeat("a", 1025))}, "InvalidParameterException"},
	}
	for _, tt := range tests {
		out, err := c.StartLiveTail(context.Background(), &tt.give)
		if err == nil {
			endSession(out.GetStream())
		}
		var ae smithy.APIError
		code := ""
		if errors.As(err, &ae) {
			code = ae.ErrorCode()
		} else if err != nil {
			code = err.Error()
		}
		if code != tt.wantCode {
			t.Errorf("%s: StartLiveTail answered %q (%v), want %q", tt.name, code, err, tt.wantCode)
		}
	}
}
