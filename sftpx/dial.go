package sftpx

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/dialhook"
	"github.com/sshpin/sshpin/internal/guard"
	"github.com/sshpin/sshpin/sshdial"
	"github.com/sshpin/sshpin/tlspin"
)

// Client is an SFTP session on a server that proved a pinned key. Its
// methods may be called from several goroutines, and their requests then
// share the connection (a recursive transfer moves several files at once
// so), under one deadline that progress in any of them pushes back.
type Client struct {
	conn *sshdial.Client // nil for a Client DialStream made
	sftp *sftp.Client
	ses  *session
	g    *guard.Guard

	// Addr is the address that answered; HostKey the key it proved.
	Addr    string
	HostKey ssh.PublicKey

	opts    sshdial.Options
	started time.Time // when Dial returned: older temporary files are leftovers
	// inFlight holds a token for every upload chunk read and not yet
	// written and read back, across all the uploads of the Client: files
	// moving at once share one upload's budget (uploadBudget).
	inFlight chan struct{}

	leftMu    sync.Mutex
	leftovers map[string][]fs.FileInfo // per directory: its temporary files
	// localLeftovers are, per local directory a download wrote to, the
	// names of temporary files found there (see removeLocalLeftovers);
	// guarded by leftMu.
	localLeftovers map[string][]string
	// readableDirs are the directories whose new files served a read
	// while open for writing (see readableIn); guarded by leftMu.
	readableDirs map[string]bool

	// TLS is what the certificate check found, for a Client DialStream
	// reached over TLS; nil otherwise.
	TLS *tlspin.Verified
	// stream is, for a Client with no SSH under it (DialStream), what
	// names its server and the command it runs.
	stream streamInfo
}

// Dial connects with sshdial.Dial, which verifies the server's host key
// against the pinned files before any credential is sent (and every jump
// host's before the next connection is opened through it), and starts
// SFTP on the verified connection. Its errors are sshdial's (a
// *sshdial.HostKeyError: refused before any credential was sent), and a
// *sshdial.ConnectError when SFTP cannot start.
func Dial(ctx context.Context, o sshdial.Options) (*Client, error) {
	conn, err := sshdial.Dial(ctx, o)
	if err != nil {
		return nil, err
	}
	return NewClient(ctx, conn, o)
}

// NewClient starts SFTP on conn, a connection sshdial.Dial returned with
// o; the Client's Close closes conn. Recursive transfers open more SFTP
// sessions on conn. o's Timeout bounds the start, every request and
// every stall of a transfer; its Events receives the transfers' events,
// one call at a time. When SFTP cannot start, conn is closed and the error
// is a *sshdial.ConnectError.
func NewClient(ctx context.Context, conn *sshdial.Client, o sshdial.Options) (*Client, error) {
	if o.Timeout <= 0 {
		conn.Close()
		return nil, errors.New("sftpx: Options.Timeout must be positive")
	}
	o.Events = serialized(o.Events)
	g := dialhook.Guard(conn)
	g.SetTimeout(o.Timeout)
	if err := g.Begin(); err != nil {
		// The connection was killed already (a re-key to another key).
		conn.Close()
		return nil, &sshdial.ConnectError{Addr: conn.Target(), Err: fmt.Errorf("starting SFTP: %w", err)}
	}
	stop := context.AfterFunc(ctx, func() { g.Trip(ctx.Err()) })
	ses, err := startSession(conn.Client, g.Arm, o.Events)
	stop()
	if err != nil {
		g.End(nil)
		conn.Close()
		if r := g.Failure(); r != nil {
			err = r
		}
		err = &sshdial.ConnectError{Addr: conn.Target(), Err: fmt.Errorf("starting SFTP: %w", err)}
		return nil, dialhook.ProxyEnded(conn, err)
	}
	g.End(nil)
	return &Client{conn: conn, sftp: ses.client, ses: ses, g: g, Addr: conn.Addr(), HostKey: conn.HostKey(), opts: o, started: time.Now(),
		inFlight: make(chan struct{}, uploadBudget(ses.chunk))}, nil
}

// SFTP returns the underlying pkg/sftp client, for what this package does
// not wrap. Its calls run without this package's deadlines.
func (c *Client) SFTP() *sftp.Client { return c.sftp }

// Close ends the SFTP session and the connection, and those to the jump
// hosts.
func (c *Client) Close() error {
	if c.conn == nil {
		return c.closeStream()
	}
	c.sftp.Close()
	return c.conn.Close()
}

// do runs one operation under the connection's deadline, re-armed by
// progress, and cancelled with ctx. After a deadline or a cancellation the
// connection is dead and every later operation fails at once. Operations
// may run at once, from several goroutines: they share the deadline (see
// guard.Begin).
//
// A cancellation kills the connection at once, which wakes every request
// in flight; except while operations said they stop by themselves
// (guard.StopsOnCancel, as an upload does, to remove its temporary file):
// then the connection lives on until they are done, or for cancelGrace at
// most. Either way the error of an operation that a cancellation cut
// short is ctx's.
func (c *Client) do(ctx context.Context, fn func() error) error {
	if err := c.g.Begin(); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { c.g.Cancel(ctx.Err()) })
	err := fn()
	stop()
	cerr := ctx.Err()
	c.g.End(cerr)
	if cerr != nil {
		if err != nil {
			// Whatever failed then (a timeout while cleaning up, a request
			// the cancellation woke), the user stopped it.
			return cerr
		}
		return nil
	}
	if err != nil {
		if r := c.g.Failure(); r != nil {
			return r
		}
	}
	return err
}
