// Command lambda is one binary for two AWS Lambda functions, order-intake
// and order-billing, that cooperate on one job and write into ONE
// application-wide log stream, "/app/orders" / "orders-YYYY-MM-DD", instead
// of one stream per function: the use case cwzap grew out of. The stream
// is named "orders-{date}": each entry goes to the stream of its own UTC
// day, so a warm instance that lives past midnight rolls over.
//
// Deploy the same binary (GOOS=linux GOARCH=arm64 go build -o bootstrap) as
// both functions; main picks the handler by AWS_LAMBDA_FUNCTION_NAME. The
// functions' role needs logs:CreateLogGroup, logs:CreateLogStream and
// logs:PutLogEvents on the group.
//
// cwzaplambda.Wrap delivers each invocation's entries after its response
// has gone out and before Lambda freezes the environment, so the caller
// never waits for CloudWatch (cwzaplambda.WrapHandler does the same for a
// handler of any other shape).
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwzaplambda"
	"go.uber.org/zap"
)

// Order is the event both functions receive.
type Order struct {
	ID     string  `json:"id"`
	Amount float64 `json:"amount"`
}

type handler = func(context.Context, Order) (string, error)

// newHandler wraps h for the function called function. main calls it once
// per cold start, so every invocation of a warm instance reuses the same
// Syncer and its HTTP connections. opts go to the logger (tests pass
// zap.WithClock).
func newHandler(function string, h handler, opts ...zap.Option) handler {
	ws, err := cwzaplambda.NewSyncer("/app/orders", "orders-{date}")
	if err != nil {
		// Fall back to the runtime's own log stream rather than fail the
		// cold start: Lambda ships stdout to CloudWatch too.
		fmt.Fprintln(os.Stderr, "cwzap:", err)
		zap.ReplaceGlobals(zap.NewExample().With(zap.String("function", function)))
		return h
	}
	base := zap.New(cwzap.NewCore(ws, zap.InfoLevel), append([]zap.Option{zap.AddCaller()}, opts...)...).
		With(zap.String("function", function))
	return cwzaplambda.Wrap(ws, h, cwzaplambda.WithLogger(base))
}

// intake validates an order. Its entries carry the invocation's request
// id, cold start, function name and version (cwzaplambda.Logger).
func intake(ctx context.Context, o Order) (string, error) {
	log := cwzaplambda.Logger(ctx).With(zap.String("order", o.ID))
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
	log := cwzaplambda.Logger(ctx).With(zap.String("order", o.ID))
	log.Info("charging", zap.Float64("amount", o.Amount))
	if o.Amount > 10_000 {
		err := fmt.Errorf("amount %.2f over the limit", o.Amount)
		log.Error("charge refused", zap.Error(err)) // ERROR: the layout's exception key
		return "", err
	}
	log.Info("charged")
	return "charged", nil
}

func main() {
	name := os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	switch {
	case strings.HasSuffix(name, "order-intake"):
		lambda.Start(newHandler(name, intake))
	case strings.HasSuffix(name, "order-billing"):
		lambda.Start(newHandler(name, billing))
	default:
		fmt.Fprintf(os.Stderr, "lambda: unknown function %q (want a name ending in order-intake or order-billing)\n", name)
		os.Exit(1)
	}
}
