//go:build !unix

package main

import (
	"os"
	"os/exec"
)

// inGroup lets an interrupt reach go test, which ends the test binary.
func inGroup(cmd *exec.Cmd) {
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
}

// endGroup has nothing more to end where process groups are not used.
func endGroup(*exec.Cmd) {}
