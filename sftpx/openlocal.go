package sftpx

import (
	"os"

	"github.com/sshpin/sshpin/internal/nbopen"
)

// openLocal and blocking are internal/nbopen's, which sshconfig shares for
// its configuration files.
func openLocal(name string) (*os.File, error) { return nbopen.Open(name) }
func blocking(f *os.File) error               { return nbopen.Blocking(f) }
