package cwzaplambda

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// watchSIGTERM closes the Syncer when Lambda sends SIGTERM before shutting
// the environment down. It does not raise the signal again, which would
// reach every other listener a second time: after the final flush the
// process ends when Lambda ends it (SIGKILL, once the shutdown's grace
// has passed), as it does with aws-lambda-go's own lambda.WithEnableSIGTERM,
// or when another listener ends it first.
func (f *flusher) watchSIGTERM() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() {
		defer signal.Stop(sig)
		select {
		case <-sig:
		case <-f.stop.Done():
			return
		}
		f.shutdown()
	}()
}

// shutdown stops the extension and closes the Syncer within the shutdown
// timeout; the Syncer writes what it could not deliver to its fallback
// writer.
func (f *flusher) shutdown() {
	f.cancel()
	f.hs.stop() // a handler still running syncs by itself: to the fallback, once closed
	ctx, cancel := context.WithTimeout(context.Background(), f.o.shutdownTimeout)
	defer cancel()
	// Background flushes need no wait: each is bounded by its deadline,
	// and Close settles what they wait for.
	// What misses the deadline goes to the fallback writer, and the
	// Syncer's error handler says so.
	f.ws.CloseContext(ctx)
}
