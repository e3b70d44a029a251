package cwzaplambda

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/cwzap/cwzap"
	"go.uber.org/zap"
)

// _registerTimeout bounds the registration call Wrap makes; it runs during
// the Init phase, before the runtime's first next.
const _registerTimeout = 2 * time.Second

// _extensionName is the name Wrap registers its extension under.
const _extensionName = "cwzaplambda"

// Wrap returns handler wrapped so that the entries written to ws during an
// invocation are delivered without holding its response:
//
//	lambda.Start(cwzaplambda.Wrap(ws, handler))
//
// Call Wrap once per process, in main, before lambda.Start: it registers
// the internal extension, which Lambda accepts only before the runtime
// first asks for an event. The extension syncs ws after each handler
// returns and before the environment is frozen (once puts are throttled,
// possibly after a later invocation, within WithMaxDeferral), flushes a
// handler that is still running WithMargin before its deadline, and closes
// ws on SIGTERM within WithShutdownTimeout. A handler that panics syncs ws
// before the panic goes on, bounded by its deadline. Outside Lambda, or when the extension cannot
// be registered, each invocation syncs ws before it returns instead,
// bounded by the invocation's deadline, and Wrap reports that once to the
// error handler. See the package documentation for Managed Instances.
//
// The extension's goroutine and its SIGTERM handler live as long as the
// process, as the extension does for Lambda: SIGTERM ends both.
//
// The handler's ctx carries a logger for Logger(ctx). The returned
// function is safe for concurrent use. ws stays owned by the caller, but
// after SIGTERM Wrap has closed it.
func Wrap[TIn, TOut any](ws *cwzap.Syncer, handler func(context.Context, TIn) (TOut, error), opts ...Option) func(context.Context, TIn) (TOut, error) {
	return wrap(newFlusher(ws, buildOptions(opts)), handler)
}

func wrap[TIn, TOut any](f *flusher, handler func(context.Context, TIn) (TOut, error)) func(context.Context, TIn) (TOut, error) {
	return func(ctx context.Context, in TIn) (out TOut, err error) {
		f.invoke(ctx, func(ctx context.Context) error {
			out, err = handler(ctx, in)
			return err
		})
		return out, err
	}
}

// WrapHandler is Wrap for a handler of any shape that aws-lambda-go
// accepts, through its lambda.Handler:
//
//	lambda.Start(cwzaplambda.WrapHandler(ws, lambda.NewHandler(handler)))
//
// where handler is func(), func(context.Context) error,
// func(context.Context, TIn) error, func(TIn) (TOut, error), and so on
// (lambda.Start lists them). The same rules as Wrap's apply: call it once
// per process, in main, before lambda.Start. Since the payload is decoded
// inside h, the wrapped handler sees every invocation, also one whose
// payload does not decode. The response is the bytes h returns; as with
// any lambda.Handler, aws-lambda-go posts them as application/octet-stream.
// A nil h makes every invocation fail with an error that says so.
func WrapHandler(ws *cwzap.Syncer, h lambda.Handler, opts ...Option) lambda.Handler {
	if h == nil {
		h = nilHandler{}
	}
	return &wrappedHandler{f: newFlusher(ws, buildOptions(opts)), h: h}
}

// wrappedHandler is the lambda.Handler WrapHandler returns.
type wrappedHandler struct {
	f *flusher
	h lambda.Handler
}

// Invoke runs h for one invocation, as Wrap's handler does.
func (w *wrappedHandler) Invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	w.f.invoke(ctx, func(ctx context.Context) error {
		out, err = w.h.Invoke(ctx, payload)
		return err
	})
	return out, err
}

// errNilHandler is what every invocation of WrapHandler(ws, nil) returns.
var errNilHandler = errors.New("cwzap: cwzaplambda.WrapHandler was given a nil lambda.Handler; pass lambda.NewHandler(yourFunction)")

type nilHandler struct{}

func (nilHandler) Invoke(context.Context, []byte) ([]byte, error) { return nil, errNilHandler }

// NewSyncer returns cwzap.NewSyncer(group, stream, opts...) with standard
// output as its fallback writer: in Lambda, standard output goes to the
// function's own log group, so an event that cannot reach its stream still
// lands in CloudWatch. Under Lambda's JSON log format
// (AWS_LAMBDA_LOG_FORMAT=JSON) each fallback line carries Lambda's level
// names (WARN for WARNING, FATAL for CRITICAL) and an RFC 3339 timestamp,
// so that Lambda's level filter (AWS_LAMBDA_LOG_LEVEL) keeps it; the
// stream's own layout is unchanged. A cwzap.WithFallback among opts
// overrides it.
//
// In Lambda (AWS_LAMBDA_FUNCTION_NAME set) the events carry the function as
// their entity, the service it runs as in Application Signals' terms:
// key attributes Type "Service", Name the function's name, Environment
// "lambda:default". A cwzap.WithEntity among opts overrides it.
func NewSyncer(group, stream string, opts ...cwzap.SyncerOption) (*cwzap.Syncer, error) {
	return newSyncer(group, stream, os.Stdout, opts...)
}

// newSyncer is NewSyncer with stdout as the standard output.
func newSyncer(group, stream string, stdout io.Writer, opts ...cwzap.SyncerOption) (*cwzap.Syncer, error) {
	if lambdaJSONFormat() {
		stdout = &lambdaLines{w: stdout}
	}
	first := []cwzap.SyncerOption{cwzap.WithFallback(stdout)}
	if name := os.Getenv("AWS_LAMBDA_FUNCTION_NAME"); name != "" {
		first = append(first, cwzap.WithEntity(functionEntity(name), nil))
	}
	return cwzap.NewSyncer(group, stream, append(first, opts...)...)
}

// functionEntity returns the key attributes of a Lambda function as an
// entity.
func functionEntity(name string) map[string]string {
	return map[string]string{"Type": "Service", "Name": name, "Environment": "lambda:default"}
}

// defaultLogger is the logger Logger(ctx) extends when WithLogger is not
// given: the JSON layout over ws, at AWS_LAMBDA_LOG_LEVEL (Info when
// unset).
func defaultLogger(ws *cwzap.Syncer) *zap.Logger {
	return zap.New(cwzap.NewCore(ws, lambdaLogLevel()), zap.AddCaller())
}

// maxConcurrency is AWS_LAMBDA_MAX_CONCURRENCY, 1 when unset or invalid.
func maxConcurrency() int {
	n, err := strconv.Atoi(os.Getenv("AWS_LAMBDA_MAX_CONCURRENCY"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}
