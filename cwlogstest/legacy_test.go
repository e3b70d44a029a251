package cwlogstest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/cwzap/cwzap/cwlogstest"
)

// legacyPut follows the sequence-token protocol of clients written before
// 2023: describe the stream for its token, put with it, describe again on
// InvalidSequenceTokenException, and create the stream when the describe
// does not list it or lists it without a token although it holds events
// (on the legacy service such a stream always had one). It reports the
// calls it made.
func legacyPut(t *testing.T, c *cloudwatchlogs.Client, group, stream string, events ...types.InputLogEvent) (calls int) {
	t.Helper()
	for range 10 {
		calls++
		ds, err := c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{
			LogGroupName: aws.String(group), LogStreamNamePrefix: aws.String(stream)})
		if err != nil {
			t.Fatal(err)
		}
		var found *types.LogStream
		for i, s := range ds.LogStreams {
			if aws.ToString(s.LogStreamName) == stream {
				found = &ds.LogStreams[i]
			}
		}
		if found == nil || found.UploadSequenceToken == nil && found.LastEventTimestamp != nil {
			calls++
			_, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
				LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
			var exists *types.ResourceAlreadyExistsException
			if err != nil && !errors.As(err, &exists) {
				t.Fatalf("create after describe: %v", err)
			}
			continue
		}
		calls++
		_, err = c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group),
			LogStreamName: aws.String(stream), SequenceToken: found.UploadSequenceToken, LogEvents: events})
		var iste *types.InvalidSequenceTokenException
		if errors.As(err, &iste) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		return calls
	}
	t.Fatalf("legacy client gave up after %d calls", calls)
	return calls
}

func TestLegacyTokenProtocolOnExistingStream(t *testing.T) {
	for _, strict := range []bool{false, true} {
		ts := cwlogstest.NewUnstartedServer()
		ts.SequenceTokens = strict
		ts.Start()
		defer ts.Close()
		c := ts.Client(noRetry)
		mustCreate(t, c, "g", "s")
		now := time.Now().UnixMilli()
		// Another writer has used the stream already.
		if _, err := put(c, "g", "s", ev(now, "earlier")); err != nil {
			t.Fatal(err)
		}
		if calls := legacyPut(t, c, "g", "s", ev(now+1, "one")); calls != 2 {
			t.Errorf("SequenceTokens=%v: first put took %d calls, want describe + put", strict, calls)
		}
		if calls := legacyPut(t, c, "g", "s", ev(now+2, "two")); calls != 2 {
			t.Errorf("SequenceTokens=%v: second put took %d calls", strict, calls)
		}
		if calls := legacyPut(t, c, "g", "fresh", ev(now, "new")); calls != 4 {
			t.Errorf("SequenceTokens=%v: new stream took %d calls, want describe, create, describe, put", strict, calls)
		}
		if n := len(ts.Events("g", "s")); n != 3 {
			t.Errorf("SequenceTokens=%v: %d events stored, want 3", strict, n)
		}
	}
}
