// Package sshtest is an in-process SSH server on a loopback port, for the
// tests of sshdial and sftpx: the cases a real sshd cannot be made to
// produce (a server that never speaks, one that re-keys with another host
// key, one that counts every user-auth request it receives).
package sshtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"

	"github.com/sshpin/sshpin/knownhosts"
)

// Config is what a Server accepts and how it behaves.
type Config struct {
	HostKeys []ssh.Signer    // default: one fresh ed25519 key
	UserKeys []ssh.PublicKey // accepted by publickey
	Password string          // accepted by password and keyboard-interactive, if set
	KbdOnly  bool            // offer keyboard-interactive, not password
	// Hang: accept TCP and never speak.
	Hang bool
	// Rekey: the server re-keys after this many bytes (0: x/crypto's
	// default).
	Rekey uint64
	// Version is the server's SSH version line, when set.
	Version string
	// Subsystem answers a session's subsystem request for name (req.Reply)
	// and serves it on ch, returning true once it is done, or false when
	// it refused it; conn is the raw connection (for a test to cut). nil
	// refuses every one. Without it,
	// an "exec" request is answered with the command itself on standard
	// output and exit status 0.
	Subsystem func(conn net.Conn, name string, req *ssh.Request, ch ssh.Channel) bool
}

// Server is a running server; t's cleanup stops it.
type Server struct {
	Host string
	Port int
	Addr string

	// AuthAttempts counts every user-auth request the server received,
	// "none" included: the proof that a refused host saw no credential.
	AuthAttempts atomic.Int64
	Sessions     atomic.Int64
	// Accepted receives one value per accepted connection, never blocking
	// the server (up to 100 are kept).
	Accepted chan struct{}

	Config Config
}

// Start starts a server on 127.0.0.1.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if len(cfg.HostKeys) == 0 {
		cfg.HostKeys = []ssh.Signer{NewHostKey(t, "ed25519")}
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Addr: ln.Addr().String(), Config: cfg, Accepted: make(chan struct{}, 100)}
	var mu sync.Mutex
	var wg sync.WaitGroup
	conns := map[net.Conn]bool{}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			select {
			case s.Accepted <- struct{}{}:
			default:
			}
			wg.Go(func() {
				defer c.Close()
				s.serve(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

func (s *Server) serve(c net.Conn) {
	if s.Config.Hang {
		io.Copy(io.Discard, c) // until the client or the cleanup closes it
		return
	}
	sc := &ssh.ServerConfig{
		Config:          ssh.Config{RekeyThreshold: s.Config.Rekey},
		AuthLogCallback: func(ssh.ConnMetadata, string, error) { s.AuthAttempts.Add(1) },
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			for _, k := range s.Config.UserKeys {
				if bytes.Equal(k.Marshal(), key.Marshal()) {
					return nil, nil
				}
			}
			return nil, errors.New("unknown key")
		},
	}
	if s.Config.Password != "" && !s.Config.KbdOnly {
		sc.PasswordCallback = func(_ ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if string(pw) == s.Config.Password {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		}
	}
	if s.Config.Password != "" && s.Config.KbdOnly {
		sc.KeyboardInteractiveCallback = func(_ ssh.ConnMetadata, ch ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			ans, err := ch("", "", []string{"Password: "}, []bool{false})
			if err != nil {
				return nil, err
			}
			if len(ans) == 1 && ans[0] == s.Config.Password {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		}
	}
	for _, k := range s.Config.HostKeys {
		sc.AddHostKey(k)
	}
	if s.Config.Version != "" {
		sc.ServerVersion = s.Config.Version
	}
	conn, chans, reqs, err := ssh.NewServerConn(c, sc)
	if err != nil {
		return
	}
	defer conn.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		s.Sessions.Add(1)
		go func() {
			defer ch.Close()
			for req := range creqs {
				if s.session(c, ch, req) {
					go ssh.DiscardRequests(creqs)
					return
				}
			}
		}()
	}
}

// session answers one request of a session channel; true when the
// session is done.
func (s *Server) session(c net.Conn, ch ssh.Channel, req *ssh.Request) bool {
	arg, _, ok := sshString(req.Payload)
	switch {
	case !ok:
	case req.Type == "subsystem" && s.Config.Subsystem != nil:
		return s.Config.Subsystem(c, string(arg), req, ch)
	case req.Type == "exec" && s.Config.Subsystem == nil:
		req.Reply(true, nil)
		ch.Write(arg)
		ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, 0))
		return true
	}
	req.Reply(false, nil)
	return false
}

func sshString(b []byte) (s, rest []byte, ok bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(len(b)-4) < uint64(n) {
		return nil, nil, false
	}
	return b[4 : 4+n], b[4+n:], true
}

// NewHostKey makes a host key of type "ed25519" or "ecdsa" (P-256).
func NewHostKey(t testing.TB, typ string) ssh.Signer {
	t.Helper()
	var k any
	switch typ {
	case "ed25519":
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		k = priv
	case "ecdsa":
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		k = priv
	default:
		t.Fatalf("NewHostKey: %s", typ)
	}
	s, err := ssh.NewSignerFromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// PinFile writes a known_hosts file pinning keys for host and port, and
// reads it back.
func PinFile(t testing.TB, host string, port int, keys ...ssh.PublicKey) (*knownhosts.File, string) {
	t.Helper()
	var b bytes.Buffer
	name := host
	if port != 22 {
		name = "[" + host + "]:" + strconv.Itoa(port)
	}
	b.WriteString("# pinned by a test\n")
	for _, k := range keys {
		b.WriteString(xknownhosts.Line([]string{name}, k) + "\n")
	}
	p := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := knownhosts.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return f, p
}

// UserKey makes a client key, writes it to a file (encrypted when
// passphrase is set) and returns the path and the public key.
func UserKey(t testing.TB, passphrase string) (string, ssh.PublicKey) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var blk *pem.Block
	if passphrase != "" {
		blk, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(passphrase))
	} else {
		blk, err = ssh.MarshalPrivateKey(priv, "test")
	}
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(p, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return p, s.PublicKey()
}
