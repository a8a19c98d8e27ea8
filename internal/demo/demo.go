// Package demo is sshpin's own SSH server: a loopback target a fresh machine
// can probe and scan before it has any server of its own. Its host keys are
// embedded and public on purpose, so the fingerprints in the README are the
// ones a reader sees; it accepts no authentication at all.
package demo

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"embed"
	"errors"
	"io/fs"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

//go:embed hostkeys
var hostKeys embed.FS

// connLifetime bounds one demo connection.
const connLifetime = 10 * time.Second

// Server is a running demo server.
type Server struct {
	ln   net.Listener
	wg   sync.WaitGroup
	once sync.Once
}

// Signers returns the demo host keys.
func Signers() ([]ssh.Signer, error) {
	var out []ssh.Signer
	err := fs.WalkDir(hostKeys, "hostkeys", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := hostKeys.ReadFile(path)
		if err != nil {
			return err
		}
		s, err := ssh.ParsePrivateKey(b)
		if err != nil {
			return errors.New("demo: " + path + ": " + err.Error())
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// Start listens on addr ("127.0.0.1:0" for any free port) and serves SSH
// handshakes with the embedded host keys; authentication always fails.
func Start(addr string) (*Server, error) {
	signers, err := Signers()
	if err != nil {
		return nil, err
	}
	return StartWith(addr, signers)
}

// Impostor returns fresh host keys of the demo's types: what a machine in
// the middle presents when it takes over the demo server's address.
func Impostor() ([]ssh.Signer, error) {
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	var out []ssh.Signer
	for _, k := range []any{ed, ec} {
		s, err := ssh.NewSignerFromKey(k)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// StartWith is Start with other host keys.
func StartWith(addr string, signers []ssh.Signer) (*Server, error) {
	cfg := &ssh.ServerConfig{
		ServerVersion: "SSH-2.0-sshpin_demo",
		PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) {
			return nil, errors.New("demo: no logins")
		},
	}
	for _, s := range signers {
		cfg.AddHostKey(s)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				// A demo client that stalls must not keep Close waiting.
				c.SetDeadline(time.Now().Add(connLifetime))
				// The handshake fails at authentication or when the
				// client hangs up after reading the host key; both end
				// the connection, which is all a demo target must do.
				sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
				if err != nil {
					return
				}
				go ssh.DiscardRequests(reqs)
				for ch := range chans {
					ch.Reject(ssh.Prohibited, "demo server")
				}
				sc.Close()
			}()
		}
	}()
	return s, nil
}

// Addr is where the server listens.
func (s *Server) Addr() *net.TCPAddr { return s.ln.Addr().(*net.TCPAddr) }

// Close stops accepting and waits for open connections to end.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		err = s.ln.Close()
		s.wg.Wait()
	})
	return err
}
