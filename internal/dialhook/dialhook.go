// Package dialhook hands package sftpx what an *sshdial.Client keeps
// unexported, so that sshdial's API stays what any caller needs: the
// guard that sftpx's requests run under (the deadline the dial used,
// re-armed per request), and the proxy command's end, for a failure to
// start SFTP on the connection. sshdial sets the functions when it is
// initialised; c is an *sshdial.Client.
package dialhook

import "github.com/sshpin/sshpin/internal/guard"

var (
	// Guard returns the guard under the target's connection.
	Guard func(c any) *guard.Guard
	// ProxyEnded replaces err, an operation's failure on a connection
	// whose first hop is the target, with the proxy command's end when
	// the command ended the stream (a *sshdial.ConnectError holding a
	// *sshdial.ProxyError); err otherwise.
	ProxyEnded func(c any, err error) error
)
