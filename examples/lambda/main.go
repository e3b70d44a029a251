// Command lambda is one binary for two AWS Lambda functions, order-intake
// and order-billing, that cooperate on one job and write into ONE
// application-wide log stream, "/app/orders" / "orders-YYYY-MM-DD", instead
// of one stream per function: the use case cwzap grew out of.
//
// Deploy the same binary (GOOS=linux GOARCH=arm64 go build -o bootstrap) as
// both functions; main picks the handler by AWS_LAMBDA_FUNCTION_NAME. The
// functions' role needs logs:CreateLogGroup, logs:CreateLogStream and
// logs:PutLogEvents on the group.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/cwzap/cwzap"
	"go.uber.org/zap"
)

// Order is the event both functions receive.
type Order struct {
	ID     string  `json:"id"`
	Amount float64 `json:"amount"`
}

// newLogger builds the function's logger. main calls it once per cold
// start, so every invocation of a warm instance reuses the same Syncer and
// its HTTP connections.
func newLogger(function string) *zap.Logger {
	logger, err := cwzap.New(map[string]any{"logging": map[string]any{
		"class": "cloud-watch",
		"level": "info",
		"cloud-watch": map[string]any{
			"group": "/app/orders",
			// Fixed at cold start: a warm instance that lives past
			// midnight keeps the previous day's stream.
			"stream":   "orders-" + time.Now().UTC().Format("2006-01-02"),
			"function": function, // the {func} of text formats
		},
	}})
	if err != nil {
		// Fall back to the runtime's own log stream rather than fail the
		// cold start: Lambda ships stdout to CloudWatch too.
		fmt.Fprintln(os.Stderr, "cwzap:", err)
		logger, _ = cwzap.New("#print")
	}
	return logger.With(zap.String("function", function))
}

var (
	intakeLog  *zap.Logger
	billingLog *zap.Logger
)

// intake validates an order. Every invocation ends with Sync: once the
// handler returns, Lambda freezes the process, so anything still buffered
// would wait until the next invocation thaws it, or be lost if the
// instance is retired first.
func intake(ctx context.Context, o Order) (string, error) {
	defer intakeLog.Sync() // the purge: delivered before the response is sent
	log := intakeLog.With(zap.String("order", o.ID), requestID(ctx))
	log.Info("order received", zap.Float64("amount", o.Amount))
	if o.ID == "" || o.Amount <= 0 {
		log.Warn("order rejected")
		return "rejected", nil
	}
	log.Info("order accepted")
	return "accepted", nil
}

// billing charges an accepted order; it logs into the same stream as
// intake, so one stream tells the whole story of an order.
func billing(ctx context.Context, o Order) (string, error) {
	defer billingLog.Sync()
	log := billingLog.With(zap.String("order", o.ID), requestID(ctx))
	log.Info("charging", zap.Float64("amount", o.Amount))
	if o.Amount > 10_000 {
		err := fmt.Errorf("amount %.2f over the limit", o.Amount)
		log.Error("charge refused", zap.Error(err)) // ERROR: the layout's exception key
		return "", err
	}
	log.Info("charged")
	return "charged", nil
}

// requestID tags entries with the invocation's request ID.
func requestID(ctx context.Context) zap.Field {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return zap.String("request", lc.AwsRequestID)
	}
	return zap.Skip()
}

func main() {
	name := os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	switch {
	case strings.HasSuffix(name, "order-intake"):
		intakeLog = newLogger(name)
		lambda.Start(intake)
	case strings.HasSuffix(name, "order-billing"):
		billingLog = newLogger(name)
		lambda.Start(billing)
	default:
		fmt.Fprintf(os.Stderr, "lambda: unknown function %q (want a name ending in order-intake or order-billing)\n", name)
		os.Exit(1)
	}
}
