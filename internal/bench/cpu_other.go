//go:build !unix

package bench

import "time"

// processCPU returns zero, because this operating system's CPU time
// is not read here.
func processCPU() time.Duration { return 0 }
