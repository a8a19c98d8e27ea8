package scan

import (
	"errors"
	"testing"
)

func TestFitConcurrency(t *testing.T) {
	for _, c := range []struct {
		want  int
		limit uint64
		got   int
		ok    bool
	}{
		{64, 0, 64, true},          // unknown limit
		{64, 1024, 64, true},       // fits
		{1000, 1024, 496, false},   // (1024 - 32) / 2
		{5, 10, 1, false},          // never below one
		{64, ^uint64(0), 64, true}, // RLIM_INFINITY
		{100000, 1 << 20, 100000, true},
	} {
		got, ok := fitConcurrency(c.want, c.limit)
		if got != c.got || ok != c.ok {
			t.Errorf("fitConcurrency(%d, %d) = %d, %v; want %d, %v", c.want, c.limit, got, ok, c.got, c.ok)
		}
	}
}

// FitConcurrency against this process's own limit: a want far over any
// limit is capped with a *CapError that says to what, one that fits is
// left alone.
func TestFitConcurrencyLimit(t *testing.T) {
	limit, err := raiseFileLimit()
	if err != nil || limit == 0 || limit > 1<<40 {
		t.Skipf("no finite open-file limit here (%d, %v)", limit, err)
	}
	n, err := FitConcurrency(int(limit))
	var ce *CapError
	if !errors.As(err, &ce) || ce.Want != int(limit) || ce.Got != n || ce.Limit != limit || n >= int(limit) {
		t.Errorf("FitConcurrency(%d) = %d, %v; want a cap below the limit", limit, n, err)
	}
	if n, err := FitConcurrency(1); n != 1 || err != nil {
		t.Errorf("FitConcurrency(1) = %d, %v", n, err)
	}
}
