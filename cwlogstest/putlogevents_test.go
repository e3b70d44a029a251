package cwlogstest_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/cwzap/cwzap/cwlogstest"
)

const (
	hour = int64(time.Hour / time.Millisecond)
	day  = 24 * hour
)

func repeat(n int, msg string) []types.InputLogEvent {
	now := time.Now().UnixMilli()
	evs := make([]types.InputLogEvent, n)
	for i := range evs {
		evs[i] = ev(now, msg)
	}
	return evs
}

func TestPutLogEventsLimits(t *testing.T) {
	ts, c := newServer(t)
	mustCreate(t, c, "g", "s")
	now := time.Now().UnixMilli()
	cases := []struct {
		name   string
		events []types.InputLogEvent
		ok     bool
	}{
		{"10000 events", repeat(10_000, "x"), true},
		{"10001 events", repeat(10_001, "x"), false},
		{"event of 1048550 bytes", []types.InputLogEvent{ev(now, strings.Repeat("x", 1_048_550))}, true},
		{"event of 1048551 bytes", []types.InputLogEvent{ev(now, strings.Repeat("x", 1_048_551))}, false},
		{"event of 1048550 UTF-8 bytes", []types.InputLogEvent{ev(now, strings.Repeat("é", 1_048_550/2))}, true},
		{"event of 1048552 UTF-8 bytes", []types.InputLogEvent{ev(now, strings.Repeat("é", 1_048_552/2))}, false},
		{"escaped event of 1048550 bytes", []types.InputLogEvent{ev(now, strings.Repeat("\"\n", 1_048_550/2))}, true},
		{"batch of 1048576 bytes", []types.InputLogEvent{ev(now, strings.Repeat("x", 524_262)), ev(now, strings.Repeat("y", 524_262))}, true},
		{"batch of 1048577 bytes", []types.InputLogEvent{ev(now, strings.Repeat("x", 524_262)), ev(now, strings.Repeat("y", 524_263))}, false},
		{"empty message", []types.InputLogEvent{ev(now, "a"), ev(now, "")}, false},
		{"no events", []types.InputLogEvent{}, false},
		{"same timestamps", []types.InputLogEvent{ev(now, "a"), ev(now, "b")}, true},
		{"out of order", []types.InputLogEvent{ev(now, "a"), ev(now-1, "b")}, false},
		{"span of 24 h", []types.InputLogEvent{ev(now-day, "a"), ev(now, "b")}, true},
		{"span of 24 h + 1 ms", []types.InputLogEvent{ev(now-day-1, "a"), ev(now, "b")}, false},
	}
	stored := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.EventCount()
			_, err := put(c, "g", "s", tc.events...)
			var ipe *types.InvalidParameterException
			switch {
			case tc.ok && err != nil:
				t.Fatalf("rejected: %v", err)
			case !tc.ok && !errors.As(err, &ipe):
				t.Fatalf("got %v, want InvalidParameterException", err)
			}
			if tc.ok {
				stored += len(tc.events)
			}
			if got, want := ts.EventCount()-before, map[bool]int{true: len(tc.events)}[tc.ok]; got != want {
				t.Fatalf("stored %d events, want %d", got, want)
			}
		})
	}
	if n := len(ts.Events("g", "s")); n != stored {
		t.Fatalf("Events: %d, want %d", n, stored)
	}
	if got := ts.Events("g", "s")[10_002].Message; got != strings.Repeat("\"\n", 1_048_550/2) {
		t.Fatalf("escaped message came back as %.20q...", got)
	}
}

func TestRejectedEvents(t *testing.T) {
	ts, c := newServer(t)
	mustCreate(t, c, "g", "s")
	mustCreate(t, c, "short", "s")
	if _, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("short"), RetentionInDays: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMilli()
	cases := []struct {
		name                    string
		group                   string
		events                  []types.InputLogEvent
		tooOld, tooNew, expired *int32
		stored                  []string
	}{
		{"15 days old", "g", []types.InputLogEvent{ev(now-15*day, "a"), ev(now-15*day+1, "b")},
			aws.Int32(2), nil, nil, nil},
		{"some over 14 days old", "g", []types.InputLogEvent{ev(now-14*day-12*hour, "a"), ev(now-14*day-hour, "b"), ev(now-14*day+hour, "c")},
			aws.Int32(2), nil, nil, []string{"c"}},
		{"3 h ahead", "g", []types.InputLogEvent{ev(now, "d"), ev(now+hour, "e"), ev(now+3*hour, "f"), ev(now+3*hour, "g")},
			nil, aws.Int32(2), nil, []string{"d", "e"}},
		{"all too new", "g", []types.InputLogEvent{ev(now+3*hour, "h")},
			nil, aws.Int32(0), nil, nil},
		{"expired", "short", []types.InputLogEvent{ev(now-47*hour, "i"), ev(now-25*hour, "j"), ev(now-23*hour, "k")},
			nil, nil, aws.Int32(2), []string{"k"}},
		{"too old and expired", "short", []types.InputLogEvent{ev(now-15*day, "l")},
			aws.Int32(1), nil, aws.Int32(1), nil},
		// The 24-hour rule applies to the events that are not rejected.
		{"too old and too new around a valid one", "g", []types.InputLogEvent{ev(now-15*day, "m"), ev(now, "n"), ev(now+3*hour, "o")},
			aws.Int32(1), aws.Int32(2), nil, []string{"n"}},
		{"23 h old and too new", "g", []types.InputLogEvent{ev(now-23*hour, "p"), ev(now+3*hour, "q")},
			nil, aws.Int32(1), nil, []string{"p"}},
		{"expired and 23 h apart", "short", []types.InputLogEvent{ev(now-47*hour, "r"), ev(now-23*hour, "s"), ev(now, "t")},
			nil, nil, aws.Int32(1), []string{"s", "t"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(ts.Events(tc.group, "s"))
			out, err := put(c, tc.group, "s", tc.events...)
			if err != nil {
				t.Fatal(err)
			}
			r := out.RejectedLogEventsInfo
			if r == nil {
				t.Fatal("no rejectedLogEventsInfo")
			}
			if !eqPtr(r.TooOldLogEventEndIndex, tc.tooOld) || !eqPtr(r.TooNewLogEventStartIndex, tc.tooNew) || !eqPtr(r.ExpiredLogEventEndIndex, tc.expired) {
				t.Fatalf("rejected = old %v new %v expired %v", str(r.TooOldLogEventEndIndex), str(r.TooNewLogEventStartIndex), str(r.ExpiredLogEventEndIndex))
			}
			var got []string
			for _, e := range ts.Events(tc.group, "s")[before:] {
				got = append(got, e.Message)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.stored) {
				t.Fatalf("stored %v, want %v", got, tc.stored)
			}
		})
	}
	out, err := put(c, "g", "s", ev(now, "fine"))
	if err != nil || out.RejectedLogEventsInfo != nil || out.NextSequenceToken == nil {
		t.Fatalf("clean put: %v %+v", err, out)
	}
	// Valid events that themselves span more than 24 hours are refused.
	before := len(ts.Events("g", "s"))
	_, err = put(c, "g", "s", ev(now-15*day, "u"), ev(now-23*hour-30*60_000, "v"), ev(now+hour, "w"))
	if errorCode(t, err) != "InvalidParameterException" || !strings.Contains(err.Error(), "24 hours") {
		t.Fatalf("valid events over 24 h: %v", err)
	}
	if n := len(ts.Events("g", "s")); n != before {
		t.Fatalf("a refused batch stored %d events", n-before)
	}
}

func eqPtr(a, b *int32) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func str(p *int32) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func TestGetLogEventsPaging(t *testing.T) {
	ts, c := newServer(t)
	mustCreate(t, c, "g", "s")
	now := time.Now().UnixMilli()
	var evs []types.InputLogEvent
	for i := range 25 {
		evs = append(evs, ev(now+int64(i), fmt.Sprint(i)))
	}
	if _, err := put(c, "g", "s", evs...); err != nil {
		t.Fatal(err)
	}
	get := func(head bool, token *string) *cloudwatchlogs.GetLogEventsOutput {
		t.Helper()
		out, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
			StartFromHead: aws.Bool(head), NextToken: token, Limit: aws.Int32(10),
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	span := func(out *cloudwatchlogs.GetLogEventsOutput) string {
		if len(out.Events) == 0 {
			return "-"
		}
		return *out.Events[0].Message + ".." + *out.Events[len(out.Events)-1].Message
	}

	// Forward from the head until the same token comes back.
	var pages []string
	out := get(true, nil)
	for {
		pages = append(pages, span(out))
		next := get(true, out.NextForwardToken)
		if *next.NextForwardToken == *out.NextForwardToken {
			pages = append(pages, span(next))
			break
		}
		out = next
	}
	if got := strings.Join(pages, " "); got != "0..9 10..19 20..24 -" {
		t.Fatalf("forward pages: %s", got)
	}

	// Backward from the tail (the default).
	pages = nil
	out = get(false, nil)
	for {
		pages = append(pages, span(out))
		next := get(false, out.NextBackwardToken)
		if *next.NextBackwardToken == *out.NextBackwardToken {
			pages = append(pages, span(next))
			break
		}
		out = next
	}
	if got := strings.Join(pages, " "); got != "15..24 5..14 0..4 -" {
		t.Fatalf("backward pages: %s", got)
	}

	// The default limit is 10,000 events or 1 MB.
	big := strings.Repeat("x", 500_000)
	for range 3 {
		if _, err := put(c, "g", "s", ev(now+100, big)); err != nil {
			t.Fatal(err)
		}
	}
	all, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("1 MB page: %v", err)
	}
	if len(all.Events) != 25+2 {
		t.Fatalf("1 MB page: %d events", len(all.Events))
	}
	rest, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), NextToken: all.NextForwardToken})
	if err != nil {
		t.Fatalf("after the 1 MB page: %v", err)
	}
	if len(rest.Events) != 1 {
		t.Fatalf("after the 1 MB page: %d events", len(rest.Events))
	}
	// Time range: startTime inclusive, endTime exclusive.
	r, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		StartTime: aws.Int64(now + 3), EndTime: aws.Int64(now + 6), StartFromHead: aws.Bool(true)})
	if err != nil || span(r) != "3..5" {
		t.Fatalf("time range: %v %s", err, span(r))
	}
	if _, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("nope")}); errorCode(t, err) != "ResourceNotFoundException" {
		t.Fatalf("missing stream: %v", err)
	}
	_ = ts
}

func TestFilterLogEvents(t *testing.T) {
	_, c := newServer(t)
	mustCreate(t, c, "g", "a")
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("b")}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMilli()
	var evA, evB []types.InputLogEvent
	for i := range 10 {
		level := "INFO"
		if i%2 == 0 {
			level = "ERROR"
		}
		evA = append(evA, ev(now+int64(2*i), fmt.Sprintf("a%d %s", 2*i, level)))
		evB = append(evB, ev(now+int64(2*i+1), fmt.Sprintf("b%d %s", 2*i+1, level)))
	}
	if _, err := put(c, "g", "a", evA...); err != nil {
		t.Fatal(err)
	}
	if _, err := put(c, "g", "b", evB...); err != nil {
		t.Fatal(err)
	}
	filter := func(in cloudwatchlogs.FilterLogEventsInput) (string, int) {
		t.Helper()
		in.LogGroupName = aws.String("g")
		var msgs []string
		pages := 0
		p := cloudwatchlogs.NewFilterLogEventsPaginator(c, &in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, e := range out.Events {
				msgs = append(msgs, strings.Fields(*e.Message)[0])
			}
		}
		return strings.Join(msgs, " "), pages
	}
	cases := []struct {
		name  string
		in    cloudwatchlogs.FilterLogEventsInput
		want  string
		pages int
	}{
		{"all interleaved", cloudwatchlogs.FilterLogEventsInput{}, "a0 b1 a2 b3 a4 b5 a6 b7 a8 b9 a10 b11 a12 b13 a14 b15 a16 b17 a18 b19", 1},
		{"pattern", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("ERROR")}, "a0 b1 a4 b5 a8 b9 a12 b13 a16 b17", 1},
		{"quoted pattern", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String(`"ERROR"`)}, "a0 b1 a4 b5 a8 b9 a12 b13 a16 b17", 1},
		{"stream names", cloudwatchlogs.FilterLogEventsInput{LogStreamNames: []string{"b"}, FilterPattern: aws.String("INFO")}, "b3 b7 b11 b15 b19", 1},
		{"time range inclusive", cloudwatchlogs.FilterLogEventsInput{StartTime: aws.Int64(now + 3), EndTime: aws.Int64(now + 6)}, "b3 a4 b5 a6", 1},
		{"paging", cloudwatchlogs.FilterLogEventsInput{Limit: aws.Int32(7)}, "a0 b1 a2 b3 a4 b5 a6 b7 a8 b9 a10 b11 a12 b13 a14 b15 a16 b17 a18 b19", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, pages := filter(tc.in)
			if got != tc.want || pages != tc.pages {
				t.Fatalf("got %q in %d pages, want %q in %d", got, pages, tc.want, tc.pages)
			}
		})
	}
	_, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("nope")})
	if errorCode(t, err) != "ResourceNotFoundException" {
		t.Fatalf("missing group: %v", err)
	}
}

func TestSequenceTokens(t *testing.T) {
	ts := cwlogstest.NewUnstartedServer()
	ts.SequenceTokens = true
	ts.Start()
	defer ts.Close()
	c := ts.Client(noRetry)
	mustCreate(t, c, "g", "s")
	now := time.Now().UnixMilli()
	putTok := func(tok *string, msg string) (*cloudwatchlogs.PutLogEventsOutput, error) {
		return c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
			SequenceToken: tok, LogEvents: []types.InputLogEvent{ev(now, msg)}})
	}
	first, err := putTok(nil, "one")
	if err != nil {
		t.Fatal(err)
	}
	_, err = putTok(nil, "two")
	var iste *types.InvalidSequenceTokenException
	if !errors.As(err, &iste) || aws.ToString(iste.ExpectedSequenceToken) != *first.NextSequenceToken {
		t.Fatalf("missing token: %v", err)
	}
	second, err := putTok(first.NextSequenceToken, "two")
	if err != nil {
		t.Fatal(err)
	}
	_, err = putTok(first.NextSequenceToken, "two")
	var daae *types.DataAlreadyAcceptedException
	if !errors.As(err, &daae) || aws.ToString(daae.ExpectedSequenceToken) != *second.NextSequenceToken {
		t.Fatalf("repeated batch: %v", err)
	}
	_, err = putTok(first.NextSequenceToken, "three")
	if !errors.As(err, &iste) {
		t.Fatalf("old token, new batch: %v", err)
	}
	_, err = putTok(aws.String("49590000"), "three")
	if !errors.As(err, &iste) {
		t.Fatalf("wrong token: %v", err)
	}
	ds, err := c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g")})
	if err != nil || aws.ToString(ds.LogStreams[0].UploadSequenceToken) != *second.NextSequenceToken {
		t.Fatalf("uploadSequenceToken: %v %+v", err, ds)
	}
	if n := len(ts.Events("g", "s")); n != 2 {
		t.Fatalf("%d events stored, want 2", n)
	}

	// By default tokens are ignored but still returned.
	_, c2 := newServer(t)
	mustCreate(t, c2, "g", "s")
	for _, tok := range []*string{nil, aws.String("garbage"), nil} {
		out, err := c2.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
			SequenceToken: tok, LogEvents: []types.InputLogEvent{ev(now, "x")}})
		if err != nil || out.NextSequenceToken == nil {
			t.Fatalf("default mode: %v", err)
		}
	}
}

func TestDiscardEvents(t *testing.T) {
	ts := cwlogstest.NewUnstartedServer()
	ts.DiscardEvents = true
	ts.Start()
	defer ts.Close()
	c := ts.Client(noRetry)
	mustCreate(t, c, "g", "s")
	if _, err := put(c, "g", "s", repeat(100, "hello")...); err != nil {
		t.Fatal(err)
	}
	if _, err := put(c, "g", "s", repeat(2, "")...); err == nil {
		t.Fatal("DiscardEvents skipped validation")
	}
	out, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")})
	if err != nil || len(out.Events) != 0 || ts.Events("g", "s") != nil || ts.EventCount() != 100 {
		t.Fatalf("err %v, %d events got, EventCount %d", err, len(out.Events), ts.EventCount())
	}
	if got := ts.StoredBytes("g", "s"); got != 500 {
		t.Fatalf("StoredBytes = %d, want 500", got)
	}
}

func TestConcurrentPuts(t *testing.T) {
	ts, c := newServer(t)
	const writers, puts, batch = 4, 10, 50
	for w := range writers {
		mustCreate(t, c, fmt.Sprint("g", w), "s")
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range puts {
				if _, err := put(c, fmt.Sprint("g", w), "s", repeat(batch, "m")...); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := ts.EventCount(); n != writers*puts*batch || len(ts.AllEvents()) != n || ts.Calls("PutLogEvents") != writers*puts {
		t.Fatalf("EventCount %d, AllEvents %d, calls %d", n, len(ts.AllEvents()), ts.Calls("PutLogEvents"))
	}
}
