package cwzaplambda

import (
	"context"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"go.uber.org/zap"
)

// Keys of the invocation fields, as Powertools for AWS Lambda names them.
const (
	KeyRequestID       = "function_request_id"
	KeyColdStart       = "cold_start"
	KeyFunctionName    = "function_name"
	KeyFunctionVersion = "function_version"
	KeyTraceID         = "xray_trace_id"
)

type loggerKey struct{}

// Logger returns the logger for the invocation ctx belongs to: the base
// logger (WithLogger, or one over the Syncer given to Wrap) with the
// fields function_request_id, cold_start, function_name, function_version
// and, when the invocation is traced, xray_trace_id. Handlers wrapped by
// Wrap call it with the ctx they receive, or one derived from it.
//
// For a ctx that did not come through Wrap it returns zap.L() with
// whatever of those fields ctx and the environment provide (no
// cold_start). It never returns nil.
func Logger(ctx context.Context) *zap.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*zap.Logger); ok {
		return l
	}
	lc, _ := lambdacontext.FromContext(ctx)
	return zap.L().With(invocationFields(ctx, lc, nil)...)
}

// invocationFields returns the fields of one invocation; cold is omitted
// when nil, and so are empty values.
func invocationFields(ctx context.Context, lc *lambdacontext.LambdaContext, cold *bool) []zap.Field {
	fields := make([]zap.Field, 0, 5)
	if lc != nil && lc.AwsRequestID != "" {
		fields = append(fields, zap.String(KeyRequestID, lc.AwsRequestID))
	}
	if cold != nil {
		fields = append(fields, zap.Bool(KeyColdStart, *cold))
	}
	if lambdacontext.FunctionName != "" {
		fields = append(fields, zap.String(KeyFunctionName, lambdacontext.FunctionName))
	}
	if lambdacontext.FunctionVersion != "" {
		fields = append(fields, zap.String(KeyFunctionVersion, lambdacontext.FunctionVersion))
	}
	if id := traceID(ctx); id != "" {
		fields = append(fields, zap.String(KeyTraceID, id))
	}
	return fields
}

// traceID returns the Root of the invocation's X-Ray trace header.
// aws-lambda-go puts the header in ctx under "x-amzn-trace-id", and, when
// the environment runs one invocation at a time, in _X_AMZN_TRACE_ID.
func traceID(ctx context.Context) string {
	h, _ := ctx.Value("x-amzn-trace-id").(string)
	if h == "" && maxConcurrency() == 1 {
		h = os.Getenv("_X_AMZN_TRACE_ID")
	}
	for part := range strings.SplitSeq(h, ";") {
		if root, ok := strings.CutPrefix(strings.TrimSpace(part), "Root="); ok {
			return root
		}
	}
	return ""
}
