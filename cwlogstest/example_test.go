package cwlogstest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/cwzap/cwzap/cwlogstest"
)

func ExampleServer() {
	ts := cwlogstest.NewServer()
	defer ts.Close()

	ctx := context.Background()
	client := ts.Client()
	group, stream := aws.String("app"), aws.String("web-1")
	if _, err := client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: group}); err != nil {
		panic(err)
	}
	if _, err := client.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: group, LogStreamName: stream}); err != nil {
		panic(err)
	}
	now := time.Now().UnixMilli()
	_, err := client.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName:  group,
		LogStreamName: stream,
		LogEvents: []types.InputLogEvent{
			{Timestamp: aws.Int64(now), Message: aws.String("hello")},
			{Timestamp: aws.Int64(now), Message: aws.String("world")},
		},
	})
	if err != nil {
		panic(err)
	}

	out, err := client.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: group, LogStreamName: stream, StartFromHead: aws.Bool(true),
	})
	if err != nil {
		panic(err)
	}
	for _, e := range out.Events {
		fmt.Println(*e.Message)
	}
	fmt.Println(ts.EventCount(), "events,", ts.Calls("PutLogEvents"), "put")
	// Output:
	// hello
	// world
	// 2 events, 1 put
}
