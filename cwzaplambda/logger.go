package cwzaplambda

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/cwzap/cwzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Keys of the invocation fields, as Powertools for AWS Lambda names them.
const (
	KeyRequestID       = "function_request_id"
	KeyColdStart       = "cold_start"
	KeyFunctionName    = "function_name"
	KeyFunctionVersion = "function_version"
	KeyTraceID         = "xray_trace_id"
	KeyTenantID        = "tenant_id"
)

type loggerKey struct{}

// Logger returns the logger for the invocation ctx belongs to: the base
// logger (WithLogger, or one over the Syncer given to Wrap) with the
// fields function_request_id, cold_start, function_name, function_version
// and, when the invocation has them, xray_trace_id and tenant_id.
// Handlers wrapped by Wrap or WrapHandler call it with the ctx they
// receive, or one derived from it.
//
// For a ctx that did not come through Wrap or WrapHandler it returns
// zap.L() with whatever of those fields ctx and the environment provide
// (no cold_start). While zap.L() is zap's default, which discards
// everything, it uses instead a logger that writes cwzap's JSON layout to
// standard output (the function's own log group) at AWS_LAMBDA_LOG_LEVEL,
// and says so once on standard error. It never returns nil.
func Logger(ctx context.Context) *zap.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*zap.Logger); ok {
		return l
	}
	lc, _ := lambdacontext.FromContext(ctx)
	return unwrappedLogger().With(invocationFields(ctx, lc, nil)...)
}

// _stdoutLogger is Logger's logger outside Wrap while zap.L() discards.
var _stdoutLogger struct {
	once sync.Once
	l    *zap.Logger
}

// unwrappedLogger returns zap.L(), or, while that discards everything,
// the standard output logger.
func unwrappedLogger() *zap.Logger {
	if l := zap.L(); l.Core().Enabled(zapcore.FatalLevel) {
		return l
	}
	_stdoutLogger.once.Do(func() {
		fmt.Fprintln(os.Stderr, "cwzap: cwzaplambda.Logger got a ctx that did not come through Wrap or WrapHandler, and zap.L() discards everything: its entries go to standard output")
		_stdoutLogger.l = newStdoutLogger(os.Stdout)
	})
	return _stdoutLogger.l
}

// newStdoutLogger returns a logger writing cwzap's JSON layout to w at
// AWS_LAMBDA_LOG_LEVEL, in Lambda's level names and time under the JSON
// log format.
func newStdoutLogger(w io.Writer) *zap.Logger {
	if lambdaJSONFormat() {
		w = &lambdaLines{w: w}
	}
	// Not w itself: zap syncs it, and os.Stdout's Sync fails on a pipe
	// (zap issue #370).
	return zap.New(cwzap.NewCore(zapcore.AddSync(struct{ io.Writer }{w}), lambdaLogLevel()), zap.AddCaller())
}

// invocationFields returns the fields of one invocation; cold is omitted
// when nil, and so are empty values.
func invocationFields(ctx context.Context, lc *lambdacontext.LambdaContext, cold *bool) []zap.Field {
	fields := make([]zap.Field, 0, 6)
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
	if lc != nil && lc.TenantID != "" {
		fields = append(fields, zap.String(KeyTenantID, lc.TenantID))
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
