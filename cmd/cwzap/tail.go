package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/zap/zapcore"
)

// tailArgs are tail's flags, once parsed.
type tailArgs struct {
	target
	n        int
	follow   bool
	level    zapcore.Level
	filter   string
	since    *int64 // ms since the epoch
	interval time.Duration
	out      printer
}

func tail(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("tail", "tail -group G -stream S [flags]\n\n"+
		"Prints the last -n events of a stream, oldest first, one line each: time,\n"+
		"level (coloured on a terminal), the function or logger that wrote it,\n"+
		"location, message and fields; on a terminal, multi-line values follow as\n"+
		"indented blocks. -f keeps printing new events until interrupted.\n\n"+
		"Names may hold {date} (today in UTC, or -date) and {hostname} (this\n"+
		"machine's), as pipe and the library expand them.", stdout)
	var a tailArgs
	a.target.flags(fs)
	fs.IntVar(&a.n, "n", 100, "how many of the last events to print (0: none, as with -f for new events only)")
	fs.BoolVar(&a.follow, "f", false, "follow: print new events as they arrive, until interrupted")
	level := fs.String("level", "", "print only events at this level or above: DEBUG, INFO, WARNING, ERROR, CRITICAL")
	fs.StringVar(&a.filter, "filter", "", "CloudWatch filter pattern, e.g. 'ERROR -timeout' or '{ $.order_id = 42 }'")
	since := fs.String("since", "", "only events since then: a duration (90m) or a time (2006-01-02T15:04:05Z)")
	fs.DurationVar(&a.interval, "interval", time.Second, "how often -f asks for new events")
	jsonOut := fs.Bool("json", false, "print each event exactly as CloudWatch Logs stores it: a JSON object with\n"+
		"timestamp, message and ingestionTime (and eventId with -filter), one a line")
	date := fs.String("date", "", "the day {date} stands for in -group and -stream, YYYY-MM-DD (default: today in UTC)")
	if err := parse(fs, args); err != nil {
		return helpOK(err)
	}
	day, err := parseDate(*date, a.group+a.stream, time.Now())
	if err != nil {
		return err
	}
	if a.group != "" && a.stream != "" {
		if a.group, a.stream, err = tailNames(a.group, a.stream, day); err != nil {
			return err
		}
	}
	if a.n < 0 {
		return fmt.Errorf("-n must be 0 or more, not %d", a.n)
	}
	if a.interval <= 0 {
		return fmt.Errorf("-interval must be positive, not %v", a.interval)
	}
	if a.level, err = parseLevel(*level); err != nil {
		return err
	}
	if a.since, err = parseSince(*since, time.Now()); err != nil {
		return err
	}
	a.out = newPrinter(stdout, *jsonOut)
	defer a.out.flush()
	a.target.stderr = stderr
	client, err := a.client(ctx)
	if err != nil {
		return err
	}
	if err := a.reach(ctx); err != nil {
		return err
	}
	if a.follow {
		return a.followLive(ctx, client, stderr) // livetail.go
	}
	if a.filter != "" {
		return a.filtered(ctx, client)
	}
	return a.plain(ctx, client)
}

// event is one event read back.
type event struct {
	ts, ingest int64
	msg, id    string
}

func parseLevel(s string) (zapcore.Level, error) {
	switch strings.ToUpper(s) {
	case "":
		return zapcore.DebugLevel, nil
	case "DEBUG":
		return zapcore.DebugLevel, nil
	case "INFO":
		return zapcore.InfoLevel, nil
	case "WARNING", "WARN":
		return zapcore.WarnLevel, nil
	case "ERROR":
		return zapcore.ErrorLevel, nil
	case "CRITICAL", "DPANIC", "PANIC", "FATAL":
		return zapcore.DPanicLevel, nil
	}
	return 0, fmt.Errorf("-level %q is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL", s)
}

func parseSince(s string, now time.Time) (*int64, error) {
	if s == "" {
		return nil, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return aws.Int64(now.Add(-d).UnixMilli()), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return aws.Int64(t.UnixMilli()), nil
		}
	}
	return nil, fmt.Errorf("-since %q is neither a duration (90m) nor a time (2006-01-02T15:04:05Z)", s)
}

// parseDate reads -date: the day {date} stands for. It is refused when
// names, the flags' text, holds no {date}.
func parseDate(s, names string, now time.Time) (time.Time, error) {
	if s == "" {
		return now.UTC(), nil
	}
	if !strings.Contains(names, "{date}") {
		return time.Time{}, fmt.Errorf("-date %q: neither -group nor -stream holds {date}", s)
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("-date %q is not a day like 2006-01-02", s)
	}
	return d, nil
}

// timed runs one request under the -timeout.
func (a *tailArgs) timed(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, a.timeout)
}

// plain reads with GetLogEvents: backward from the end until -n events at
// -level are found, then forward with -f.
func (a *tailArgs) plain(ctx context.Context, c *cloudwatchlogs.Client) error {
	var got []event // newest first
	var forward *string
	var token *string
	var limit *int32 // pages of -n events, unless -level may skip some
	if a.level == zapcore.DebugLevel {
		limit = aws.Int32(int32(min(max(a.n, 1), 10_000)))
	}
	for len(got) < a.n || forward == nil {
		rctx, cancel := a.timed(ctx)
		out, err := c.GetLogEvents(rctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: &a.group, LogStreamName: &a.stream, StartTime: a.since,
			NextToken: token, StartFromHead: aws.Bool(false), Limit: limit,
		})
		cancel()
		if err != nil {
			return a.readError(err)
		}
		if forward == nil {
			forward = out.NextForwardToken
		}
		for i := len(out.Events) - 1; i >= 0 && len(got) < a.n; i-- {
			e := out.Events[i]
			ev := event{ts: aws.ToInt64(e.Timestamp), ingest: aws.ToInt64(e.IngestionTime), msg: aws.ToString(e.Message)}
			if eventLevel(ev.msg) >= a.level {
				got = append(got, ev)
			}
		}
		// The service gives the same token back at the start of the stream.
		if len(out.Events) == 0 || token != nil && aws.ToString(out.NextBackwardToken) == *token {
			break
		}
		token = out.NextBackwardToken
	}
	slices.Reverse(got)
	for _, e := range got {
		a.out.print(e)
	}
	if !a.follow {
		return nil
	}
	return a.followPlain(ctx, c, forward)
}

func (a *tailArgs) followPlain(ctx context.Context, c *cloudwatchlogs.Client, token *string) error {
	for {
		rctx, cancel := a.timed(ctx)
		out, err := c.GetLogEvents(rctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: &a.group, LogStreamName: &a.stream, StartTime: a.since,
			NextToken: token, StartFromHead: aws.Bool(true),
		})
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return a.readError(err)
		}
		for _, e := range out.Events {
			a.emit(event{ts: aws.ToInt64(e.Timestamp), ingest: aws.ToInt64(e.IngestionTime), msg: aws.ToString(e.Message)})
		}
		token = out.NextForwardToken
		if len(out.Events) > 0 {
			continue // there may be more at once
		}
		if !sleep(ctx, a.interval) {
			return nil
		}
	}
}

// filtered reads with FilterLogEvents, which applies -filter: every page
// from -since, keeping the last -n; then, with -f, the events after the
// last one seen.
func (a *tailArgs) filtered(ctx context.Context, c *cloudwatchlogs.Client) error {
	var last []event
	start := a.since
	seen := map[string]bool{} // event ids at the newest timestamp seen
	newest := int64(-1)
	for first := true; ; first = false {
		var token *string
		for {
			rctx, cancel := a.timed(ctx)
			out, err := c.FilterLogEvents(rctx, &cloudwatchlogs.FilterLogEventsInput{
				LogGroupName: &a.group, LogStreamNames: []string{a.stream},
				FilterPattern: &a.filter, StartTime: start, NextToken: token,
			})
			cancel()
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				return a.readError(err)
			}
			for _, e := range out.Events {
				ev := event{ts: aws.ToInt64(e.Timestamp), ingest: aws.ToInt64(e.IngestionTime),
					msg: aws.ToString(e.Message), id: aws.ToString(e.EventId)}
				if ev.ts < newest || ev.ts == newest && seen[ev.id] {
					continue
				}
				if ev.ts > newest {
					newest, seen = ev.ts, map[string]bool{}
				}
				seen[ev.id] = true
				if !first {
					a.emit(ev)
					continue
				}
				if eventLevel(ev.msg) < a.level {
					continue
				}
				if last = append(last, ev); len(last) > a.n {
					last = last[1:]
				}
			}
			if out.NextToken == nil {
				break
			}
			token = out.NextToken
		}
		if first {
			for _, e := range last {
				a.out.print(e)
			}
			last = nil
		}
		if !a.follow {
			return nil
		}
		if newest >= 0 {
			start = aws.Int64(newest)
		}
		if !sleep(ctx, a.interval) {
			return nil
		}
	}
}

// emit prints one new event if it is at -level or above: every event that
// arrives while following goes through it.
func (a *tailArgs) emit(ev event) {
	if eventLevel(ev.msg) >= a.level {
		a.out.print(ev)
	}
}

// readError says in one line what went wrong with a read.
func (a *tailArgs) readError(err error) error {
	return readError(err, a.group, a.stream, a.timeout)
}

// sleep waits d, or until ctx is done (then it reports false).
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
