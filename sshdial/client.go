package sshdial

import (
	"net"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/guard"
	"github.com/sshpin/sshpin/knownhosts"
)

// Client is an SSH connection to a server that proved a pinned key (or,
// with Options.InsecureAcceptAny, any key), authenticated. It is an
// *ssh.Client: open sessions (NewSession, and an SFTP subsystem on one),
// channels (Dial) and requests on it as on any. Its Close also closes the
// connections to the jump hosts and ends the proxy command.
//
// Every key exchange the connection makes later, re-keys included, must
// prove the same host key: another one closes the connection, and its
// operations then fail (Cause says why: a *RekeyError).
type Client struct {
	*ssh.Client

	hops   []*ssh.Client // the jump hosts' connections, first to last
	g      *guard.Guard  // the target's connection, under the dial's deadline
	raw    net.Conn      // the first hop's connection, when it is the target's
	addr   string        // what answered, and through which hops
	target string        // host:port as dialled
	key    ssh.PublicKey
	match  *knownhosts.Match
}

// Addr is the address that answered: the TCP peer ("127.0.0.1:22"), the
// target's host:port and the jump hosts it was reached through
// ("db:22 via bastion:22"), or "proxy-command". For a user's eyes: it may
// hold names the user or a configuration chose.
func (c *Client) Addr() string { return c.addr }

// HostKey is the key the server proved at the start of the connection.
func (c *Client) HostKey() ssh.PublicKey { return c.key }

// Pins is what the pinned files said of the target, looked up before it
// was dialled: the name it was looked up under (Name) and the pinned
// lines. It found nothing (Found is false) for a host trusted on first
// use, and says nothing of the key with Options.InsecureAcceptAny.
func (c *Client) Pins() *knownhosts.Match { return c.match }

// Cause says why an operation on the connection failed with err, when the
// connection was killed for a reason of this package's: a re-key that
// proved another host key (*RekeyError), or a deadline that a transport
// on top armed (ErrTimeout); err otherwise.
func (c *Client) Cause(err error) error {
	if r := c.g.Failure(); r != nil {
		return r
	}
	return err
}

// Close closes the connection, then those to the jump hosts, last to
// first, and ends the proxy command. Its error is the target
// connection's.
func (c *Client) Close() error {
	err := c.Client.Close()
	for i := len(c.hops) - 1; i >= 0; i-- {
		c.hops[i].Close()
	}
	return err
}

// Target is the target's host:port as dialled ("db:22"), whatever the
// path to it.
func (c *Client) Target() string { return c.target }
