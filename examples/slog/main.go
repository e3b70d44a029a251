// Command slog logs through the standard library's log/slog into a
// CloudWatch Logs stream. zap's bridge, go.uber.org/zap/exp/zapslog, turns
// any zapcore.Core into a slog.Handler, so cwzap's Core needs nothing more:
// each slog record becomes one event in the cwzap layout, its attributes
// the fields, its groups nested objects.
//
// It runs against cwlogstest, an in-process CloudWatch Logs endpoint, and
// prints what arrived:
//
//	go run ./examples/slog
//
// This example is its own module so that go.uber.org/zap/exp stays out of
// cwzap's go.mod.
package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
)

const group, stream = "/cwzap/examples", "slog"

func main() {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	if err := run(srv); err != nil {
		fmt.Fprintln(os.Stderr, "slog:", err)
		os.Exit(1)
	}
	for _, e := range srv.Events(group, stream) {
		fmt.Println(e.Message)
	}
}

// run logs two records through slog into srv and syncs.
func run(srv *cwlogstest.Server) error {
	ws, err := cwzap.NewSyncer(group, stream, cwzap.WithClient(srv.Client()))
	if err != nil {
		return err
	}
	defer ws.Close()

	logger := slog.New(zapslog.NewHandler(cwzap.NewCore(ws, zap.InfoLevel), zapslog.WithCaller(true)))
	logger.Info("order received", "order", "A-1", slog.Int("items", 3))
	logger.With("request", "r-1").Warn("stock low", slog.Group("item", "sku", "X-9", "left", 2))
	logger.Debug("below the threshold: not sent")

	// slog has no Sync: the Syncer's is the purge.
	return ws.Sync()
}
