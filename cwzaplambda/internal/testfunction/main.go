// Command testfunction is the Lambda function the package's tests run
// under the Runtime Interface Emulator. CWZL_MODE picks how it delivers:
// "wrap" (cwzaplambda.Wrap), "late" (Wrap called from the first
// invocation, after the Init phase, when registering is refused), "sync"
// (defer logger.Sync() in the handler) or "none" (no logging at all).
// Under "wrap", CWZL_SHAPE picks the handler's shape: "" (Wrap's typed
// form), or through WrapHandler "ctx-in-err" (func(ctx, Request) error),
// "ctx-err" (func(ctx) error, 3 entries tagged "ctx-err") or "nullary"
// (func(), 2 entries tagged "nullary" through a logger made in main).
// CWZL_BUFFER=1 gives Wrap a LogBuffer for DEBUG entries.
// CWZL_SIGNALS=1 adds a SIGTERM listener of its own that prints one line
// per signal it receives. CWZL_PID=1 prints the process id at start, for
// a test that signals the runtime itself. CWZL_SHUTDOWN_TIMEOUT, a
// duration, becomes Wrap's WithShutdownTimeout. An invocation with lateMs
// prints a line once it has logged its late entry.
// CWZL_MAX_CONCURRENCY, when set, becomes AWS_LAMBDA_MAX_CONCURRENCY
// before Wrap reads it (the emulator would otherwise switch to its Managed
// Instances mode, which only runs a bootstrap from /var/task). It writes to CWZL_GROUP / CWZL_STREAM
// through the default AWS configuration, so the environment points it at
// the test's endpoint.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwzaplambda"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Request says what one invocation does.
type Request struct {
	Tag     string `json:"tag"`     // carried by every entry, to count them
	Entries int    `json:"entries"` // entries logged before returning
	SleepMs int    `json:"sleepMs"` // sleep after logging, before returning
	LateMs  int    `json:"lateMs"`  // when > 0, one more entry this long after returning
	Fail    bool   `json:"fail"`    // return an error after sleeping
	Panic   bool   `json:"panic"`   // panic after sleeping
	Level   string `json:"level"`   // the entries' level: info (default), debug, warn, error
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
	if os.Getenv("CWZL_SIGNALS") == "1" {
		countSignals()
	}
	if os.Getenv("CWZL_PID") == "1" {
		fmt.Printf("testfunction: pid %d\n", os.Getpid())
	}
	handler := func(ctx context.Context, r Request) (string, error) {
		return handle(ctx, cwzaplambda.Logger(ctx), r)
	}
	switch mode {
	case "sync":
		logger := zap.New(cwzap.NewCore(ws, zap.InfoLevel))
		lambda.Start(func(ctx context.Context, r Request) (string, error) {
			defer logger.Sync()
			return handle(ctx, logger, r)
		})
	case "late":
		var once sync.Once
		var wrapped func(context.Context, Request) (string, error)
		lambda.Start(func(ctx context.Context, r Request) (string, error) {
			once.Do(func() { wrapped = cwzaplambda.Wrap(ws, handler) })
			return wrapped(ctx, r)
		})
	default:
		return start(ws, handler)
	}
	return nil
}

// start runs the handler of the shape CWZL_SHAPE names.
func start(ws *cwzap.Syncer, handler func(context.Context, Request) (string, error)) error {
	switch shape := os.Getenv("CWZL_SHAPE"); shape {
	case "":
		var opts []cwzaplambda.Option
		if os.Getenv("CWZL_BUFFER") == "1" {
			opts = append(opts, cwzaplambda.WithLogBuffer(cwzaplambda.NewLogBuffer(zapcore.DebugLevel, 0)))
		}
		if v := os.Getenv("CWZL_SHUTDOWN_TIMEOUT"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("CWZL_SHUTDOWN_TIMEOUT: %w", err)
			}
			opts = append(opts, cwzaplambda.WithShutdownTimeout(d))
		}
		lambda.Start(cwzaplambda.Wrap(ws, handler, opts...))
	case "ctx-in-err":
		lambda.Start(cwzaplambda.WrapHandler(ws, lambda.NewHandler(func(ctx context.Context, r Request) error {
			_, err := handler(ctx, r)
			return err
		})))
	case "ctx-err":
		lambda.Start(cwzaplambda.WrapHandler(ws, lambda.NewHandler(func(ctx context.Context) error {
			for i := range 3 {
				cwzaplambda.Logger(ctx).Info("entry", zap.String("tag", shape), zap.Int("i", i))
			}
			return nil
		})))
	case "nullary":
		logger := zap.New(cwzap.NewCore(ws, zap.InfoLevel))
		lambda.Start(cwzaplambda.WrapHandler(ws, lambda.NewHandler(func() {
			for i := range 2 {
				logger.Info("entry", zap.String("tag", shape), zap.Int("i", i))
			}
		})))
	default:
		return fmt.Errorf("CWZL_SHAPE is %q, want empty, ctx-in-err, ctx-err or nullary", shape)
	}
	return nil
}

// countSignals prints one line for every SIGTERM the process receives.
func countSignals() {
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGTERM)
	go func() {
		for range sig {
			fmt.Println("testfunction: SIGTERM received")
		}
	}()
}

func handle(ctx context.Context, log *zap.Logger, r Request) (string, error) {
	deadline, _ := ctx.Deadline()
	log = log.With(zap.String("tag", r.Tag), zap.Int64("deadline_ms", deadline.UnixMilli()))
	level, err := zapcore.ParseLevel(r.Level)
	if r.Level == "" || err != nil {
		level = zapcore.InfoLevel
	}
	for i := range r.Entries {
		log.Log(level, "entry", zap.Int("i", i))
	}
	time.Sleep(time.Duration(r.SleepMs) * time.Millisecond)
	if r.LateMs > 0 {
		go func() {
			time.Sleep(time.Duration(r.LateMs) * time.Millisecond)
			log.Info("late")
			fmt.Println("testfunction: late entry logged")
		}()
	}
	if r.Panic {
		panic("testfunction: panic requested")
	}
	if r.Fail {
		return "", errors.New("testfunction: failure requested")
	}
	return "ok", nil
}
