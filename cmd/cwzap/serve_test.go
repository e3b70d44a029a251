package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
)

// serveClient starts cwzap serve with args and returns a client for it
// that does not retry.
func serveClient(t *testing.T, args ...string) (*cloudwatchlogs.Client, *syncBuffer, func() error) {
	t.Helper()
	out, stop := background(t, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)...)
	got := out.waitFor(t, "\n")
	url := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(got, "\n", 2)[0], "cwzap: CloudWatch Logs endpoint at "))
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("a", "b", "")))
	if err != nil {
		t.Fatal(err)
	}
	c := cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		o.BaseEndpoint = aws.String(url)
		o.RetryMaxAttempts = 1
	})
	return c, out, stop
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestServeFaults(t *testing.T) {
	isolate(t)
	c, out, stop := serveClient(t, "-throttle", "1", "-latency", "1ms")
	ctx := context.Background()
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(time.Now().UnixMilli()), Message: aws.String("x")}}})
	if apiCode(err) != "ThrottlingException" {
		t.Errorf("put with -throttle 1: %v", err)
	}
	if !strings.Contains(out.String(), "faults: latency 1ms, throttle 1\n") {
		t.Errorf("serve does not print its faults: %q", out.String())
	}
	if err := stop(); err != nil {
		t.Errorf("serve returned %v on interrupt", err)
	}
}

func TestServeDiscard(t *testing.T) {
	isolate(t)
	c, out, stop := serveClient(t, "-discard")
	ctx := context.Background()
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(time.Now().UnixMilli()), Message: aws.String("hello")}}}); err != nil {
		t.Fatal(err)
	}
	ev, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")})
	if err != nil || len(ev.Events) != 0 {
		t.Errorf("-discard kept events: %v, %v", ev, err)
	}
	if err := stop(); err != nil {
		t.Errorf("serve returned %v", err)
	}
	if want := "cwzap: 1 events accepted in 1 PutLogEvents calls\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("serve's last line is not %q: %q", want, out.String())
	}
}

func TestServeOutage(t *testing.T) {
	isolate(t)
	c, out, stop := serveClient(t, "-outage-for", "1h")
	out.waitFor(t, "outage for 1h0m0s")
	_, err := c.DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{})
	if apiCode(err) != "ServiceUnavailableException" {
		t.Errorf("describe during the outage: %v", err)
	}
	if err := stop(); err != nil {
		t.Errorf("serve returned %v", err)
	}
}
