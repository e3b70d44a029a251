package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/aws/smithy-go"
)

// errReported is returned by a command that has printed why it failed
// itself: main exits 1 without printing it again.
var errReported = errors.New("cwzap: failed (reported above)")

// readError turns the error of a call that reads group/stream into one
// line a person can act on: the common answers become a sentence, the
// rest the operation, the service's code and its message.
func readError(err error, group, stream string, timeout time.Duration) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("no answer from CloudWatch Logs within -timeout (%v)", timeout)
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		return errors.New(compactSDK(err.Error()))
	}
	op := ""
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		op = oe.OperationName
	}
	msg := api.ErrorMessage()
	switch api.ErrorCode() {
	case "ResourceNotFoundException":
		switch {
		case strings.Contains(msg, "log group"):
			return fmt.Errorf("log group %s does not exist", group)
		case strings.Contains(msg, "log stream"):
			return fmt.Errorf("log stream %s/%s does not exist", group, stream)
		}
	case "AccessDeniedException":
		return fmt.Errorf("not allowed to read %s/%s: the credentials need logs:%s on the log group (%s)", group, stream, op, msg)
	case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException",
		"IncompleteSignature", "ExpiredTokenException", "MissingAuthenticationToken":
		return fmt.Errorf("CloudWatch Logs refused the credentials: %s: %s (check AWS_PROFILE or AWS_ACCESS_KEY_ID, and the clock)", api.ErrorCode(), msg)
	case "ThrottlingException":
		return fmt.Errorf("CloudWatch Logs throttled %s: try again, or a longer -interval with -f", op)
	}
	if op != "" {
		return fmt.Errorf("%s: %s: %s", op, api.ErrorCode(), msg)
	}
	return fmt.Errorf("%s: %s", api.ErrorCode(), msg)
}

// The SDK's error text: "operation error SERVICE: OP, https response error
// StatusCode: N, RequestID: ID, CODE: MESSAGE" ("https" even for http).
var (
	_operationPrefix = regexp.MustCompile(`operation error [A-Za-z0-9 ]+: (\w+), `)
	_responseError   = regexp.MustCompile(`https? response error StatusCode: \d+, RequestID: [^,]*, `)
)

// compactSDK shortens the SDK's error text inside msg to "OP: CODE:
// MESSAGE".
func compactSDK(msg string) string {
	msg = _operationPrefix.ReplaceAllString(msg, "$1: ")
	return _responseError.ReplaceAllString(msg, "")
}
