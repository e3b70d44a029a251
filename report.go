package cwzap

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// How a Syncer reports what did not reach CloudWatch. Two channels, each
// saying a thing once:
//
//   - the error handler (WithErrorHandler) hears of each incident as it
//     happens, from the Syncer's goroutines: a batch that failed for good,
//     events the service rejected, or a batch a sync deadline sent to the
//     fallback writer (each a *DeliveryError), and the start of an overflow
//     episode (an error wrapping ErrBufferFull);
//   - the next Sync (or SyncContext, Close, CloseContext) returns the sum of
//     every incident since the previous one returned, as one *DeliveryError.
//
// The Core returns neither from Write, so zap's ErrorOutput does not print
// them a third time; it hears only of entries the Core could not write.

// defaultErrorHandler writes each error as one line to stderr: the
// handler of every Syncer built without WithErrorHandler, and of what an
// encoder without a Syncer finds wrong with metrics.
func defaultErrorHandler(err error) { fmt.Fprintln(os.Stderr, err) }

// ErrClosed is returned by Write and WriteEntry after Close; the event goes
// to the fallback writer.
var ErrClosed = errors.New("cwzap: syncer closed")

// ErrBufferFull is the cause in a DeliveryError for events that found the
// buffer full (WithBufferLimit) and went to the fallback writer or, under
// OverflowDrop, were dropped.
var ErrBufferFull = errors.New("cwzap: buffer full")

// ErrDeadline is the cause in a DeliveryError for events still pending when
// the deadline of a Sync, Close or purge passed (WithSyncTimeout, or the
// context of SyncContext or CloseContext); they went to the fallback writer.
var ErrDeadline = errors.New("cwzap: sync deadline passed")

// DeliveryError reports events that did not reach CloudWatch: they are in
// the fallback writer, or were dropped under OverflowDrop. The error
// handler gets one per batch that failed, was rejected or was late; Sync
// returns one that adds up every incident since the previous Sync
// returned, overflow included. errors.Is finds
// ErrBufferFull when Overflow > 0 and ErrDeadline when Late > 0.
type DeliveryError struct {
	// Group and Stream name the stream of the batch; in Sync's error, which
	// may add up several streams, they are the names as NewSyncer got them,
	// {date} unexpanded.
	Group, Stream string

	Events   int // Failed + Rejected + Late + Overflow
	Failed   int // in batches whose put failed for good; Err says why
	Rejected int // refused by the service: older than 14 days, past retention, or over 2 hours ahead
	Late     int // still pending when a sync deadline passed; LateErr says which
	Overflow int // found the buffer full (ErrBufferFull)
	Dropped  int // discarded instead of written to the fallback writer: under OverflowDrop, or because the fallback writer was stuck

	Err     error // why the last failed put failed; for Late events without Failed, the last failed attempt of their stream, if any
	LateErr error // the deadline that passed (Is ErrDeadline); nil when Late is 0
}

func (e *DeliveryError) Error() string {
	type part struct {
		n    int
		what string
	}
	var parts []part
	if e.Failed > 0 {
		parts = append(parts, part{e.Failed, "failed (" + oneLine(e.Err) + ")"})
	}
	if e.Rejected > 0 {
		parts = append(parts, part{e.Rejected, "rejected by the service as older than 14 days or the retention, or over 2 hours ahead"})
	}
	if e.Late > 0 {
		what := "still pending when " + oneLine(e.LateErr)
		if e.Failed == 0 && e.Err != nil {
			what += " (last attempt: " + oneLine(e.Err) + ")"
		}
		parts = append(parts, part{e.Late, what})
	}
	if e.Overflow > 0 {
		parts = append(parts, part{e.Overflow, "found the buffer full (WithBufferLimit)"})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cwzap: %s/%s: %s not delivered", e.Group, e.Stream, plural(e.Events, "event"))
	for i, p := range parts {
		b.WriteString([]string{": ", "; "}[min(i, 1)])
		if len(parts) > 1 {
			fmt.Fprintf(&b, "%d ", p.n)
		}
		b.WriteString(p.what)
	}
	switch {
	case e.Dropped >= e.Events && e.Dropped == e.Overflow:
		b.WriteString("; dropped (OverflowDrop)")
	case e.Dropped >= e.Events:
		b.WriteString("; dropped (OverflowDrop, or the fallback writer was stuck)")
	case e.Dropped > 0:
		fmt.Fprintf(&b, "; %d dropped (OverflowDrop, or the fallback writer was stuck), the rest written to the fallback writer", e.Dropped)
	default:
		b.WriteString("; written to the fallback writer")
	}
	return b.String()
}

// Unwrap returns the causes, for errors.Is and errors.As.
func (e *DeliveryError) Unwrap() []error {
	var errs []error
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.LateErr != nil {
		errs = append(errs, e.LateErr)
	}
	if e.Overflow > 0 {
		errs = append(errs, ErrBufferFull)
	}
	return errs
}

func (e *DeliveryError) add(o *DeliveryError) {
	e.Events += o.Events
	e.Failed += o.Failed
	e.Rejected += o.Rejected
	e.Late += o.Late
	e.Overflow += o.Overflow
	e.Dropped += o.Dropped
	if o.Err != nil {
		e.Err = o.Err
	}
	if o.LateErr != nil {
		e.LateErr = o.LateErr
	}
}

// overflowError is what the error handler hears at the start of an
// overflow episode: it is ErrBufferFull for errors.Is, and says it once.
type overflowError struct {
	group, stream string // as NewSyncer got them
	limit         int    // WithBufferLimit
	what          string // what happens to the events until puts catch up
}

func (e *overflowError) Error() string {
	return fmt.Sprintf("cwzap: %s/%s: buffer full (WithBufferLimit %d bytes): %s until puts catch up", e.group, e.stream, e.limit, e.what)
}

func (e *overflowError) Is(target error) bool { return target == ErrBufferFull }

// stuckError reports events the fallback writer did not take in time.
type stuckError struct {
	timeout time.Duration // WithSyncTimeout: how long the writer took none
	n       int           // events it did not take
}

func (e *stuckError) Error() string {
	return fmt.Sprintf("cwzap: the fallback writer took no event for %v: dropped %s it could not take; unblock it (a full pipe, a stopped reader?)", e.timeout, plural(e.n, "event"))
}

// deadlineError is the cause a sync deadline cancels puts with.
type deadlineError struct {
	timeout time.Duration // WithSyncTimeout; 0 when the caller's context ended
	ctxErr  error         // the caller's context's cause
	closing bool          // Close ended the puts that were left
}

func (e *deadlineError) Error() string {
	switch {
	case e.closing:
		return "Close ended the puts still in flight"
	case e.ctxErr != nil:
		return "the caller's context ended (" + oneLine(e.ctxErr) + ")"
	}
	return fmt.Sprintf("the sync deadline passed (WithSyncTimeout %v)", e.timeout)
}

func (e *deadlineError) Is(target error) bool { return target == ErrDeadline }

func (e *deadlineError) Unwrap() error { return e.ctxErr }

// putTimeoutError is the cause a batch's put is cancelled with when
// WithPutTimeout passes.
type putTimeoutError struct{ timeout time.Duration }

func (e *putTimeoutError) Error() string {
	return fmt.Sprintf("WithPutTimeout (%v) passed", e.timeout)
}

// putError is why a batch failed for good: the last error from the service
// or the network, and how hard the Syncer tried.
type putError struct {
	attempts int           // PutLogEvents calls made
	elapsed  time.Duration // from the first call to giving up
	stopped  error         // the context's cause when it ended the put, or nil
	err      error         // the last error of a call, or nil
}

func (e *putError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "PutLogEvents gave up after %s", plural(e.attempts, "attempt"))
	if e.elapsed >= time.Millisecond {
		fmt.Fprintf(&b, " over %v", e.elapsed.Round(time.Millisecond))
	}
	if e.stopped != nil {
		b.WriteString(": " + oneLine(e.stopped))
	}
	if e.err != nil {
		if e.stopped != nil {
			b.WriteString("; last error: ")
		} else {
			b.WriteString(": ")
		}
		b.WriteString(oneLine(e.err))
	}
	return b.String()
}

// Unwrap returns the causes. The last error of a call comes wrapped so
// that its text, too, is redacted.
func (e *putError) Unwrap() []error {
	var errs []error
	if e.err != nil {
		errs = append(errs, &redactedError{text: oneLine(e.err), err: e.err})
	}
	if e.stopped != nil {
		errs = append(errs, e.stopped)
	}
	return errs
}

// oneLine says what an error from the SDK means, on one line, redacted
// (redact.go): without the
// SDK's "exceeded maximum number of attempts, 1" (the Syncer does its own
// retries and counts them), and with what to set when credentials are
// missing.
func oneLine(err error) string {
	if err == nil {
		return "unknown error"
	}
	msg := err.Error()
	if _, ok := err.(*putError); !ok {
		var oe *smithy.OperationError
		if errors.As(err, &oe) {
			inner := oe.Err
			var mae *retry.MaxAttemptsError
			if errors.As(inner, &mae) && mae.Err != nil {
				inner = mae.Err
			}
			// Without "https response error StatusCode: 0, RequestID: , request send failed".
			var se *smithyhttp.RequestSendError
			if errors.As(inner, &se) && se.Err != nil {
				inner = se.Err
			}
			msg = oe.Operation() + ": " + inner.Error()
		}
		if isCredentialsError(err) {
			msg = "no usable AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, " +
				"or run with an IAM role; for a local endpoint, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS with any static credentials (" + msg + ")"
		}
	}
	return redactLine(msg)
}

// isCredentialsError reports whether err arose in getting credentials to
// sign with rather than in the call itself; retrying does not help, and the
// user must set something. The SDK has no one type for it, so two shapes:
//
//   - the call's *smithy.OperationError holds another one: a call made on
//     the way to credentials (IMDS, STS, SSO) failed, whatever its cause;
//   - a static provider with nothing in it.
func isCredentialsError(err error) bool {
	var empty *credentials.StaticCredentialsEmptyError
	if errors.As(err, &empty) {
		return true
	}
	var outer, inner *smithy.OperationError
	return errors.As(err, &outer) && errors.As(outer.Err, &inner)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
