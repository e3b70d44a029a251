package cwlogstest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/cwzap/cwzap/cwlogstest"
)

// searchedLogStreams has been answered empty since 2020, as the API model
// says: an empty list on the wire, whatever was searched.
func TestFilterLogEventsSearchedLogStreamsIsEmpty(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	ctx, c := context.Background(), srv.Client()
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"a", "b"} {
		if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String(s)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String(s),
			LogEvents: []types.InputLogEvent{{Message: aws.String("in " + s), Timestamp: aws.Int64(time.Now().UnixMilli())}}}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g")})
	if err != nil || len(out.Events) != 2 || len(out.SearchedLogStreams) != 0 {
		t.Fatalf("FilterLogEvents = %d events, searchedLogStreams %+v, %v; want 2 events and none searched", len(out.Events), out.SearchedLogStreams, err)
	}

	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"logGroupName":"g","logStreamNames":["a","b"]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "Logs_20140328.FilterLogEvents")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"searchedLogStreams":[]`)) {
		t.Errorf("FilterLogEvents answered %d %s; want searchedLogStreams as an empty list", resp.StatusCode, body)
	}
}
