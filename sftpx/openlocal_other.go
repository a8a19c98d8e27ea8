//go:build !unix

package sftpx

import "os"

// openLocal opens a local file for reading; there is no O_NONBLOCK here.
func openLocal(name string) (*os.File, error) { return os.Open(name) }

func blocking(*os.File) error { return nil }
