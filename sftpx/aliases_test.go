package sftpx

import "github.com/sshpin/sshpin/sshdial"

// The dial's option types, by the names the tests of this package used
// before they moved to sshdial.
type (
	Options = sshdial.Options
	Hop     = sshdial.Hop
	Auth    = sshdial.Auth
)
