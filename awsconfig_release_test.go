package cwzap_test

import (
	"os"
	"runtime"
	"testing"

	"go.uber.org/goleak"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// openFiles returns the process's open descriptors, or -1 where /proc is
// not there to count them.
func openFiles() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// A Syncer that built its client (no WithClient) releases its connections
// at Close: a thousand Syncers made, used and closed leave no goroutine and
// no descriptor behind.
func TestCloseReleasesTheClientItBuilt(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.HTTPClient = nil // the SDK's default: a connection pool for each client
	goroutines := goleak.IgnoreCurrent()
	files := openFiles()
	const n = 1000
	for i := range n {
		s, err := cwzap.NewSyncer("/test/app", "release", cwzap.WithAWSConfig(cfg), cwzap.WithFallback(&lockedBuffer{}))
		if err != nil {
			t.Fatal(err)
		}
		s.Write([]byte("one event"))
		if err := s.Close(); err != nil {
			t.Fatalf("Syncer %d: Close = %v", i, err)
		}
	}
	if got := srv.EventCount(); got != n {
		t.Fatalf("%d events stored, want %d", got, n)
	}
	goleak.VerifyNone(t, goroutines) // retries while the server's connections wind down
	runtime.GC()
	if now := openFiles(); files >= 0 && now > files+4 {
		t.Errorf("%d descriptors open after %d Syncers were closed, %d before", now, n, files)
	}
}
