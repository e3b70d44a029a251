package cwzap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The robust put: one batch taken through create-group, create-stream,
// sequence-token recovery and retries until it is done or failed. The
// machine is a pure transition function (advance) and a driver (run) that
// performs the action each state calls for.

// putState is a state of the put machine.
type putState uint8

const (
	stateHungry         putState = iota // check the sequence token
	stateReady                          // put the events
	stateInvalidToken                   // describe the stream to learn the token
	stateGroupNotFound                  // create the group
	stateStreamNotFound                 // create the stream
	stateDone                           // the batch was accepted
	stateFailed                         // the batch failed for good
	stateSplit                          // the batch is too large: put each half
)

var _stateNames = [...]string{"hungry", "ready", "invalid-sequence-token", "group-not-found", "stream-not-found", "done", "failed", "split"}

func (s putState) String() string {
	if int(s) < len(_stateNames) {
		return _stateNames[s]
	}
	return fmt.Sprintf("putState(%d)", uint8(s))
}

// outcome is what the action of a state came back with.
type outcome uint8

const (
	outcomeOK              outcome = iota
	outcomeTokenInvalid            // hungry: the known token is invalid; put: InvalidSequenceTokenException
	outcomeAlreadyAccepted         // put: DataAlreadyAcceptedException
	outcomeNotFound                // ResourceNotFoundException
	outcomeAlreadyExists           // ResourceAlreadyExistsException
	outcomeNoToken                 // describe: the stream exists but was never written
	outcomeRetryable               // throttling, 5xx, network: try the same state again later
	outcomeTooLarge                // the request is too large and holds more than one event
	outcomeFatal                   // anything else
)

// effect is what the driver does besides moving to the next state.
type effect uint8

const (
	effectNone        effect = iota
	effectBackoff            // wait, then repeat the state
	effectForgetToken        // the token is unknown: put without one
	effectInvalidate         // the token is known to be invalid
)

// machineConfig is what advance needs to know besides the state.
type machineConfig struct {
	createGroup bool
}

// advance is the transition function: from state s, after its action came
// back with o, where to go and what else to do. It is pure so that every
// transition has a table test.
func advance(s putState, o outcome, c machineConfig) (putState, effect) {
	if o == outcomeRetryable {
		return s, effectBackoff
	}
	if o == outcomeFatal {
		return stateFailed, effectNone
	}
	switch s {
	case stateHungry:
		if o == outcomeTokenInvalid {
			return stateInvalidToken, effectNone
		}
		return stateReady, effectNone
	case stateReady:
		switch o {
		case outcomeOK:
			return stateDone, effectNone
		case outcomeAlreadyAccepted:
			return stateDone, effectInvalidate
		case outcomeTokenInvalid:
			return stateInvalidToken, effectNone
		case outcomeNotFound:
			return stateStreamNotFound, effectNone
		case outcomeTooLarge:
			return stateSplit, effectNone
		}
	case stateInvalidToken:
		switch o {
		case outcomeOK:
			return stateReady, effectNone
		case outcomeNotFound:
			return stateGroupNotFound, effectNone
		case outcomeNoToken:
			return stateStreamNotFound, effectNone
		}
	case stateGroupNotFound:
		if !c.createGroup {
			return stateFailed, effectNone
		}
		switch o {
		case outcomeOK, outcomeAlreadyExists:
			return stateStreamNotFound, effectNone
		}
	case stateStreamNotFound:
		switch o {
		case outcomeOK, outcomeAlreadyExists:
			return stateHungry, effectForgetToken
		case outcomeNotFound:
			return stateGroupNotFound, effectNone
		}
	}
	return stateFailed, effectNone
}

// _maxSteps bounds one run of the machine, so that an endpoint that keeps
// answering "not found" after each create cannot loop it forever.
const _maxSteps = 100

// Backoff between retries: capped exponential with full jitter.
const (
	_backoffBase = 100 * time.Millisecond
	_backoffCap  = 5 * time.Second
)

func backoff(attempt int) time.Duration {
	d := _backoffCap
	if attempt < 16 {
		d = min(_backoffBase<<attempt, _backoffCap)
	}
	return d/2 + rand.N(d/2+1)
}

// putResult is how one run of the machine ended.
type putResult struct {
	state    putState // stateDone, stateFailed or stateSplit
	err      error    // why it failed
	rejected rejectedRange
	retries  int
}

// rejectedRange holds the rejected events of a put, as indices into the
// events sent: [0, old) were too old or expired, [newFrom, n) too new.
type rejectedRange struct {
	old, newFrom int
}

func (r rejectedRange) count(n int) int {
	return r.old + n - r.newFrom
}

func rejectedFrom(info *types.RejectedLogEventsInfo, n int) rejectedRange {
	r := rejectedRange{newFrom: n}
	if info == nil {
		return r
	}
	if v := info.TooOldLogEventEndIndex; v != nil {
		r.old = max(r.old, int(*v))
	}
	if v := info.ExpiredLogEventEndIndex; v != nil {
		r.old = max(r.old, int(*v))
	}
	if v := info.TooNewLogEventStartIndex; v != nil {
		r.newFrom = int(*v)
	}
	r.old = min(max(r.old, 0), n)
	r.newFrom = min(max(r.newFrom, r.old), n)
	return r
}

// Client is the part of *cloudwatchlogs.Client that a Syncer calls. A
// *cloudwatchlogs.Client gets the fast path, in which the Syncer writes the
// PutLogEvents body itself; any other implementation receives ordinary
// inputs. The Syncer passes per-call options that turn the SDK's own retries
// off (it retries itself) and bound the answers it reads; an implementation
// may ignore them.
type Client interface {
	PutLogEvents(ctx context.Context, in *cloudwatchlogs.PutLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error)
	CreateLogGroup(ctx context.Context, in *cloudwatchlogs.CreateLogGroupInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	CreateLogStream(ctx context.Context, in *cloudwatchlogs.CreateLogStreamInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogStreamOutput, error)
	DescribeLogStreams(ctx context.Context, in *cloudwatchlogs.DescribeLogStreamsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogStreamsOutput, error)
	PutRetentionPolicy(ctx context.Context, in *cloudwatchlogs.PutRetentionPolicyInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error)
}

var _ Client = (*cloudwatchlogs.Client)(nil)

// streamConfig is what every stream of a Syncer shares.
type streamConfig struct {
	client  Client
	fast    bool // client is a *cloudwatchlogs.Client: the body is written by the Syncer
	cfg     machineConfig
	kmsKey  string
	tags    map[string]string
	retain  int32
	class   types.LogGroupClass // "": the service's default
	protect bool
	rep     *reporter
}

// logStream is what the machine knows of one log stream, shared by every run
// of one Syncer that puts to it.
type logStream struct {
	streamConfig
	group string
	name  string
	where string // group/name, for reports

	// created counts the creations of the stream, so that puts that found
	// it missing together create it once: one makes the call (creating),
	// the others wait for it, see the count move and put again.
	created atomic.Uint64

	// lastErr is the error of the last failed attempt, nil once a put
	// succeeds: what a deadline's report names as the reason events were
	// still pending.
	lastErr atomic.Pointer[error]

	mu           rankedMutex   // guards the fields below; held only for field access, never across a call
	creating     chan struct{} // closed when the creation under way ends; nil when none is
	token        *string       // nil: put without a token
	tokenInvalid bool
	// legacy: the endpoint asked for sequence tokens. Until it does, the
	// tokens its answers carry are not kept: the service ignores them, and
	// writers sharing a stream would otherwise invalidate each other's on
	// an endpoint that checks them.
	legacy bool
}

func newLogStream(c streamConfig, group, name string) *logStream {
	return &logStream{streamConfig: c, group: group, name: name, where: group + "/" + name, mu: rankedMutex{rank: rankStream}}
}

// path returns group/name.
func (st *logStream) path() string { return st.where }

// putter performs the PutLogEvents action for one run; the Syncer's batch
// implements it so that the machine needs no knowledge of the arena.
type putter interface {
	put(ctx context.Context, st *logStream, token *string) (*cloudwatchlogs.PutLogEventsOutput, error)
	len() int
}

// run drives one batch through the machine until it is done, has failed or
// must be split.
func (st *logStream) run(ctx context.Context, p putter) putResult {
	s := stateHungry
	var res putResult
	attempt := 0 // backoffs so far
	puts := 0
	var seen uint64 // st.created when the last put was made
	start := time.Now()
	fail := func(err error) putResult {
		pe := &putError{attempts: puts, elapsed: time.Since(start), err: err}
		if ctx.Err() != nil {
			pe.stopped = context.Cause(ctx)
		}
		return putResult{state: stateFailed, err: pe, retries: res.retries}
	}
	for range _maxSteps {
		var o outcome
		var err error
		var out *cloudwatchlogs.PutLogEventsOutput
		switch s {
		case stateHungry:
			o = outcomeOK
			if st.tokenIsInvalid() {
				o = outcomeTokenInvalid
			}
		case stateReady:
			puts++
			seen = st.created.Load()
			out, err = p.put(ctx, st, st.currentToken())
			o = classify(err, p.len())
			if o == outcomeRetryable && err != nil {
				res.retries++
			}
			if ctx.Err() == nil { // a cancelled put says nothing of the stream
				st.noteAttempt(err)
			}
		case stateInvalidToken:
			o, err = st.describe(ctx)
		case stateGroupNotFound:
			if !st.cfg.createGroup {
				err = fmt.Errorf("log group %q does not exist and WithCreateGroup(false) is set", st.group)
				o = outcomeNotFound
				break
			}
			o, err = st.createGroup(ctx)
		case stateStreamNotFound:
			o, err = st.createStream(ctx, seen)
		}
		next, eff := advance(s, o, st.cfg)
		switch eff {
		case effectBackoff:
			if !sleepCtx(ctx, backoff(attempt)) {
				return fail(err)
			}
			attempt++
		case effectForgetToken:
			st.setToken(nil, false)
		case effectInvalidate:
			st.setToken(nil, true)
		}
		switch next {
		case stateDone:
			if out != nil {
				if out.NextSequenceToken != nil && st.usesTokens() {
					st.setToken(out.NextSequenceToken, false)
				}
				res.rejected = rejectedFrom(out.RejectedLogEventsInfo, p.len())
			} else {
				res.rejected = rejectedRange{newFrom: p.len()}
			}
			res.state = stateDone
			return res
		case stateFailed:
			if err == nil {
				err = fmt.Errorf("unexpected outcome %d in state %s", o, s)
			}
			return fail(err)
		case stateSplit:
			res.state = stateSplit
			return res
		}
		s = next
	}
	return fail(fmt.Errorf("not done after %d steps", _maxSteps))
}

func (st *logStream) createGroup(ctx context.Context) (outcome, error) {
	in := &cloudwatchlogs.CreateLogGroupInput{LogGroupName: &st.group}
	if st.kmsKey != "" {
		in.KmsKeyId = &st.kmsKey
	}
	if len(st.tags) > 0 {
		in.Tags = st.tags
	}
	if st.class != "" {
		in.LogGroupClass = st.class
	}
	if st.protect {
		in.DeletionProtectionEnabled = &st.protect
	}
	outside("CreateLogGroup")
	_, err := st.client.CreateLogGroup(ctx, in, callOptions)
	o := classify(err, 0)
	if o == outcomeOK && st.retain > 0 {
		// The events still flow without the retention; report and go on.
		outside("PutRetentionPolicy")
		_, rerr := st.client.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
			LogGroupName:    &st.group,
			RetentionInDays: &st.retain,
		}, callOptions)
		if rerr != nil {
			st.rep.report(reportSetup, "", wrapRedacted(fmt.Sprintf("cwzap: put retention policy on %q", st.group), rerr))
		}
	}
	return o, err
}

// createStream creates the stream unless another run did since seen, or
// waits for the run creating it now.
func (st *logStream) createStream(ctx context.Context, seen uint64) (outcome, error) {
	st.mu.Lock()
	if st.created.Load() != seen {
		st.mu.Unlock()
		return outcomeOK, nil
	}
	if ch := st.creating; ch != nil {
		st.mu.Unlock()
		outside("waiting for a stream's creation")
		select {
		case <-ch:
			return outcomeOK, nil // put again; a creation that failed is tried anew
		case <-ctx.Done():
			return outcomeFatal, context.Cause(ctx)
		}
	}
	ch := make(chan struct{})
	st.creating = ch
	st.mu.Unlock()

	outside("CreateLogStream")
	_, err := st.client.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName:  &st.group,
		LogStreamName: &st.name,
	}, callOptions)
	o := classify(err, 0)
	st.mu.Lock()
	if o == outcomeOK || o == outcomeAlreadyExists {
		st.created.Add(1)
	}
	st.creating = nil
	close(ch)
	st.mu.Unlock()
	return o, err
}

func (st *logStream) describe(ctx context.Context) (outcome, error) {
	// Only an endpoint that refused a put for its token gets here.
	st.mu.Lock()
	st.legacy = true
	st.mu.Unlock()
	outside("DescribeLogStreams")
	out, err := st.client.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName:        &st.group,
		LogStreamNamePrefix: &st.name,
	}, callOptions)
	if err != nil {
		return classify(err, 0), err
	}
	for _, ls := range out.LogStreams {
		if aws.ToString(ls.LogStreamName) != st.name {
			continue
		}
		if ls.UploadSequenceToken == nil {
			st.setToken(nil, false)
			return outcomeNoToken, nil
		}
		st.setToken(ls.UploadSequenceToken, false)
		return outcomeOK, nil
	}
	return outcomeNoToken, nil
}

// noteAttempt keeps the error of a failed put, or forgets it on success.
func (st *logStream) noteAttempt(err error) {
	if err == nil {
		st.lastErr.Store(nil)
		return
	}
	st.lastErr.Store(&err)
}

// lastError returns the error of the last failed put, or nil.
func (st *logStream) lastError() error {
	if p := st.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

func (st *logStream) currentToken() *string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.token
}

func (st *logStream) tokenIsInvalid() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.tokenInvalid
}

func (st *logStream) usesTokens() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.legacy
}

func (st *logStream) setToken(t *string, invalid bool) {
	st.mu.Lock()
	st.token, st.tokenInvalid = t, invalid
	st.mu.Unlock()
}

// classify maps an error from the client to an outcome by its type, never
// its text. n is the number of events in the request: a request refused as
// invalid is split only when it holds more than one event. In order:
//
//   - credentials that could not be had are fatal, even when a network
//     error of the call that fetches them (IMDS, STS, SSO) lies beneath;
//   - the service's answer decides by its error code, then its HTTP status;
//   - a context that ended is fatal: the put's time is up;
//   - a host that does not exist (the resolver's "no such host") is fatal:
//     a wrong region or endpoint, which retrying cannot mend;
//   - no answer at all (the request may not have arrived) is retryable:
//     the SDK's RequestSendError, a net.Error, a connection errno, or a
//     body cut short (io.EOF, io.ErrUnexpectedEOF);
//   - anything else is fatal.
func classify(err error, n int) outcome {
	if err == nil {
		return outcomeOK
	}
	if isCredentialsError(err) {
		return outcomeFatal
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "DataAlreadyAcceptedException":
			return outcomeAlreadyAccepted
		case "InvalidSequenceTokenException":
			return outcomeTokenInvalid
		case "ResourceNotFoundException":
			return outcomeNotFound
		case "ResourceAlreadyExistsException":
			return outcomeAlreadyExists
		case "ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException",
			"RequestLimitExceeded", "ServiceUnavailableException", "ServiceUnavailable",
			"InternalFailure", "InternalServerError", "RequestTimeout", "RequestTimeoutException":
			return outcomeRetryable
		case "InvalidParameterException", "RequestEntityTooLarge", "RequestEntityTooLargeException":
			if n > 1 {
				return outcomeTooLarge
			}
			return outcomeFatal
		}
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) {
		switch code := respErr.HTTPStatusCode(); {
		case code == http.StatusRequestEntityTooLarge:
			if n > 1 {
				return outcomeTooLarge
			}
			return outcomeFatal
		case code == http.StatusTooManyRequests, code >= 500:
			return outcomeRetryable
		case code > 0:
			return outcomeFatal
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return outcomeFatal
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return outcomeFatal // a host the resolver says does not exist will not appear on retry
	}
	if isTransportError(err) {
		return outcomeRetryable
	}
	return outcomeFatal
}

// _connErrnos are the errnos of a connection that failed or broke.
var _connErrnos = [...]syscall.Errno{
	syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
	syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ENETDOWN,
}

// isTransportError reports whether err says the request got no answer: it
// failed to be sent, or the connection broke before the answer was read.
func isTransportError(err error) bool {
	var sendErr *smithyhttp.RequestSendError
	var netErr net.Error
	if errors.As(err, &sendErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	for _, errno := range _connErrnos {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// sleepCtx waits d, or less if ctx ends first; it reports whether the full
// wait passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
