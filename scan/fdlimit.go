package scan

import (
	"fmt"
	"math"
)

// fdsPerTarget is what one target may hold open at once: its connection
// (handshakes run one after another), or while its name resolves, the
// resolver's two sockets (A and AAAA in parallel).
const fdsPerTarget = 2

// fdReserve is kept for everything else: standard streams, the runtime's
// poller, target and pinned files, a resolver's config files.
const fdReserve = 32

// CapError says that a run's concurrency was lowered to fit the limit on
// open files. It is a warning: the run goes on with Got.
type CapError struct {
	Want, Got int
	Limit     uint64 // the soft limit on open files, after raising it
}

func (e *CapError) Error() string {
	return fmt.Sprintf("scan: concurrency %d capped to %d: the open-file limit is %d", e.Want, e.Got, e.Limit)
}

// FitConcurrency caps want so that a run never fails a healthy host for
// want of a file descriptor ("too many open files" reported as if the
// server were down). It first raises the soft limit on open files to the
// hard one. When it had to lower want it returns the lowered number and a
// *CapError; where the limit is unknown, want as is.
func FitConcurrency(want int) (int, error) {
	limit, err := raiseFileLimit()
	if err != nil {
		return want, nil
	}
	n, ok := fitConcurrency(want, limit)
	if !ok {
		return n, &CapError{Want: want, Got: n, Limit: limit}
	}
	return n, nil
}

// fitConcurrency caps want to what limit open files allow; ok is false
// when it had to. limit 0 means unknown: no cap.
func fitConcurrency(want int, limit uint64) (n int, ok bool) {
	if limit == 0 || limit > uint64(math.MaxInt/2) {
		return want, true
	}
	avail := (int(limit) - fdReserve) / fdsPerTarget
	if avail < 1 {
		avail = 1
	}
	if want > avail {
		return avail, false
	}
	return want, true
}
