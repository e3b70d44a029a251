package main

import (
	"context"
	"errors"
	"net"
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

// A taken port (4566 is LocalStack's and moto's too) is one line that
// names -addr and what to do.
func TestServePortTakenNamesAddr(t *testing.T) {
	isolate(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	r := exe(t, "", "serve", "-addr", addr)
	want := "cwzap: serve: -addr " + addr + " is in use (another cwzap serve, LocalStack or moto?): " +
		"stop it, or give another address, such as -addr 127.0.0.1:4567, or -addr 127.0.0.1:0 for any free port\n"
	if r.code != 1 || r.stdout != "" || r.stderr != want {
		t.Errorf("serve on a taken port: exit %d, stdout %q, stderr %q; want 1 and\n%s", r.code, r.stdout, r.stderr, want)
	}
	r = exe(t, "", "serve", "-addr", "4566")
	if r.code != 1 || r.stderr != "cwzap: serve: -addr \"4566\": missing port in address: want host:port, such as 127.0.0.1:4566\n" {
		t.Errorf("serve -addr 4566: exit %d, stderr %q", r.code, r.stderr)
	}
}

// serve -h says how boto3 and the AWS CLI reach its live tail.
func TestServeHelpSaysHowToReachTheLiveTail(t *testing.T) {
	out, _, err := cli(t, "", "serve", "-h")
	for _, want := range []string{"inject_host_prefix=False", "AWS_DISABLE_HOST_PREFIX_INJECTION=true",
		"disable_host_prefix_injection = true", "DisableEndpointHostPrefix", "127.0.0.1:0 for any free one"} {
		if err != nil || !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("serve -h does not say %q: %v\n%s", want, err, out)
		}
	}
}
