// Command quickstart logs a few hundred entries through a tee (warnings to
// the console, everything to CloudWatch Logs), syncs, reads the stream back
// and prints what arrived.
//
// With no AWS configuration in the environment it starts cwlogstest, an
// in-process CloudWatch Logs endpoint, so it runs anywhere:
//
//	go run ./examples/quickstart
//
// With AWS configuration (AWS_REGION plus credentials or a profile, or
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS) it writes to that endpoint instead:
//
//	AWS_REGION=eu-west-1 AWS_PROFILE=dev go run ./examples/quickstart -group /cwzap/quickstart
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
	"github.com/cwzap/cwzap/examples/internal/awsenv"
)

func main() {
	group := flag.String("group", "/cwzap/quickstart", "log group")
	stream := flag.String("stream", "quickstart-"+time.Now().UTC().Format("2006-01-02"), "log stream")
	entries := flag.Int("n", 300, "how many entries to log")
	embedded := flag.Bool("embedded", false, "use the embedded endpoint even when AWS is configured")
	flag.Parse()
	if err := run(os.Stdout, *group, *stream, *entries, *embedded || !awsenv.Configured()); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(out io.Writer, group, stream string, n int, embedded bool) error {
	ctx := context.Background()
	var client *cloudwatchlogs.Client
	if embedded {
		srv := cwlogstest.NewServer()
		defer srv.Close()
		client = srv.Client()
		fmt.Fprintf(out, "No AWS configuration found: using the embedded endpoint at %s\n", srv.URL)
	} else {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return err
		}
		client = cloudwatchlogs.NewFromConfig(cfg)
		fmt.Fprintf(out, "Writing to CloudWatch Logs in %s\n", cfg.Region)
	}

	ws, err := cwzap.NewSyncer(group, stream, cwzap.WithClient(client), cwzap.WithRetention(7))
	if err != nil {
		return err
	}
	defer ws.Close()

	// A terminal's or pipe's Sync fails (EINVAL), and a console
	// needs none: hide it, so that logger.Sync reports only CloudWatch.
	stdout := zapcore.Lock(zapcore.AddSync(struct{ io.Writer }{out}))
	console := zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()), stdout, zap.WarnLevel)
	logger := zap.New(zapcore.NewTee(console, cwzap.NewCore(ws, zap.DebugLevel)), zap.AddCaller()).Named("quickstart")

	start := time.Now()
	orders := logger.With(zap.String("service", "orders"))
	for i := range n {
		switch {
		case i%100 == 99:
			orders.Warn("slow order", zap.Int("order", i), zap.Duration("took", 1500*time.Millisecond))
		case i%150 == 149:
			orders.Error("order failed", zap.Int("order", i), zap.Error(errors.New("card declined")))
		default:
			orders.Info("order placed", zap.Int("order", i), zap.Float64("amount", float64(i)*1.25))
		}
	}
	logger.Info(`{"event":"batch-done","orders":` + fmt.Sprint(n) + `}`) // a JSON message is embedded as JSON
	if err := logger.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	elapsed := time.Since(start)

	events, err := readStream(ctx, client, group, stream)
	if err != nil {
		return err
	}
	st := ws.Stats()
	fmt.Fprintf(out, "\n%d events in %s/%s (%d logged in %v, including the sync).\n", len(events), group, stream, n+1, elapsed.Round(time.Millisecond))
	for _, i := range []int{0, len(events) - 1} {
		if i >= 0 && i < len(events) {
			fmt.Fprintln(out, "  ", aws.ToString(events[i].Message))
		}
	}
	fmt.Fprintf(out, "Stats: written %d, delivered %d, fallback %d, dropped %d, batches %d, retries %d\n",
		st.Written, st.Delivered, st.Fallback, st.Dropped, st.Batches, st.Retries)
	return nil
}

// readStream reads every event of the stream, oldest first.
func readStream(ctx context.Context, client *cloudwatchlogs.Client, group, stream string) ([]types.OutputLogEvent, error) {
	var out []types.OutputLogEvent
	var token *string
	for {
		page, err := client.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName:  &group,
			LogStreamName: &stream,
			StartFromHead: aws.Bool(true),
			NextToken:     token,
		})
		if err != nil {
			return nil, fmt.Errorf("read back: %w", err)
		}
		out = append(out, page.Events...)
		if page.NextForwardToken == nil || (token != nil && *page.NextForwardToken == *token) {
			return out, nil
		}
		token = page.NextForwardToken
	}
}
