//go:build !unix

package main

import "errors"

// raiseFileLimit: systems without RLIMIT_NOFILE put no cap on --concurrency.
func raiseFileLimit() (uint64, error) {
	return 0, errors.ErrUnsupported
}
