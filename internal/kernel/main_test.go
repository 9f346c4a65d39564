package kernel

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: the
// kernel, the bus and the caches must stop everything they start.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
