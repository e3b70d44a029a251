// Command zapconfig builds a logger from a plain zap.Config: importing cwzap
// registers the "cwzap" encoding and the cloudwatch:// sink with zap, so
// the configuration alone sends entries to a CloudWatch Logs stream (and,
// here, to stdout as well).
//
// With a region and credentials in the environment (awsenv.Configured says
// which variables count) it writes to real CloudWatch
// Logs. Without, it starts an in-process endpoint (cwlogstest) and points
// the sink at it with the URL's endpoint= key.
//
//	go run ./examples/zapconfig
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"syscall"
	"time"

	_ "github.com/cwzap/cwzap" // registers the "cwzap" encoding and the cloudwatch:// sink
	"github.com/cwzap/cwzap/cwlogstest"
	"github.com/cwzap/cwzap/examples/internal/awsenv"
	"go.uber.org/zap"
)

const group, stream = "/cwzap/examples", "zapconfig"

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "zapconfig:", err)
		os.Exit(1)
	}
}

// run logs through a zap.Config whose outputs are stdout and the
// cloudwatch:// sink, and prints to out what the stream holds.
func run(out io.Writer) error {
	// The group is what sits between "cloudwatch://" and the last '/', so
	// "/cwzap/examples" makes three slashes; the last segment is the stream.
	sink := "cloudwatch://" + group + "/" + stream + "?flush=2s&retention=7"
	var srv *cwlogstest.Server
	if !awsenv.Configured() {
		srv = cwlogstest.NewServer()
		defer srv.Close()
		// anonymous: the local endpoint needs no credentials.
		sink += "&region=us-east-1&anonymous=true&endpoint=" + url.QueryEscape(srv.URL)
	}

	// This is what a JSON or YAML configuration file would hold.
	cfg := zap.Config{
		Level:            zap.NewAtomicLevelAt(zap.InfoLevel),
		Encoding:         "cwzap", // cwzap's JSON layout
		OutputPaths:      []string{"stdout", sink},
		ErrorOutputPaths: []string{"stderr"},
	}
	logger, err := cfg.Build()
	if err != nil {
		return err
	}

	logger.Info("job started", zap.String("job", "nightly-report"))
	logger.Info(`{"rows": 1200, "table": "orders"}`) // a JSON message is embedded as JSON
	logger.Warn("slow query", zap.Duration("took", 3500*time.Millisecond))

	// zap.Config.Build never closes its sinks, so Sync before exiting: it
	// returns once CloudWatch has every event. Through a zap.Config the
	// sink sees plain writes, so each event's time is the time of the write.
	if err := logger.Sync(); err != nil {
		// zap joins the sinks' errors. fsync of a terminal or pipe fails
		// with EINVAL (zap issue #370): harmless. Anything else is the
		// cloudwatch sink's delivery error.
		errs := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		}
		for _, err := range errs {
			if !errors.Is(err, syscall.EINVAL) {
				return err
			}
		}
	}

	if srv != nil {
		events := srv.Events(group, stream)
		fmt.Fprintf(out, "%d events arrived in %s/%s; the first:\n", len(events), group, stream)
		if len(events) > 0 {
			var v any
			if err := json.Unmarshal([]byte(events[0].Message), &v); err != nil {
				return err
			}
			first, _ := json.MarshalIndent(v, "  ", "  ")
			fmt.Fprintln(out, " ", string(first))
		}
	}
	return nil
}
