package cwzap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cwzap/cwzap/cwlogstest"
)

func TestAdvance(t *testing.T) {
	create := machineConfig{createGroup: true}
	noCreate := machineConfig{createGroup: false}
	tests := []struct {
		give       putState
		giveResult outcome
		giveConfig machineConfig
		want       putState
		wantEffect effect
	}{
		// hungry: the token check.
		{stateHungry, outcomeOK, create, stateReady, effectNone},
		{stateHungry, outcomeTokenInvalid, create, stateInvalidToken, effectNone},

		// ready: the put.
		{stateReady, outcomeOK, create, stateDone, effectNone},
		{stateReady, outcomeAlreadyAccepted, create, stateDone, effectInvalidate},
		{stateReady, outcomeTokenInvalid, create, stateInvalidToken, effectNone},
		{stateReady, outcomeNotFound, create, stateStreamNotFound, effectNone},
		{stateReady, outcomeTooLarge, create, stateSplit, effectNone},
		{stateReady, outcomeRetryable, create, stateReady, effectBackoff},
		{stateReady, outcomeFatal, create, stateFailed, effectNone},
		{stateReady, outcomeAlreadyExists, create, stateFailed, effectNone},

		// invalid-sequence-token: describe the stream.
		{stateInvalidToken, outcomeOK, create, stateReady, effectNone},
		{stateInvalidToken, outcomeNotFound, create, stateGroupNotFound, effectNone},
		{stateInvalidToken, outcomeNoToken, create, stateStreamNotFound, effectNone},
		{stateInvalidToken, outcomeRetryable, create, stateInvalidToken, effectBackoff},
		{stateInvalidToken, outcomeFatal, create, stateFailed, effectNone},

		// group-not-found: create the group.
		{stateGroupNotFound, outcomeOK, create, stateStreamNotFound, effectNone},
		{stateGroupNotFound, outcomeAlreadyExists, create, stateStreamNotFound, effectNone},
		{stateGroupNotFound, outcomeRetryable, create, stateGroupNotFound, effectBackoff},
		{stateGroupNotFound, outcomeFatal, create, stateFailed, effectNone},
		{stateGroupNotFound, outcomeNotFound, noCreate, stateFailed, effectNone},

		// stream-not-found: create the stream.
		{stateStreamNotFound, outcomeOK, create, stateHungry, effectForgetToken},
		{stateStreamNotFound, outcomeAlreadyExists, create, stateHungry, effectForgetToken},
		{stateStreamNotFound, outcomeNotFound, create, stateGroupNotFound, effectNone},
		{stateStreamNotFound, outcomeRetryable, create, stateStreamNotFound, effectBackoff},
		{stateStreamNotFound, outcomeFatal, create, stateFailed, effectNone},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.give, tt.giveResult), func(t *testing.T) {
			got, eff := advance(tt.give, tt.giveResult, tt.giveConfig)
			if got != tt.want || eff != tt.wantEffect {
				t.Errorf("advance(%s, %d) = %s, %d; want %s, %d", tt.give, tt.giveResult, got, eff, tt.want, tt.wantEffect)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	apiErr := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }
	status := func(code int) error {
		return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: io.ErrUnexpectedEOF}
	}
	tests := []struct {
		name  string
		give  error
		giveN int
		want  outcome
	}{
		{"nil", nil, 1, outcomeOK},
		{"already accepted", &types.DataAlreadyAcceptedException{}, 1, outcomeAlreadyAccepted},
		{"invalid token", &types.InvalidSequenceTokenException{}, 1, outcomeTokenInvalid},
		{"not found", &types.ResourceNotFoundException{}, 1, outcomeNotFound},
		{"already exists", &types.ResourceAlreadyExistsException{}, 1, outcomeAlreadyExists},
		{"throttling", apiErr("ThrottlingException"), 1, outcomeRetryable},
		{"unavailable", &types.ServiceUnavailableException{}, 1, outcomeRetryable},
		{"internal failure", apiErr("InternalFailure"), 1, outcomeRetryable},
		{"invalid parameter, many events", &types.InvalidParameterException{}, 2, outcomeTooLarge},
		{"invalid parameter, one event", &types.InvalidParameterException{}, 1, outcomeFatal},
		{"413, many events", status(http.StatusRequestEntityTooLarge), 5, outcomeTooLarge},
		{"429", status(http.StatusTooManyRequests), 1, outcomeRetryable},
		{"502", status(http.StatusBadGateway), 1, outcomeRetryable},
		{"403", status(http.StatusForbidden), 1, outcomeFatal},
		{"access denied", apiErr("AccessDeniedException"), 1, outcomeFatal},
		{"send error", &smithyhttp.RequestSendError{Err: io.EOF}, 1, outcomeRetryable},
		{"deadline", context.DeadlineExceeded, 1, outcomeFatal},
		{"wrapped deadline", fmt.Errorf("put: %w", context.Canceled), 1, outcomeFatal},
		{"other", errors.New("boom"), 1, outcomeFatal},
		{"text that says EOF", errors.New("config: unexpected EOF in profile"), 1, outcomeFatal},
		{"text that says connection refused", errors.New("upstream said: connection refused"), 1, outcomeFatal},
		{"text that says broken pipe", fmt.Errorf("encode: %s", "broken pipe"), 1, outcomeFatal},
		{"io.ErrUnexpectedEOF in a body", &smithy.DeserializationError{Err: io.ErrUnexpectedEOF}, 1, outcomeRetryable},
		{"io.EOF", fmt.Errorf("read: %w", io.EOF), 1, outcomeRetryable},
		{"ECONNRESET", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, 1, outcomeRetryable},
		{"EPIPE", fmt.Errorf("write: %w", syscall.EPIPE), 1, outcomeRetryable},
		{"ECONNREFUSED", os.NewSyscallError("connect", syscall.ECONNREFUSED), 1, outcomeRetryable},
		{"static credentials empty", &smithy.OperationError{ServiceID: "CloudWatch Logs", OperationName: "PutLogEvents", Err: fmt.Errorf("get identity: %w", &credentials.StaticCredentialsEmptyError{})}, 1, outcomeFatal},
		{"credentials from an unreachable IMDS", &smithy.OperationError{ServiceID: "CloudWatch Logs", OperationName: "PutLogEvents",
			Err: fmt.Errorf("get identity: %w", &smithy.OperationError{ServiceID: "ec2imds", OperationName: "GetMetadata",
				Err: &smithyhttp.RequestSendError{Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}})}, 1, outcomeFatal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.give, tt.giveN); got != tt.want {
				t.Errorf("classify(%v, %d) = %d, want %d", tt.give, tt.giveN, got, tt.want)
			}
		})
	}
}

// Every status class the put retries, at its bounds, with and without an
// error code, and the statuses next to them that it does not retry: 429
// and every 5xx are retried; a 413, and a 400 InvalidParameterException,
// halve a request of several events and fail one of one; any other 4xx
// fails for good, but a 400 carrying a throttling code (the service
// throttles with 400). An answer without a code reaches classify as the
// SDK makes it: UnknownError, or a body the SDK could not decode (a
// proxy's HTML page).
func TestClassifyStatus(t *testing.T) {
	const noCode = "UnknownError" // what the SDK calls an answer without a code
	tests := []struct {
		giveStatus int
		giveCode   string // "" for a body that is not the service's error shape
		giveN      int
		want       outcome
	}{
		{400, noCode, 1, outcomeFatal},
		{400, "", 1, outcomeFatal},
		{400, "ThrottlingException", 1, outcomeRetryable},
		{400, "InvalidParameterException", 2, outcomeTooLarge},
		{400, "InvalidParameterException", 1, outcomeFatal},
		{403, "AccessDeniedException", 1, outcomeFatal},
		{413, noCode, 2, outcomeTooLarge},
		{413, "", 2, outcomeTooLarge},
		{413, noCode, 1, outcomeFatal},
		{413, "RequestEntityTooLargeException", 2, outcomeTooLarge},
		{428, noCode, 1, outcomeFatal},
		{429, noCode, 1, outcomeRetryable},
		{429, "", 1, outcomeRetryable},
		{429, "TooManyRequestsException", 1, outcomeRetryable},
		{430, noCode, 1, outcomeFatal},
		{499, noCode, 1, outcomeFatal},
		{499, "", 1, outcomeFatal},
		{500, noCode, 1, outcomeRetryable},
		{500, "", 1, outcomeRetryable},
		{500, "InternalFailure", 1, outcomeRetryable},
		{500, "SomeFutureException", 1, outcomeRetryable},
		{502, noCode, 1, outcomeRetryable},
		{502, "", 1, outcomeRetryable},
		{503, noCode, 1, outcomeRetryable},
		{503, "", 1, outcomeRetryable},
		{503, "ServiceUnavailableException", 1, outcomeRetryable},
		{504, noCode, 1, outcomeRetryable},
		{504, "", 1, outcomeRetryable},
		{599, noCode, 1, outcomeRetryable},
	}
	for _, tt := range tests {
		body := tt.giveCode
		if body == "" {
			body = "no JSON"
		}
		t.Run(fmt.Sprintf("%d %s, %d events", tt.giveStatus, body, tt.giveN), func(t *testing.T) {
			err := sdkError(tt.giveStatus, tt.giveCode)
			if got := classify(err, tt.giveN); got != tt.want {
				t.Errorf("classify(%v, %d) = %d, want %d", err, tt.giveN, got, tt.want)
			}
		})
	}
}

// sdkError returns an error shaped as the SDK's client returns it for an
// answer of the given status: an OperationError around the response error
// around the decoded error, an API error with code, or for code "" a
// body that did not decode.
func sdkError(status int, code string) error {
	var decoded error = &smithy.GenericAPIError{Code: code, Message: "m"}
	if code == "" {
		decoded = &smithy.DeserializationError{Err: errors.New("failed to decode response body, invalid character '<'")}
	}
	resp := &smithyhttp.Response{Response: &http.Response{StatusCode: status}}
	return &smithy.OperationError{ServiceID: "CloudWatch Logs", OperationName: "PutLogEvents",
		Err: &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: resp, Err: decoded}, RequestID: "r-1"}}
}

// What the real SDK client makes of a bare status from the endpoint (no
// error code, as a proxy answers), at each bound of the classes: retried,
// halved, or failed for good as TestClassifyStatus says.
func TestClassifySDKStatuses(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	client := srv.Client(callOptions)
	ctx := context.Background()
	if _, err := client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		giveStatus, giveN int
		want              outcome
	}{
		{400, 1, outcomeFatal},
		{413, 2, outcomeTooLarge},
		{413, 1, outcomeFatal},
		{428, 1, outcomeFatal},
		{429, 1, outcomeRetryable},
		{430, 1, outcomeFatal},
		{499, 1, outcomeFatal},
		{500, 1, outcomeRetryable},
		{502, 1, outcomeRetryable},
		{503, 1, outcomeRetryable},
		{504, 1, outcomeRetryable},
		{599, 1, outcomeRetryable},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %d events", tt.giveStatus, tt.giveN), func(t *testing.T) {
			srv.SetFaults(cwlogstest.Faults{Bare: 1, BareStatus: tt.giveStatus})
			events := make([]types.InputLogEvent, tt.giveN)
			for i := range events {
				events[i] = types.InputLogEvent{Message: aws.String("m"), Timestamp: aws.Int64(time.Now().UnixMilli())}
			}
			_, err := client.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
				LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: events}, callOptions)
			var re *smithyhttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != tt.giveStatus {
				t.Fatalf("PutLogEvents = %v, want an answer of status %d", err, tt.giveStatus)
			}
			if got := classify(err, tt.giveN); got != tt.want {
				t.Errorf("classify(%v, %d) = %d, want %d", err, tt.giveN, got, tt.want)
			}
		})
	}
}

// TestClassifySDKErrors classifies what the real SDK client returns: a
// refused connection is retried, missing credentials are not.
func TestClassifySDKErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now: connect is refused
	tests := []struct {
		name      string
		giveCreds aws.CredentialsProvider
		want      outcome
	}{
		{"connection refused", credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), outcomeRetryable},
		{"empty static credentials", credentials.NewStaticCredentialsProvider("", "", ""), outcomeFatal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := cloudwatchlogs.NewFromConfig(aws.Config{
				Region:           "us-east-1",
				Credentials:      tt.giveCreds,
				BaseEndpoint:     aws.String(closedURL),
				RetryMaxAttempts: 1,
			})
			_, err := client.CreateLogGroup(context.Background(), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")})
			if got := classify(err, 1); got != tt.want {
				t.Errorf("classify(%v) = %d, want %d", err, got, tt.want)
			}
		})
	}
}

func TestRejectedFrom(t *testing.T) {
	i := func(v int32) *int32 { return aws.Int32(v) }
	tests := []struct {
		name      string
		give      *types.RejectedLogEventsInfo
		giveN     int
		wantOld   int
		wantNew   int
		wantCount int
	}{
		{"none", nil, 10, 0, 10, 0},
		{"too old", &types.RejectedLogEventsInfo{TooOldLogEventEndIndex: i(3)}, 10, 3, 10, 3},
		{"expired beyond too old", &types.RejectedLogEventsInfo{TooOldLogEventEndIndex: i(2), ExpiredLogEventEndIndex: i(4)}, 10, 4, 10, 4},
		{"too new", &types.RejectedLogEventsInfo{TooNewLogEventStartIndex: i(7)}, 10, 0, 7, 3},
		{"both", &types.RejectedLogEventsInfo{TooOldLogEventEndIndex: i(1), TooNewLogEventStartIndex: i(9)}, 10, 1, 9, 2},
		{"out of range is clamped", &types.RejectedLogEventsInfo{TooOldLogEventEndIndex: i(50), TooNewLogEventStartIndex: i(-4)}, 10, 10, 10, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rejectedFrom(tt.give, tt.giveN)
			if r.old != tt.wantOld || r.newFrom != tt.wantNew || r.count(tt.giveN) != tt.wantCount {
				t.Errorf("got old=%d new=%d count=%d, want %d %d %d", r.old, r.newFrom, r.count(tt.giveN), tt.wantOld, tt.wantNew, tt.wantCount)
			}
		})
	}
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	for attempt := range 40 {
		d := backoff(attempt)
		hi := min(_backoffBase<<min(attempt, 16), _backoffCap)
		if d < hi/2 || d > hi {
			t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempt, d, hi/2, hi)
		}
	}
	if backoff(100) > _backoffCap {
		t.Errorf("backoff(100) over the cap")
	}
	seen := map[time.Duration]bool{}
	for range 50 {
		seen[backoff(5)] = true
	}
	if len(seen) < 10 {
		t.Errorf("backoff(5) took only %d distinct values in 50 draws: no jitter", len(seen))
	}
}
