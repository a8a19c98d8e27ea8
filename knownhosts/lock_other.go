//go:build !unix

package knownhosts

import "errors"

func lock(path string) (func(), error) {
	return nil, errors.New("knownhosts: file locking is not supported on this system")
}
