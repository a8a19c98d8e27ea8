//go:build !unix

package nbopen

import "os"

// Open opens a local file for reading; there is no O_NONBLOCK here.
func Open(name string) (*os.File, error) { return os.Open(name) }

func Blocking(*os.File) error { return nil }
