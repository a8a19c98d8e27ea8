package sftpx

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/sshdial"
)

// switchingSigner is a host key that becomes another after its first
// signature: the server proves one key at the start and another at the
// first re-key.
type switchingSigner struct {
	first, then ssh.Signer
	signed      atomic.Bool
}

func (s *switchingSigner) cur() ssh.Signer {
	if s.signed.Load() {
		return s.then
	}
	return s.first
}

func (s *switchingSigner) PublicKey() ssh.PublicKey { return s.cur().PublicKey() }

func (s *switchingSigner) Sign(r io.Reader, data []byte) (*ssh.Signature, error) {
	return s.SignWithAlgorithm(r, data, "")
}

func (s *switchingSigner) SignWithAlgorithm(r io.Reader, data []byte, algo string) (*ssh.Signature, error) {
	sig, err := s.cur().(ssh.AlgorithmSigner).SignWithAlgorithm(r, data, algo)
	s.signed.Store(true)
	return sig, err
}

// A server that presents another host key at a re-key (here one the pins
// do not know) fails the transfer with that reason, not as a lost
// connection.
func TestRekeyHostKeyChange(t *testing.T) {
	sw := &switchingSigner{first: newHostKey(t, "ed25519"), then: newHostKey(t, "ed25519")}
	keyPath, pub := userKey(t, "")
	s := startServer(t, serverConfig{hostKeys: []ssh.Signer{sw}, userKeys: []ssh.PublicKey{pub}, rekey: 64 << 10})
	s.fs.write(t, "/big", randomBytes(t, 1<<20))
	f, _ := pinFile(t, s.Host, s.Port, sw.first.PublicKey())
	c, err := Dial(context.Background(), s.options(keyPath, f))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got error
	c.Get(context.Background(), "/big", filepath.Join(t.TempDir(), "big"), TransferOptions{}, func(r Result) {
		if r.Err != nil {
			got = r.Err
		}
	})
	// The server asks for the re-key at its first write past the
	// threshold, and sends its KEXINIT from another goroutine: the whole
	// file may have gone out before it. Every request after that fails.
	for i := 0; got == nil && i < 1000; i++ {
		_, got = c.Stat(context.Background(), "/big")
	}
	var re *sshdial.RekeyError
	if !errors.As(got, &re) || !strings.Contains(got.Error(), "the server presented a different host key at re-key") ||
		!bytes.Equal(re.Now.Marshal(), sw.then.PublicKey().Marshal()) {
		t.Fatalf("get: %v, want a RekeyError", got)
	}
}

// Re-keys with the same host key go unnoticed.
func TestRekeySameHostKey(t *testing.T) {
	keyPath, pub := userKey(t, "")
	s := startServer(t, serverConfig{userKeys: []ssh.PublicKey{pub}, rekey: 64 << 10})
	data := randomBytes(t, 1<<20)
	s.fs.write(t, "/big", data)
	f, _ := pinFile(t, s.Host, s.Port, s.cfg.hostKeys[0].PublicKey())
	c, err := Dial(context.Background(), s.options(keyPath, f))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got error
	c.Get(context.Background(), "/big", filepath.Join(t.TempDir(), "big"), TransferOptions{}, func(r Result) { got = r.Err })
	if got != nil {
		t.Fatalf("get across re-keys: %v", got)
	}
}
