package cwzaplambda

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestLoggerCarriesTheInvocation(t *testing.T) {
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	defer func(name, version string) { lambdacontext.FunctionName, lambdacontext.FunctionVersion = name, version }(lambdacontext.FunctionName, lambdacontext.FunctionVersion)
	lambdacontext.FunctionName, lambdacontext.FunctionVersion = "orders", "7"

	core, logs := observer.New(zap.InfoLevel)
	ws := newTestSyncer(t, newTestServer(t, 0))
	h := Wrap(ws, func(ctx context.Context, msg string) (string, error) {
		Logger(ctx).Info(msg)
		return "", nil
	}, WithLogger(zap.New(core)), WithErrorHandler(func(error) {}))

	for i, id := range []string{"r-1", "r-2"} {
		ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: id, TenantID: "t-" + id})
		ctx = withTraceHeader(ctx, "Root=1-abc-def;Parent=1234;Sampled=1")
		h(ctx, "hello")
		got := logs.TakeAll()
		if len(got) != 1 {
			t.Fatalf("invocation %d logged %d entries, want 1", i, len(got))
		}
		want := map[string]any{
			KeyRequestID: id, KeyColdStart: i == 0, KeyFunctionName: "orders",
			KeyFunctionVersion: "7", KeyTraceID: "1-abc-def", KeyTenantID: "t-" + id,
		}
		fields := got[0].ContextMap()
		for k, v := range want {
			if fields[k] != v {
				t.Errorf("invocation %d: %s = %v, want %v (all: %v)", i, k, fields[k], v, fields)
			}
		}
	}
}

func TestLoggerOutsideWrap(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	defer zap.ReplaceGlobals(zap.New(core))()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "r-9"})
	Logger(ctx).Info("x")
	Logger(context.Background()).Info("y")
	got := logs.AllUntimed()
	if len(got) != 2 {
		t.Fatalf("%d entries, want 2", len(got))
	}
	if f := got[0].ContextMap(); f[KeyRequestID] != "r-9" || f[KeyColdStart] != nil {
		t.Errorf("fields %v, want the request id and no cold_start", f)
	}
	if f := got[1].ContextMap(); f[KeyRequestID] != nil || f[KeyTenantID] != nil {
		t.Errorf("fields %v for a ctx without an invocation, want no request or tenant id", f)
	}
}

// While zap.L() is zap's default, which discards everything, Logger of a
// ctx that did not come through Wrap writes anyway.
func TestLoggerOutsideWrapWritesWhenZapLDiscards(t *testing.T) {
	defer zap.ReplaceGlobals(zap.NewNop())()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "r-1"})
	if !Logger(ctx).Core().Enabled(zap.InfoLevel) {
		t.Errorf("Logger outside Wrap discards INFO entries while zap.L() is a no-op")
	}
}

func TestStdoutLogger(t *testing.T) {
	for _, tt := range []struct {
		giveFormat, wantLevel string
	}{{"Text", `"level":"WARNING"`}, {"JSON", `"level":"WARN"`}} {
		t.Setenv("AWS_LAMBDA_LOG_FORMAT", tt.giveFormat)
		t.Setenv("AWS_LAMBDA_LOG_LEVEL", "WARN")
		var out bytes.Buffer
		l := newStdoutLogger(&out).With(zap.String(KeyRequestID, "r-1"))
		l.Info("dropped")
		l.Warn("kept")
		if got := out.String(); strings.Count(got, "\n") != 1 ||
			!strings.Contains(got, tt.wantLevel) || !strings.Contains(got, `"message":"kept","function_request_id":"r-1"`) {
			t.Errorf("format %s: wrote %q, want the one WARN entry as %s with its request id", tt.giveFormat, got, tt.wantLevel)
		}
	}
}

// withTraceHeader returns ctx carrying the X-Ray trace header as
// aws-lambda-go passes it to a handler: under the plain string key
// "x-amzn-trace-id" (lambda/invoke_loop.go), which traceID must read.
func withTraceHeader(ctx context.Context, h string) context.Context {
	//lint:ignore SA1029 the key is aws-lambda-go's, a plain string by its API; another type would not be found
	return context.WithValue(ctx, "x-amzn-trace-id", h)
}

func TestTraceID(t *testing.T) {
	tests := []struct {
		name    string
		giveCtx string
		giveEnv string
		want    string
	}{
		{"header in ctx", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", "", "1-5759e988-bd862e3fe1be46a994272793"},
		{"root not first", "Parent=53995c3f42cd8ad8; Root=1-a-b", "", "1-a-b"},
		{"env when ctx has none", "", "Root=1-env-x;Sampled=0", "1-env-x"},
		{"ctx wins over env", "Root=1-ctx", "Root=1-env", "1-ctx"},
		{"no root", "Parent=1;Sampled=1", "", ""},
		{"nothing", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("_X_AMZN_TRACE_ID", tt.giveEnv)
			ctx := context.Background()
			if tt.giveCtx != "" {
				ctx = withTraceHeader(ctx, tt.giveCtx)
			}
			if got := traceID(ctx); got != tt.want {
				t.Errorf("traceID = %q, want %q", got, tt.want)
			}
		})
	}
}

// The env fallback is off under Managed Instances, where the variable
// belongs to no single invocation.
func TestTraceIDIgnoresTheEnvUnderConcurrency(t *testing.T) {
	t.Setenv("_X_AMZN_TRACE_ID", "Root=1-env")
	t.Setenv("AWS_LAMBDA_MAX_CONCURRENCY", "4")
	if got := traceID(context.Background()); got != "" {
		t.Errorf("traceID = %q, want none", got)
	}
}
