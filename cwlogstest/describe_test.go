package cwlogstest_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

func TestDescribeLogGroupsPatternIsCaseSensitive(t *testing.T) {
	_, c := newServer(t)
	for _, g := range []string{"DataLogs", "aws/DataLogs", "GroupDataLogs", "datalogs", "Data/log/s", "Groupdata"} {
		mustCreate(t, c, g, "s")
	}
	out, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("DataLogs")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range out.LogGroups {
		names = append(names, aws.ToString(g.LogGroupName))
		// With a pattern only arn, creationTime and logGroupName come back.
		if g.Arn == nil || g.CreationTime == nil || g.LogGroupArn != nil || g.StoredBytes != nil || g.MetricFilterCount != nil || g.LogGroupClass != "" {
			t.Errorf("group %s has members beyond arn, creationTime, logGroupName: %+v", *g.LogGroupName, g)
		}
	}
	if want := []string{"DataLogs", "GroupDataLogs", "aws/DataLogs"}; !slices.Equal(names, want) {
		t.Fatalf("pattern DataLogs matched %v, want %v", names, want)
	}
}

func TestDescribeLogStreamsPagingIsStable(t *testing.T) {
	_, c := newServer(t)
	mustCreate(t, c, "g", "s0")
	for i := 1; i < 6; i++ {
		if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String(fmt.Sprintf("s%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	for _, desc := range []bool{false, true} {
		in := &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g"), Limit: aws.Int32(2), Descending: aws.Bool(desc)}
		p := cloudwatchlogs.NewDescribeLogStreamsPaginator(c, in)
		var names []string
		for page := 0; p.HasMorePages(); page++ {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range out.LogStreams {
				names = append(names, *s.LogStreamName)
			}
			if page == 0 {
				// Streams that sort before and after the page boundary
				// appear between pages.
				for _, n := range []string{fmt.Sprintf("a%v", desc), fmt.Sprintf("z%v", desc)} {
					if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String(n)}); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		// The stream created before the boundary is not listed, the one
		// after it is; none repeats.
		want := []string{"s0", "s1", "s2", "s3", "s4", "s5", "zfalse"}
		if desc { // afalse and zfalse exist from the ascending run
			want = []string{"zfalse", "s5", "s4", "s3", "s2", "s1", "s0", "atrue", "afalse"}
		}
		if !slices.Equal(names, want) {
			t.Errorf("descending=%v: pages listed %v, want %v", desc, names, want)
		}
	}
}

func TestFilterLogEventsPagingIsStable(t *testing.T) {
	_, c := newServer(t)
	mustCreate(t, c, "g", "s")
	now := time.Now().UnixMilli()
	if _, err := put(c, "g", "s", ev(now+10, "a"), ev(now+20, "b"), ev(now+30, "c"), ev(now+40, "d")); err != nil {
		t.Fatal(err)
	}
	p := cloudwatchlogs.NewFilterLogEventsPaginator(c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), Limit: aws.Int32(2)})
	var got []string
	for page := 0; p.HasMorePages(); page++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Events {
			got = append(got, *e.Message)
		}
		if page == 0 {
			// An event earlier than the page boundary, and one after it.
			if _, err := put(c, "g", "s", ev(now, "early"), ev(now+50, "late")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if want := []string{"a", "b", "c", "d", "late"}; !slices.Equal(got, want) {
		t.Fatalf("pages gave %v, want %v", got, want)
	}
}
