package cwlogstest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/cwzap/cwzap/cwlogstest"
)

var ctx = context.Background()

func noRetry(o *cloudwatchlogs.Options) { o.RetryMaxAttempts = 1 }

// newServer starts a server closed at the end of the test, and a client
// that does not retry.
func newServer(t *testing.T) (*cwlogstest.Server, *cloudwatchlogs.Client) {
	t.Helper()
	ts := cwlogstest.NewServer()
	t.Cleanup(ts.Close)
	return ts, ts.Client(noRetry)
}

// newMemoryServer is newServer serving over in-memory connections
// (InMemory), for a test in a testing/synctest bubble: start it inside.
func newMemoryServer(t *testing.T) (*cwlogstest.Server, *cloudwatchlogs.Client) {
	t.Helper()
	ts := cwlogstest.NewUnstartedServer()
	ts.InMemory = true
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, ts.Client(noRetry)
}

// errorCode returns the API error code of err, "" for nil.
func errorCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae.ErrorCode()
}

func ev(ts int64, msg string) types.InputLogEvent {
	return types.InputLogEvent{Timestamp: aws.Int64(ts), Message: aws.String(msg)}
}

func put(client *cloudwatchlogs.Client, group, stream string, events ...types.InputLogEvent) (*cloudwatchlogs.PutLogEventsOutput, error) {
	return client.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events,
	})
}

func TestManagementOps(t *testing.T) {
	ts, c := newServer(t)
	g, s := aws.String("g"), aws.String("s")
	steps := []struct {
		name string
		call func() error
		want string // error code
	}{
		{"stream in missing group", func() error {
			_, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: g, LogStreamName: s})
			return err
		}, "ResourceNotFoundException"},
		{"create group", func() error {
			_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: g, KmsKeyId: aws.String("key-1"), Tags: map[string]string{"team": "a"}})
			return err
		}, ""},
		{"create group again", func() error {
			_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: g})
			return err
		}, "ResourceAlreadyExistsException"},
		{"bad group name", func() error {
			_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("a b")})
			return err
		}, "InvalidParameterException"},
		{"create stream", func() error {
			_, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: g, LogStreamName: s})
			return err
		}, ""},
		{"create stream again", func() error {
			_, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: g, LogStreamName: s})
			return err
		}, "ResourceAlreadyExistsException"},
		{"bad stream name", func() error {
			_, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: g, LogStreamName: aws.String("a:b")})
			return err
		}, "InvalidParameterException"},
		{"retention", func() error {
			_, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: g, RetentionInDays: aws.Int32(30)})
			return err
		}, ""},
		{"retention not allowed", func() error {
			_, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: g, RetentionInDays: aws.Int32(2)})
			return err
		}, "InvalidParameterException"},
		{"retention missing group", func() error {
			_, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("nope"), RetentionInDays: aws.Int32(1)})
			return err
		}, "ResourceNotFoundException"},
		{"list tags", func() error {
			//lint:ignore SA1019 the legacy operation is served on purpose
			out, err := c.ListTagsLogGroup(ctx, &cloudwatchlogs.ListTagsLogGroupInput{LogGroupName: g})
			if err == nil && out.Tags["team"] != "a" {
				return fmt.Errorf("tags = %v", out.Tags)
			}
			return err
		}, ""},
		{"list tags for resource", func() error {
			out, err := c.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:g")})
			if err == nil && out.Tags["team"] != "a" {
				return fmt.Errorf("tags = %v", out.Tags)
			}
			return err
		}, ""},
		{"delete missing stream", func() error {
			_, err := c.DeleteLogStream(ctx, &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: g, LogStreamName: aws.String("nope")})
			return err
		}, "ResourceNotFoundException"},
		{"delete stream", func() error {
			_, err := c.DeleteLogStream(ctx, &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: g, LogStreamName: s})
			return err
		}, ""},
		{"delete missing group", func() error {
			_, err := c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("nope")})
			return err
		}, "ResourceNotFoundException"},
	}
	for _, st := range steps {
		if got := errorCode(t, st.call()); got != st.want {
			t.Fatalf("%s: error %q, want %q", st.name, got, st.want)
		}
	}
	gi := ts.Groups()
	if len(gi) != 1 || gi[0].Name != "g" || gi[0].RetentionInDays != 30 || gi[0].KMSKeyID != "key-1" || gi[0].Tags["team"] != "a" {
		t.Fatalf("Groups() = %+v", gi)
	}
	if _, err := c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: g}); err != nil {
		t.Fatal(err)
	}
	if gi := ts.Groups(); len(gi) != 0 {
		t.Fatalf("Groups() after delete = %+v", gi)
	}
}

func TestTypedErrors(t *testing.T) {
	_, c := newServer(t)
	_, err := put(c, "nope", "s", ev(time.Now().UnixMilli(), "x"))
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) || rnf.ErrorMessage() != "The specified log group does not exist." {
		t.Fatalf("missing group: %v", err)
	}
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
		t.Fatalf("status: %v", err)
	}
	mustCreate(t, c, "g", "s")
	_, err = put(c, "g", "other", ev(time.Now().UnixMilli(), "x"))
	if !errors.As(err, &rnf) || rnf.ErrorMessage() != "The specified log stream does not exist." {
		t.Fatalf("missing stream: %v", err)
	}
	_, err = c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")})
	var rae *types.ResourceAlreadyExistsException
	if !errors.As(err, &rae) {
		t.Fatalf("existing group: %v", err)
	}
	_, err = put(c, "g", "s", ev(time.Now().UnixMilli(), ""))
	var ipe *types.InvalidParameterException
	if !errors.As(err, &ipe) {
		t.Fatalf("empty message: %v", err)
	}
}

func TestRawProtocol(t *testing.T) {
	ts, _ := newServer(t)
	cases := []struct {
		target, body string
		status       int
		errType      string
	}{
		{"Logs_20140328.Frobnicate", "{}", 400, "UnknownOperationException"},
		{"", "{}", 400, "UnknownOperationException"},
		{"Logs_20140328.CreateLogGroup", "{not json", 400, "SerializationException"},
		{"Logs_20140328.PutLogEvents", `{"logEvents":[{"timestamp":1,`, 400, "SerializationException"},
		{"Logs_20140328.DescribeLogGroups", "{}", 200, ""},
		{"Logs_20140328.PutLogEvents", strings.Repeat(" ", 8<<20+1), 413, "RequestEntityTooLargeException"},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/", strings.NewReader(tc.body))
		req.Header.Set("X-Amz-Target", tc.target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := ts.Config().HTTPClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("X-Amzn-Errortype") != tc.errType || resp.Header.Get("X-Amzn-Requestid") == "" {
			t.Errorf("%s: status %d, type %q, request id %q; want %d %q", tc.target, resp.StatusCode,
				resp.Header.Get("X-Amzn-Errortype"), resp.Header.Get("X-Amzn-Requestid"), tc.status, tc.errType)
		}
	}
	if n := ts.Calls("Frobnicate"); n != 1 {
		t.Errorf("Calls(Frobnicate) = %d", n)
	}
}

func TestDescribePaging(t *testing.T) {
	ts, c := newServer(t)
	for i := range 7 {
		mustCreate(t, c, fmt.Sprintf("app/%d", i), "s0")
	}
	mustCreate(t, c, "other", "s0")
	for i := 1; i < 5; i++ {
		if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("app/0"), LogStreamName: aws.String(fmt.Sprintf("s%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("app/"), Limit: aws.Int32(3)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, g := range out.LogGroups {
			names = append(names, *g.LogGroupName)
		}
	}
	if pages != 3 || len(names) != 7 || names[0] != "app/0" || names[6] != "app/6" {
		t.Fatalf("pages %d, names %v", pages, names)
	}

	now := time.Now().UnixMilli()
	putOut, err := put(c, "app/0", "s3", ev(now-10, "a"), ev(now, "bc"))
	if err != nil {
		t.Fatal(err)
	}
	var streams []types.LogStream
	sp := cloudwatchlogs.NewDescribeLogStreamsPaginator(c, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("app/0"), Limit: aws.Int32(2)})
	for sp.HasMorePages() {
		out, err := sp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		streams = append(streams, out.LogStreams...)
	}
	if len(streams) != 5 {
		t.Fatalf("got %d streams", len(streams))
	}
	s3 := streams[3]
	if *s3.LogStreamName != "s3" || *s3.FirstEventTimestamp != now-10 || *s3.LastEventTimestamp != now ||
		aws.ToString(s3.UploadSequenceToken) != aws.ToString(putOut.NextSequenceToken) || s3.UploadSequenceToken == nil {
		t.Fatalf("s3 = %+v", s3)
	}
	if got := ts.StoredBytes("app/0", "s3"); got != 3 {
		t.Errorf("StoredBytes(app/0, s3) = %d, want 3", got)
	}
	if streams[0].FirstEventTimestamp != nil || streams[0].UploadSequenceToken != nil {
		t.Fatalf("empty stream has firstEventTimestamp or uploadSequenceToken")
	}
	out, err := c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("app/0"), LogStreamNamePrefix: aws.String("s1")})
	if err != nil || len(out.LogStreams) != 1 || *out.LogStreams[0].LogStreamName != "s1" {
		t.Fatalf("prefix: %v %+v", err, out)
	}
	_, err = c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("nope")})
	if errorCode(t, err) != "ResourceNotFoundException" {
		t.Fatalf("missing group: %v", err)
	}
	ts.DeleteLogStream("app/0", "s1")
	ts.DeleteLogGroup("app/1")
	if n := len(ts.Groups()); n != 7 {
		t.Fatalf("%d groups after DeleteLogGroup", n)
	}
}

func TestRequestTooLarge(t *testing.T) {
	ts, c := newServer(t)
	mustCreate(t, c, "g", "s")
	// Each control byte is sent as \u0001, six bytes: the body is over 8 MiB.
	_, err := put(c, "g", "s", ev(time.Now().UnixMilli(), strings.Repeat("\x01", 1_400_000)))
	if errorCode(t, err) != "RequestEntityTooLargeException" || status(err) != http.StatusRequestEntityTooLarge {
		t.Fatalf("got %v", err)
	}
	// The largest valid batch of such bytes still fits.
	if _, err := put(c, "g", "s", ev(time.Now().UnixMilli(), strings.Repeat("\x01", 1_048_550))); err != nil {
		t.Fatal(err)
	}
	if ts.EventCount() != 1 || len(ts.Events("g", "s")[0].Message) != 1_048_550 {
		t.Fatal("escaped event not stored intact")
	}
}

// Close may be called more than once, also from two goroutines at once;
// a second call returns, and the server stays closed: calls fail, nothing
// listens on its address, and an unstarted server cannot be started.
func TestCloseTwice(t *testing.T) {
	t.Run("started", func(t *testing.T) {
		ts := cwlogstest.NewServer()
		c := ts.Client(noRetry)
		mustCreate(t, c, "g", "s")
		addr := strings.TrimPrefix(ts.URL, "http://")
		ts.Close()
		ts.Close()
		if _, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{}); err == nil {
			t.Error("a call after the second Close succeeded")
		}
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			t.Errorf("%s still accepts connections after the second Close", addr)
		}
	})
	t.Run("at once", func(t *testing.T) {
		ts := cwlogstest.NewServer()
		mustCreate(t, ts.Client(noRetry), "g", "s")
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(ts.Close)
		}
		wg.Wait()
		if _, err := put(ts.Client(noRetry), "g", "s", ev(time.Now().UnixMilli(), "m")); err == nil {
			t.Error("a put after two Closes at once succeeded")
		}
	})
	t.Run("unstarted", func(t *testing.T) {
		u := cwlogstest.NewUnstartedServer()
		u.Close()
		u.Close()
		defer func() {
			if recover() == nil {
				t.Error("Start after Close did not panic")
			}
		}()
		u.Start()
	})
}

func TestClosedServerRefuses(t *testing.T) {
	ts := cwlogstest.NewServer()
	c := ts.Client(noRetry)
	ts.Close()
	if _, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{}); err == nil {
		t.Fatal("call to a closed server succeeded")
	}
}

// The SDK closes a request body once the response headers are in. The
// Client's HTTP client must not take that for a failed request write and
// close the connection while the answer is still being read. It is a race;
// with a plain http.Transport about 1 call in 30 of this loop failed under
// -race, and the loop failed without -race too.
func TestClientReadsAnswerAfterBodyClosed(t *testing.T) {
	_, c := newServer(t)
	mustCreate(t, c, "g", "s")
	if _, err := put(c, "g", "s", ev(time.Now().UnixMilli(), strings.Repeat("x", 100_000))); err != nil {
		t.Fatal(err)
	}
	n := 300
	if testing.Short() {
		n = 30
	}
	for i := range n {
		out, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if len(out.Events) != 1 {
			t.Fatalf("call %d: %d events", i, len(out.Events))
		}
	}
}
