package sshdial

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sshpin/sshpin/internal/guard"
)

// Cause tells the reason the connection was killed for from the broken
// pipe an operation then sees; with none, the operation's own error.
func TestClientCause(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	g := guard.New(a, time.Minute)
	defer g.Close()
	c := &Client{g: g}
	if err := c.Cause(io.EOF); err != io.EOF {
		t.Errorf("Cause on a live connection = %v, want io.EOF", err)
	}
	rekey := &RekeyError{Addr: "127.0.0.1:22", Was: newHostKey(t, "ed25519").PublicKey(), Now: newHostKey(t, "ed25519").PublicKey()}
	g.Trip(rekey)
	var re *RekeyError
	if err := c.Cause(io.EOF); !errors.As(err, &re) || re != rekey {
		t.Errorf("Cause after a re-key to another key = %v, want the RekeyError", err)
	}
}
