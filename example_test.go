package cwzap_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The functions named readme… hold the snippets of the README and docs/
// as written; TestREADMESnippetsAreExamples checks that every Go block of
// those is in this file (or in examples/slog), and the examples and tests
// below run them.

// withLocalAWS runs f with the default AWS configuration pointing at a
// cwlogstest server, as AWS_ENDPOINT_URL_CLOUDWATCH_LOGS and static
// credentials would point it at any endpoint, prints f's error if any, and
// returns the server.
func withLocalAWS(f func() error) *cwlogstest.Server {
	srv := cwlogstest.NewServer()
	env := map[string]string{
		"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": srv.URL,
		"AWS_REGION":                       "us-east-1",
		"AWS_ACCESS_KEY_ID":                "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY":            "secret",
		"AWS_SESSION_TOKEN":                "",
		"AWS_PROFILE":                      "",
		"AWS_CONFIG_FILE":                  "/nonexistent",
		"AWS_SHARED_CREDENTIALS_FILE":      "/nonexistent",
	}
	for k, v := range env {
		old, had := os.LookupEnv(k)
		os.Setenv(k, v)
		defer func() {
			if had {
				os.Setenv(k, old)
			} else {
				os.Unsetenv(k)
			}
		}()
	}
	if err := f(); err != nil {
		fmt.Println(err)
	}
	return srv
}

// printMessages prints the message of every event in group/stream.
func printMessages(srv *cwlogstest.Server, group, stream string) {
	for _, e := range srv.Events(group, stream) {
		var m struct {
			Level   string `json:"level"`
			Message any    `json:"message"`
		}
		if err := json.Unmarshal([]byte(e.Message), &m); err != nil {
			fmt.Println("not the layout:", e.Message)
			continue
		}
		fmt.Println(m.Level, m.Message)
	}
}

// readmeUse is the README's "Use".
func readmeUse() error {
	ws, err := cwzap.NewSyncer("my-group", "my-stream")
	if err != nil {
		return err
	}
	defer ws.Close()

	logger := zap.New(cwzap.NewCore(ws, zap.InfoLevel))
	defer logger.Sync() // the purge: returns once earlier entries are delivered

	logger.Info("started", zap.Int("port", 8080))
	return nil
}

// A Syncer under a Core: the default AWS configuration names the endpoint.
func Example() {
	srv := withLocalAWS(readmeUse)
	defer srv.Close()
	printMessages(srv, "my-group", "my-stream")
	// Output:
	// INFO started
}

// readmeTee is the README's tee.
func readmeTee(ws *cwzap.Syncer) *zap.Logger {
	// os.Stdout's Sync fails on terminals and pipes; a console needs none.
	stdout := zapcore.Lock(zapcore.AddSync(struct{ io.Writer }{os.Stdout}))
	console := zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()),
		stdout, zap.DebugLevel)
	logger := zap.New(zapcore.NewTee(cwzap.NewCore(ws, zap.InfoLevel), console), zap.AddCaller())
	return logger
}

// _fixedTime makes the layout examples' output repeatable.
var _fixedTime = time.Date(2024, 3, 5, 4, 7, 8, 9_000_000, time.UTC)

type fixedTime struct{}

func (fixedTime) Now() time.Time                         { return _fixedTime }
func (fixedTime) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }

// The JSON layout: errors go to "exception", a message that is a JSON
// object is embedded, and a field named like a layout key gets a "_"
// prefix.
func ExampleNewCore() {
	logger := zap.New(cwzap.NewCore(zapcore.AddSync(os.Stdout), zap.InfoLevel), zap.WithClock(fixedTime{}))

	// The README's layout.
	logger.Named("billing").With(zap.String("request", "r-1")).
		Error(`{"order": 7, "state": "failed"}`, zap.Error(errors.New("timeout")), zap.String("level", "gold"))
	// Output:
	// {"timestamp":"2024-03-05 04:07:08,009","level":"ERROR","location":"billing","message":{"order":7,"state":"failed"},"exception":"timeout","request":"r-1","_level":"gold"}
}

// A text format: #mini shows the level from WARNING up.
func ExampleWithFormat() {
	ws := zapcore.AddSync(os.Stdout) // a *Syncer in real use

	// The README's text formats.
	core := cwzap.NewCore(ws, zap.InfoLevel,
		cwzap.WithFormat(cwzap.FormatMini), cwzap.WithFunction("CoolLambdaFunc"))

	logger := zap.New(core)
	logger.Info("fetched", zap.Int("items", 3))
	logger.Warn("slow")
	// Output:
	// CoolLambdaFunc: fetched {"items":3}
	// WARNING: CoolLambdaFunc: slow
}

// A template prefix with the calling function.
func ExampleFormat() {
	core := cwzap.NewCore(zapcore.AddSync(os.Stdout), zap.InfoLevel,
		cwzap.WithFormat("[{level}] {func}/{caller}: "), cwzap.WithFunction("orders"))
	ent := zapcore.Entry{Level: zap.ErrorLevel, Message: "no stock",
		Caller: zapcore.EntryCaller{Defined: true, Function: "example.com/orders.(*Shop).Buy", Line: 12}}
	if ce := core.Check(ent, nil); ce != nil {
		ce.Write()
	}
	// Output:
	// [ERROR] orders/(*Shop).Buy: no stock
}

// run stands for a program's work: it returns when ctx is cancelled.
func run(ctx context.Context, logger *zap.Logger) {
	logger.Info("working")
}

// readmeMain is the README's main, which loses nothing at exit.
func readmeMain() {
	ws, err := cwzap.NewSyncer("my-group", "my-stream")
	if err != nil {
		log.Fatal(err)
	}
	defer ws.Close() // after logger.Sync: bounded by WithSyncTimeout
	logger := zap.New(cwzap.NewCore(ws, zap.InfoLevel))
	defer logger.Sync()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	run(ctx, logger) // returns when SIGTERM arrives, so the defers run
}

// The end of work: deferred Sync and Close deliver what main logged.
func ExampleSyncer_Close() {
	srv := withLocalAWS(func() error { readmeMain(); return nil })
	defer srv.Close()
	printMessages(srv, "my-group", "my-stream")
	// Output:
	// INFO working
}

// readmeNew is the README's presets.
func readmeNew() error {
	logger, err := cwzap.New(map[string]any{"logging": map[string]any{
		"class": "cloud-watch", "level": "warning",
		"cloud-watch": map[string]any{"group": "/app/orders", "stream": "orders-2024-05-01", "function": "intake"},
	}})
	if err != nil {
		return err
	}
	defer logger.Sync() // the purge

	logger.Info("below the threshold")
	logger.Warn("stock low", zap.String("sku", "X-9"))
	return nil
}

// A logger from a spec, as a configuration file would hold it.
func ExampleNew() {
	srv := withLocalAWS(readmeNew)
	defer srv.Close()
	printMessages(srv, "/app/orders", "orders-2024-05-01")
	// Output:
	// WARNING stock low
}

// readmeParseSpec is the README's typed path.
func readmeParseSpec(configJSON []byte) error {
	spec, err := cwzap.ParseSpec(configJSON) // e.g. a whole configuration file
	if err != nil {
		return err
	}
	logger, err := spec.Build(cwzap.WithSyncTimeout(5 * time.Second))
	if err != nil {
		return err
	}
	defer logger.Sync()

	logger.Warn("from a parsed spec")
	fmt.Println(cwzap.ClassCode(logger), cwzap.SyncerOf(logger).Stats().Written)
	return nil
}

// ParseSpec reads JSON text; Build makes the logger.
func ExampleParseSpec() {
	config := []byte(`{"app": "orders", "logging": {"class": "cloud-watch", "level": "warning",
		"cloud-watch": {"group": "/app/orders", "stream": "s"}}}`)
	srv := withLocalAWS(func() error { return readmeParseSpec(config) })
	defer srv.Close()
	printMessages(srv, "/app/orders", "s")

	_, err := cwzap.ParseSpec([]byte(`{"logging": {"level": "verbose"}}`))
	fmt.Println(err)
	// Output:
	// cloud-watch 1
	// WARNING from a parsed spec
	// cwzap: spec: logging.level: unknown level "verbose"
}

// readmeZapConfig is the README's zap.Config.
func readmeZapConfig() error {
	cfg := zap.NewProductionConfig()
	cfg.Encoding = "cwzap" // the cwzap layout; cfg.EncoderConfig is ignored
	cfg.OutputPaths = []string{"cloudwatch:///app/orders/web-1?flush=2s"}
	logger, err := cfg.Build()
	if err != nil {
		return err
	}
	defer logger.Sync()

	logger.Info("from zap.Config")
	return nil
}

// The cloudwatch:// sink and the cwzap encoding in a zap.Config.
func Example_zapConfig() {
	srv := withLocalAWS(readmeZapConfig)
	defer srv.Close()
	printMessages(srv, "/app/orders", "web-1")
	// Output:
	// INFO from zap.Config
}

// An entry with Metric fields is an Embedded Metric Format document:
// CloudWatch extracts its metrics, here checked on cwlogstest.
func ExampleMetric() {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	ws, err := cwzap.NewSyncer("/app/shop", "web-1", cwzap.WithClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	defer ws.Close()

	logger := zap.New(cwzap.NewCore(ws, zap.InfoLevel,
		cwzap.WithMetricNamespace("shop"), cwzap.WithMetricDimensions("route")))
	logger.Info("paid", zap.String("route", "/pay"),
		cwzap.Metric("latency", 12.5, cwzap.UnitMilliseconds),
		cwzap.Metric("orders", 1, cwzap.UnitCount))
	logger.Sync()

	for _, m := range srv.Metrics("shop") {
		fmt.Println(m.Name, m.Values, m.Unit, m.Dimensions)
	}
	// Output:
	// latency [12.5] Milliseconds map[route:/pay]
	// orders [1] Count map[route:/pay]
}

// A high-resolution metric is stored at one second: its definition says
// "StorageResolution": 1, and cwlogstest extracts it so.
func ExampleMetricHighResolution() {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	ws, err := cwzap.NewSyncer("/app/jobs", "worker-1", cwzap.WithClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	defer ws.Close()
	logger := zap.New(cwzap.NewCore(ws, zap.InfoLevel, cwzap.WithMetricNamespace("jobs")))

	logger.Info("tick",
		cwzap.MetricHighResolution("queue_depth", 42, cwzap.UnitCount),
		cwzap.Metric("batches", 1, cwzap.UnitCount))
	logger.Sync()

	for _, m := range srv.Metrics("jobs") {
		fmt.Println(m.Name, m.Values, m.Unit, m.StorageResolution)
	}
	// Output:
	// queue_depth [42] Count 1
	// batches [1] Count 60
}

// spanKey is where this example's own tracer keeps the ids of the current
// span; cwzapotel reads an OpenTelemetry span's.
type spanKey struct{}

// An entry carrying a context gets the ids the hook reads from it.
func ExampleWithTraceContext() {
	hook := func(ctx context.Context) (traceID, spanID string) {
		ids, _ := ctx.Value(spanKey{}).([2]string)
		return ids[0], ids[1]
	}
	var out bytes.Buffer
	logger := zap.New(cwzap.NewCore(zapcore.AddSync(&out), zap.InfoLevel, cwzap.WithTraceContext(hook)))

	ctx := context.WithValue(context.Background(), spanKey{}, [2]string{"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"})
	logger.Info("paid", zap.Any("ctx", ctx), zap.Int("items", 3))
	logger.With(zap.Any("ctx", ctx)).Info("shipped")
	logger.Info("no context", zap.Int("items", 0))

	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		_, fields, _ := strings.Cut(line, `"message":`)
		fmt.Println(fields)
	}
	// Output:
	// "paid","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","items":3}
	// "shipped","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}
	// "no context","items":0}
}

// readmeRouting is the README's routing.
func readmeRouting() error {
	ws, err := cwzap.NewSyncer("/app/orders", "{field:tenant}/{date}")
	if err != nil {
		return err
	}
	defer ws.Close()
	logger := zap.New(cwzap.NewCore(ws, zap.InfoLevel))

	logger.Info("paid", zap.String("tenant", "acme"))      // to acme/2026-05-01
	logger.With(zap.String("tenant", "beta")).Info("paid") // to beta/2026-05-01
	logger.Info("started")                                 // to -/2026-05-01
	return nil
}

// Routing: each entry goes to the stream its own values name; an entry
// without a value gets "-" for a field and "root" for the logger's name,
// and a value is made a valid name.
func ExampleNewSyncer_routing() {
	srv := withLocalAWS(readmeRouting)
	defer srv.Close()

	ws, err := cwzap.NewSyncer("app", "{logger}", cwzap.WithClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	logger := zap.New(cwzap.NewCore(ws, zap.InfoLevel))
	logger.Named("billing").Info("invoice")
	logger.Named("jobs:nightly").Info("ran") // ':' is not allowed in a stream name
	logger.Info("started")
	ws.Write([]byte("a line written to the Syncer"))
	ws.Close()

	events := srv.AllEvents()
	slices.SortStableFunc(events, func(a, b cwlogstest.Event) int {
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Stream, b.Stream))
	})
	day := regexp.MustCompile(`\d{4}-\d{2}-\d{2}$`)
	for _, e := range events {
		var m struct{ Message string }
		if json.Unmarshal([]byte(e.Message), &m) != nil {
			m.Message = e.Message
		}
		fmt.Println(e.Group, day.ReplaceAllString(e.Stream, "DAY"), m.Message)
	}
	// Output:
	// /app/orders -/DAY started
	// /app/orders acme/DAY paid
	// /app/orders beta/DAY paid
	// app billing invoice
	// app jobs_nightly ran
	// app root started
	// app root a line written to the Syncer
}
