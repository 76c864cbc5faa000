//go:build !unix

package kernels

import "time"

// cpuTime is unavailable here; the timing test then reports nothing.
func cpuTime() time.Duration { return 0 }
