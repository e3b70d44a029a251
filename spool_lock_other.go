//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package cwzap

import (
	"fmt"
	"os"
	"runtime"
)

// lockDir refuses: without flock, two processes could share a spool
// directory and corrupt it.
func lockDir(dir, _ string) (*os.File, error) {
	return nil, fmt.Errorf("cwzap: WithSpool(%q): not supported on %s (no flock); leave the option out", dir, runtime.GOOS)
}
