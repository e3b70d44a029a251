package cwzap

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them, or if
// any goroutine broke the lock order (lockrank_test.go) and the panic was
// recovered on the way.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(checkedRun{m})
}

type checkedRun struct{ m *testing.M }

func (r checkedRun) Run() int {
	code := r.m.Run()
	if n := _checker.violations.Load(); n != 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d lock order violations in this run\n", n)
		return 1
	}
	return code
}
