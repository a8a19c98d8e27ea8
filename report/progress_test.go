package report

import (
	"testing"
	"time"
)

func TestProgress(t *testing.T) {
	for _, c := range []struct {
		done, total, failed int
		elapsed             time.Duration
		want                string
	}{
		{50, 200, 3, 10 * time.Second, "50/200 targets, 5.0/s, 3 failed, ETA 30s"},
		{200, 200, 0, 4 * time.Second, "200/200 targets, 50.0/s, 0 failed"},
		{7, -1, 1, 2 * time.Second, "7 targets, 3.5/s, 1 failed"}, // streamed: no total, no ETA
		{0, 10, 0, 0, "0/10 targets, 0 failed"},
	} {
		if got := Progress(c.done, c.total, c.failed, c.elapsed); got != c.want {
			t.Errorf("Progress(%d, %d, %d, %v) = %q, want %q", c.done, c.total, c.failed, c.elapsed, got, c.want)
		}
	}
}
