package bench

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks, after the tests and benchmarks, that no goroutine of a
// Syncer or an endpoint outlived its Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
