package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// tail -f: the last -n events as without -f, then the new ones as they
// stream from StartLiveTail, the service's API for this (FilterLogEvents
// is capped at 5 requests/s per account and Region, shared by everyone
// tailing). -filter is the live tail's filter pattern. Where the endpoint
// has no live tail, or refuses it, tail polls FilterLogEvents instead,
// backing off when throttled.

// _maxPollBackoff caps the wait between polls while FilterLogEvents
// throttles.
const _maxPollBackoff = 30 * time.Second

// followLive prints the last -n events, then follows. notes hears, once
// each, why tail polls and that it is throttled.
func (a *tailArgs) followLive(ctx context.Context, c *cloudwatchlogs.Client, notes io.Writer) error {
	a.follow = false
	from := time.Now().UnixMilli()
	// The session starts before the history is read, so that no event
	// falls between them; events in both are printed once.
	live, liveErr := a.startLive(ctx, c)
	defer func() {
		if live != nil {
			live.Close() // the session open now: a reopened one replaces it
		}
	}()
	seen := &printedLines{w: a.out.w, lines: map[string]int{}}
	a.out.w = seen
	var err error
	if a.filter != "" {
		err = a.filtered(ctx, c)
	} else {
		err = a.plain(ctx, c)
	}
	a.out.w = seen.w
	if err != nil || ctx.Err() != nil {
		return err
	}
	n := &noter{w: notes}
	for liveErr == nil {
		var timedOut bool
		if timedOut, liveErr = a.streamLive(ctx, live, seen, n); !timedOut || liveErr != nil {
			break
		}
		// The service ends a session after 3 hours: start another.
		live.Close()
		seen.lines = nil
		if live, liveErr = a.startLive(ctx, c); liveErr != nil {
			live = nil
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	if liveErr != nil {
		n.once("live", fmt.Sprintf("cwzap tail: no live tail (%v); polling FilterLogEvents every -interval (%v)", oneLine(liveErr.Error()), a.interval))
	}
	return a.poll(ctx, c, from, seen, n)
}

// startLive opens a live tail session on the stream.
func (a *tailArgs) startLive(ctx context.Context, c *cloudwatchlogs.Client) (*cloudwatchlogs.StartLiveTailEventStream, error) {
	arn, err := a.groupARN(ctx, c)
	if err != nil {
		return nil, err
	}
	in := &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogStreamNames: []string{a.stream}}
	if a.filter != "" {
		in.LogEventFilterPattern = aws.String(a.filter)
	}
	// A session lasts as long as tail runs: no -timeout on its body, and
	// no "stream-" host prefix on an endpoint given by URL.
	out, err := c.StartLiveTail(ctx, in, func(o *cloudwatchlogs.Options) {
		o.HTTPClient = untimed(o.HTTPClient)
		if o.BaseEndpoint != nil {
			o.APIOptions = append(o.APIOptions, noHostPrefix)
		}
	})
	if err != nil {
		return nil, err
	}
	return out.GetStream(), nil
}

// groupARN finds the ARN of -group, which StartLiveTail wants.
func (a *tailArgs) groupARN(ctx context.Context, c *cloudwatchlogs.Client) (string, error) {
	rctx, cancel := a.timed(ctx)
	defer cancel()
	out, err := c.DescribeLogGroups(rctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: &a.group})
	if err != nil {
		return "", err
	}
	for _, g := range out.LogGroups {
		if aws.ToString(g.LogGroupName) == a.group && g.LogGroupArn != nil {
			return strings.TrimSuffix(*g.LogGroupArn, ":*"), nil
		}
	}
	return "", fmt.Errorf("log group %q not found", a.group)
}

// streamLive prints the events of a session until it ends. timedOut
// reports the service's end of a long session.
func (a *tailArgs) streamLive(ctx context.Context, live *cloudwatchlogs.StartLiveTailEventStream, seen *printedLines, n *noter) (timedOut bool, err error) {
	for ev := range live.Events() {
		u, ok := ev.(*types.StartLiveTailResponseStreamMemberSessionUpdate)
		if !ok {
			continue // sessionStart
		}
		if md := u.Value.SessionMetadata; md != nil && md.Sampled {
			n.once("sampled", "cwzap tail: the live tail is sampling: more events match than it streams (narrow it with -filter)")
		}
		for _, r := range u.Value.SessionResults {
			e := event{ts: aws.ToInt64(r.Timestamp), ingest: aws.ToInt64(r.IngestionTime), msg: aws.ToString(r.Message)}
			if eventLevel(e.msg) >= a.level && !seen.printedBefore(a.out, e) {
				a.out.print(e)
			}
		}
	}
	if ctx.Err() != nil {
		return false, nil
	}
	var te *types.SessionTimeoutException
	if errors.As(live.Err(), &te) {
		return true, nil
	}
	if err := live.Err(); err != nil {
		return false, err
	}
	return false, errors.New("the live tail ended")
}

// _pollLookback is how far before the start of -f polling looks for
// events stored since: an event is stamped when it is logged and stored
// when its batch is sent, seconds later.
const _pollLookback = 5 * time.Minute

// poll follows with FilterLogEvents the events stored since the time
// from: every -interval, and after a throttle twice as long as the last
// wait, up to _maxPollBackoff.
func (a *tailArgs) poll(ctx context.Context, c *cloudwatchlogs.Client, from int64, seen *printedLines, n *noter) error {
	start := aws.Int64(from - _pollLookback.Milliseconds())
	ids := map[string]bool{} // ids of the events at the newest time printed
	newest := int64(-1)
	wait := a.interval
	for {
		var token *string
		throttled := false
		for {
			in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: &a.group, LogStreamNames: []string{a.stream}, StartTime: start, NextToken: token}
			if a.filter != "" {
				in.FilterPattern = &a.filter
			}
			rctx, cancel := a.timed(ctx)
			out, err := c.FilterLogEvents(rctx, in)
			cancel()
			if ctx.Err() != nil {
				return nil
			}
			if isThrottle(err) {
				throttled = true
				break
			}
			if err != nil {
				return err
			}
			for _, r := range out.Events {
				e := event{ts: aws.ToInt64(r.Timestamp), ingest: aws.ToInt64(r.IngestionTime), msg: aws.ToString(r.Message), id: aws.ToString(r.EventId)}
				if e.ts < newest || e.ts == newest && ids[e.id] {
					continue
				}
				if e.ts > newest {
					newest, ids = e.ts, map[string]bool{}
				}
				ids[e.id] = true
				if e.ingest < from {
					continue // stored before -f started: the history's
				}
				if eventLevel(e.msg) >= a.level && !seen.printedBefore(a.out, e) {
					a.out.print(e)
				}
			}
			if out.NextToken == nil {
				break
			}
			token = out.NextToken
		}
		if newest >= 0 {
			start = aws.Int64(newest)
		}
		if throttled {
			wait = min(2*wait, max(_maxPollBackoff, a.interval))
			n.once("throttled", fmt.Sprintf("cwzap tail: FilterLogEvents is throttled (5 requests/s per account and Region); backing off, up to %v between polls", max(_maxPollBackoff, a.interval)))
		} else {
			wait = a.interval
		}
		if !sleep(ctx, wait) {
			return nil
		}
	}
}

func isThrottle(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "ThrottlingException" || ae.ErrorCode() == "LimitExceededException")
}

// printedLines records what the history printed, so that an event both
// in the history and in the live tail is printed once.
type printedLines struct {
	w     io.Writer
	lines map[string]int // nil once the history is behind
}

func (p *printedLines) Write(b []byte) (int, error) {
	if p.lines != nil {
		p.lines[string(b)]++
	}
	return p.w.Write(b)
}

// printedBefore reports whether the history printed e, and forgets it.
func (p *printedLines) printedBefore(out printer, e event) bool {
	if len(p.lines) == 0 {
		return false
	}
	var b strings.Builder
	out.w = &b
	out.print(e)
	if p.lines[b.String()] == 0 {
		return false
	}
	p.lines[b.String()]--
	return true
}

// noter says each thing once.
type noter struct {
	w    io.Writer
	mu   sync.Mutex
	said map[string]bool
}

func (n *noter) once(key, msg string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.said[key] {
		return
	}
	if n.said == nil {
		n.said = map[string]bool{}
	}
	n.said[key] = true
	fmt.Fprintln(n.w, msg)
}

// noHostPrefix keeps the SDK from sending StartLiveTail to "stream-" +
// the host of an endpoint given by URL, a name that does not resolve.
func noHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("cwzap.NoHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}
