package report

import (
	"fmt"
	"strings"
	"time"
)

// Progress is the one-line state of a run over many targets: targets done
// (of total, when total >= 0: a list streamed from a pipe has none), the
// rate so far, failures so far, and while the total is known the time
// left at that rate.
func Progress(done, total, failed int, elapsed time.Duration) string {
	var b strings.Builder
	if total >= 0 {
		fmt.Fprintf(&b, "%d/%d targets", done, total)
	} else {
		fmt.Fprintf(&b, "%d targets", done)
	}
	var rate float64
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done) / s
		fmt.Fprintf(&b, ", %.1f/s", rate)
	}
	fmt.Fprintf(&b, ", %d failed", failed)
	if total >= 0 && done < total && rate > 0 {
		left := time.Duration(float64(total-done) / rate * float64(time.Second))
		fmt.Fprintf(&b, ", ETA %s", left.Round(time.Second))
	}
	return b.String()
}
