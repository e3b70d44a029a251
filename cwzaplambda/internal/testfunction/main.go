// Command testfunction is the Lambda function the package's tests run
// under the Runtime Interface Emulator. CWZL_MODE picks how it delivers:
// "wrap" (cwzaplambda.Wrap), "late" (Wrap called from the first
// invocation, after the Init phase, when registering is refused), "sync"
// (defer logger.Sync() in the handler) or "none" (no logging at all).
// CWZL_MAX_CONCURRENCY, when set, becomes AWS_LAMBDA_MAX_CONCURRENCY
// before Wrap reads it (the emulator would otherwise switch to its Managed
// Instances mode, which only runs a bootstrap from /var/task). It writes to CWZL_GROUP / CWZL_STREAM
// through the default AWS configuration, so the environment points it at
// the test's endpoint.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwzaplambda"
	"go.uber.org/zap"
)

// Request says what one invocation does.
type Request struct {
	Tag     string `json:"tag"`     // carried by every entry, to count them
	Entries int    `json:"entries"` // entries logged before returning
	SleepMs int    `json:"sleepMs"` // sleep after logging, before returning
	LateMs  int    `json:"lateMs"`  // when > 0, one more entry this long after returning
}

func main() {
	var err error
	switch mode := os.Getenv("CWZL_MODE"); mode {
	case "none":
		lambda.Start(func(ctx context.Context, r Request) (string, error) {
			time.Sleep(time.Duration(r.SleepMs) * time.Millisecond)
			return "ok", nil
		})
	case "wrap", "sync", "late":
		err = run(mode)
	default:
		err = fmt.Errorf("CWZL_MODE is %q, want wrap, sync or none", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testfunction:", err)
		os.Exit(1)
	}
}

func run(mode string) error {
	ws, err := cwzaplambda.NewSyncer(os.Getenv("CWZL_GROUP"), os.Getenv("CWZL_STREAM"),
		cwzap.WithFlushInterval(time.Minute)) // only the flushes under test
	if err != nil {
		return err
	}
	if n := os.Getenv("CWZL_MAX_CONCURRENCY"); n != "" {
		os.Setenv("AWS_LAMBDA_MAX_CONCURRENCY", n)
	}
	handler := func(ctx context.Context, r Request) (string, error) {
		return handle(ctx, cwzaplambda.Logger(ctx), r), nil
	}
	switch mode {
	case "sync":
		logger := zap.New(cwzap.NewCore(ws, zap.InfoLevel))
		lambda.Start(func(ctx context.Context, r Request) (string, error) {
			defer logger.Sync()
			return handle(ctx, logger, r), nil
		})
	case "late":
		var once sync.Once
		var wrapped func(context.Context, Request) (string, error)
		lambda.Start(func(ctx context.Context, r Request) (string, error) {
			once.Do(func() { wrapped = cwzaplambda.Wrap(ws, handler) })
			return wrapped(ctx, r)
		})
	default:
		lambda.Start(cwzaplambda.Wrap(ws, handler))
	}
	return nil
}

func handle(ctx context.Context, log *zap.Logger, r Request) string {
	deadline, _ := ctx.Deadline()
	log = log.With(zap.String("tag", r.Tag), zap.Int64("deadline_ms", deadline.UnixMilli()))
	for i := range r.Entries {
		log.Info("entry", zap.Int("i", i))
	}
	time.Sleep(time.Duration(r.SleepMs) * time.Millisecond)
	if r.LateMs > 0 {
		go func() {
			time.Sleep(time.Duration(r.LateMs) * time.Millisecond)
			log.Info("late")
		}()
	}
	return "ok"
}
