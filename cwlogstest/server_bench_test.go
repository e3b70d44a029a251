package cwlogstest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/cwzap/cwzap/cwlogstest"
)

// BenchmarkPutLogEvents sends one full batch per op through the real SDK
// client: 10,000 events of 78 bytes, the largest that fit the 1 MiB batch
// limit with the 26-byte overhead (~105 bytes each as the service counts).
func BenchmarkPutLogEvents(b *testing.B) {
	for _, discard := range []bool{true, false} {
		name := "store"
		if discard {
			name = "discard"
		}
		b.Run(name, func(b *testing.B) {
			ts := cwlogstest.NewUnstartedServer()
			ts.DiscardEvents = discard
			ts.Start()
			defer ts.Close()
			client := ts.Client()
			ctx := context.Background()
			mustCreate(b, client, "bench", "s")
			msg := `{"level":"info","msg":"request served","status":200,"path":"/x"}`
			msg += strings.Repeat("x", 78-len(msg))
			events := make([]types.InputLogEvent, 10_000)
			now := time.Now().UnixMilli()
			for i := range events {
				events[i] = types.InputLogEvent{Timestamp: aws.Int64(now), Message: aws.String(msg)}
			}
			in := &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("bench"), LogStreamName: aws.String("s"), LogEvents: events}
			b.ReportAllocs()
			b.SetBytes(int64(len(events) * len(msg)))
			for b.Loop() {
				if _, err := client.PutLogEvents(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func mustCreate(tb testing.TB, client *cloudwatchlogs.Client, group, stream string) {
	tb.Helper()
	ctx := context.Background()
	if _, err := client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		tb.Fatal(err)
	}
	if _, err := client.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		tb.Fatal(err)
	}
}
