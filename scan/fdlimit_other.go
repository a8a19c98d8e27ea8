//go:build !unix

package scan

import "errors"

// raiseFileLimit: systems without RLIMIT_NOFILE put no cap on a run's concurrency.
func raiseFileLimit() (uint64, error) {
	return 0, errors.ErrUnsupported
}
