//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package cwzap

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDir takes an exclusive flock on the lock file of a spool directory,
// without waiting. The kernel releases it when the process ends, however it
// ends, so a crash never leaves the directory locked.
func lockDir(dir, path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cwzap: spool: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("cwzap: spool directory %s is in use by another Syncer or process; give each Syncer a directory of its own", dir)
		}
		return nil, fmt.Errorf("cwzap: spool: lock %s: %w", path, err)
	}
	return f, nil
}
