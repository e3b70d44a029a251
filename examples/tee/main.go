// Command tee logs every entry twice: as readable text to stdout, and in
// cwzap's JSON layout to a CloudWatch Logs stream, through zapcore.NewTee.
//
// With a region (AWS_REGION or AWS_DEFAULT_REGION) and credentials
// (AWS_ACCESS_KEY_ID, AWS_PROFILE, a web identity or container credentials)
// in the environment, or with AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, it writes to
// that CloudWatch Logs endpoint, group "cwzap-examples", stream "tee". A
// region alone is not enough. Otherwise it starts an in-process endpoint
// (cwlogstest) and reads the events back from it.
//
//	go run ./examples/tee
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
	"github.com/cwzap/cwzap/examples/internal/awsenv"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

const group, stream = "cwzap-examples", "tee"

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tee:", err)
		os.Exit(1)
	}
}

// run logs to out and to CloudWatch Logs, and prints to out what the
// Syncer delivered.
func run(out io.Writer) error {
	var opts []cwzap.SyncerOption
	var srv *cwlogstest.Server
	if !awsenv.Configured() {
		srv = cwlogstest.NewServer()
		defer srv.Close()
		opts = append(opts, cwzap.WithClient(srv.Client()))
		fmt.Fprintln(out, "no AWS configuration: using an in-process endpoint at", srv.URL)
	}

	syncer, err := cwzap.NewSyncer(group, stream, opts...)
	if err != nil {
		return err
	}
	// Close delivers what is left and stops the Syncer; deferred first, so
	// it runs after the logger's Sync and before srv.Close.
	defer syncer.Close()

	// os.Stdout's Sync fails on terminals and pipes ("invalid argument"),
	// and a console needs none: hiding it keeps logger.Sync's error about
	// CloudWatch alone.
	stdout := zapcore.Lock(zapcore.AddSync(struct{ io.Writer }{out}))
	console := zapcore.NewCore(
		zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()),
		stdout,
		zap.DebugLevel, // everything on the terminal…
	)
	cloud := cwzap.NewCore(syncer, zap.InfoLevel) // …only INFO and above to CloudWatch
	logger := zap.New(zapcore.NewTee(console, cloud), zap.AddCaller())

	logger.Debug("only on stdout")
	logger.Info("order received", zap.String("order", "A-1"), zap.Int("items", 3))
	logger.Warn("stock low", zap.String("sku", "X-9"))

	// Sync is the purge: it returns once CloudWatch has the events.
	if err := logger.Sync(); err != nil {
		return err
	}

	st := syncer.Stats()
	fmt.Fprintf(out, "written %d, delivered %d, fallback %d\n", st.Written, st.Delivered, st.Fallback)
	if srv != nil {
		fmt.Fprintf(out, "%d events arrived in %s/%s\n", len(srv.Events(group, stream)), group, stream)
	}
	return nil
}
