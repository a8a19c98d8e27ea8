package scan

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/kexinit"
	"github.com/sshpin/sshpin/target"
)

// testServer is an in-process x/crypto SSH server on loopback. before, if
// set, runs on each connection before the SSH server speaks.
type testServer struct {
	addr  string
	mu    sync.Mutex
	conns int
}

func startServer(t testing.TB, cfg *ssh.ServerConfig, before func(net.Conn)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				if before != nil {
					before(c)
				}
				if cfg != nil {
					ssh.NewServerConn(c, cfg)
				}
			}()
		}
	}()
	return s
}

func (s *testServer) target(t testing.TB) target.Target {
	tg, err := target.Parse(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func (s *testServer) connCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func signers(t testing.TB) (ed, ec, rs ssh.Signer) {
	t.Helper()
	_, edk, _ := ed25519.GenerateKey(rand.Reader)
	eck, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var out [3]ssh.Signer
	for i, k := range []any{edk, eck, rsk} {
		s, err := ssh.NewSignerFromKey(k)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = s
	}
	return out[0], out[1], out[2]
}

func serverConfig(keys ...ssh.Signer) *ssh.ServerConfig {
	cfg := &ssh.ServerConfig{NoClientAuth: true}
	for _, k := range keys {
		cfg.AddHostKey(k)
	}
	return cfg
}

func TestFamilies(t *testing.T) {
	got := families([]string{"rsa-sha2-512", "ssh-ed25519", "ssh-rsa-sha224@ssh.com", "rsa-sha2-256", "ssh-rsa-sha512@ssh.com", "ecdsa-sha2-nistp256", "ssh-rsa",
		"ecdsa-sha2-nistp384", "ssh-ed25519-cert-v01@openssh.com", "rsa-sha2-512-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com"})
	var names []string
	for _, f := range got {
		names = append(names, f.name+"="+strings.Join(f.offered, "+"))
	}
	want := []string{
		"ssh-rsa=rsa-sha2-512+ssh-rsa-sha224@ssh.com+rsa-sha2-256+ssh-rsa-sha512@ssh.com+ssh-rsa",
		"ssh-ed25519=ssh-ed25519",
		"ecdsa-sha2-nistp256=ecdsa-sha2-nistp256",
		"ecdsa-sha2-nistp384=ecdsa-sha2-nistp384",
		"ssh-ed25519-cert-v01@openssh.com=ssh-ed25519-cert-v01@openssh.com",
		"ssh-rsa-cert-v01@openssh.com=rsa-sha2-512-cert-v01@openssh.com",
		"sk-ssh-ed25519@openssh.com=sk-ssh-ed25519@openssh.com",
	}
	if !slices.Equal(names, want) {
		t.Errorf("families:\n got %q\nwant %q", names, want)
	}
}

// The RSA family is requested SHA-2 first; ssh-rsa (SHA-1) only with legacy.
func TestUsableRSAPrefersSHA2(t *testing.T) {
	f := families([]string{"ssh-rsa", "rsa-sha2-256", "rsa-sha2-512"})[0]
	if got := f.usable(newClientAlgorithms(false)); slices.Contains(got, "ssh-rsa") || len(got) != 2 {
		t.Errorf("without legacy: %q", got)
	}
	if got := f.usable(newClientAlgorithms(true)); got[len(got)-1] != "ssh-rsa" {
		t.Errorf("with legacy, ssh-rsa should come last: %q", got)
	}
}

func TestScanInProcess(t *testing.T) {
	ed, ec, rs := signers(t)
	srv := startServer(t, serverConfig(ed, ec, rs), nil)
	r := Scan(context.Background(), srv.target(t), Options{Timeout: 10 * time.Second})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	want := map[string]string{
		"ssh-ed25519":         ssh.FingerprintSHA256(ed.PublicKey()),
		"ecdsa-sha2-nistp384": ssh.FingerprintSHA256(ec.PublicKey()),
		"ssh-rsa":             ssh.FingerprintSHA256(rs.PublicKey()),
	}
	got := map[string]string{}
	for _, k := range r.Keys {
		got[k.Type] = k.SHA256
	}
	if len(got) != 3 {
		t.Fatalf("keys %v, want %v", got, want)
	}
	for typ, fp := range want {
		if got[typ] != fp {
			t.Errorf("%s: %s, want %s", typ, got[typ], fp)
		}
	}
	if r.Connections != 3 || srv.connCount() != 3 {
		t.Errorf("connections: scan says %d, server saw %d; want 3", r.Connections, srv.connCount())
	}
	if r.Address != "127.0.0.1" {
		t.Errorf("address %q", r.Address)
	}
}

// A server whose only RSA signature is SHA-1 gives its key only with
// --legacy, and says so without it.
func TestScanSHA1OnlyNeedsLegacy(t *testing.T) {
	_, _, rs := signers(t)
	sha1Only, err := ssh.NewSignerWithAlgorithms(rs.(ssh.AlgorithmSigner), []string{ssh.KeyAlgoRSA})
	if err != nil {
		t.Fatal(err)
	}
	cfg := serverConfig(sha1Only)
	srv := startServer(t, cfg, nil)

	// The hint is the caller's wording, added only when given.
	for hint, want := range map[string]string{
		"":         "needs a SHA-1 signature algorithm (ssh-rsa)",
		"try this": "needs a SHA-1 signature algorithm (ssh-rsa): try this",
	} {
		r := Scan(context.Background(), srv.target(t), Options{Timeout: 10 * time.Second, LegacyHint: hint})
		var nk *NoKeyError
		if !errors.As(r.Err, &nk) || len(r.NotRetrieved) != 1 || r.NotRetrieved[0].Reason != want {
			t.Fatalf("without legacy, hint %q: err %v, not retrieved %+v; want %q", hint, r.Err, r.NotRetrieved, want)
		}
	}
	r := Scan(context.Background(), srv.target(t), Options{Timeout: 10 * time.Second, Legacy: true})
	if r.Err != nil || len(r.Keys) != 1 || r.Keys[0].Algorithm != "ssh-rsa" {
		t.Fatalf("with legacy: err %v, keys %+v", r.Err, r.Keys)
	}
}

// Lines before the version line, which RFC 4253 §4.2 allows: x/crypto
// alone fails on one of 256 bytes or more; scan reads through them all and
// keeps the first lines.
func TestScanPreBannerLines(t *testing.T) {
	ed, _, _ := signers(t)
	srv := startServer(t, serverConfig(ed), func(c net.Conn) {
		for i := range 20 {
			c.Write([]byte("Welcome to a chatty server, line " + strconv.Itoa(i) + "\r\n"))
		}
		c.Write([]byte(strings.Repeat("=", 300) + "\r\n"))
	})
	r := Scan(context.Background(), srv.target(t), Options{Timeout: 10 * time.Second})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r.Hello.PreambleLines != 21 || !strings.HasPrefix(r.Hello.Preamble[0], "Welcome") {
		t.Errorf("preamble %q", r.Hello.Preamble)
	}
}

// A server that never finishes its banner ends the scan at the deadline
// with a timeout, not a hang.
func TestScanTarpitTimesOut(t *testing.T) {
	srv := startServer(t, nil, func(c net.Conn) {
		c.Write([]byte("SSH-2.0-"))
		io.Copy(io.Discard, c) // until the client gives up
	})
	done := make(chan *Result, 1)
	go func() { done <- Scan(context.Background(), srv.target(t), Options{Timeout: 500 * time.Millisecond}) }()
	select {
	case r := <-done:
		if k := kexinit.KindOf(r.Err); k != kexinit.KindTimeout {
			t.Errorf("err %v (kind %q), want a timeout", r.Err, k)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("scan hung past its deadline")
	}
}

// A server that closes at once is reported as closed, and the run goes on.
func TestRunReportsEveryTarget(t *testing.T) {
	ed, _, _ := signers(t)
	good := startServer(t, serverConfig(ed), nil)
	bad := startServer(t, nil, func(c net.Conn) {})
	targets := []target.Target{good.target(t), bad.target(t), good.target(t)}
	got := make([]*Result, len(targets))
	Run(context.Background(), targets, 2, func(ctx context.Context, tg target.Target) *Result {
		return Scan(ctx, tg, Options{Timeout: 10 * time.Second})
	}, func(i int, r *Result) { got[i] = r })
	if got[0].Err != nil || got[2].Err != nil {
		t.Errorf("good targets failed: %v, %v", got[0].Err, got[2].Err)
	}
	if k := kexinit.KindOf(got[1].Err); k != kexinit.KindClosed {
		t.Errorf("closing server: %v (kind %q), want closed", got[1].Err, k)
	}
}

// A server can break a bound the Tap keeps while x/crypto carries on: the
// handshake then yields a key but no hello, and the scan must fail with the
// Tap's reason instead of returning a result with neither (it did, and the
// table renderer dereferenced the missing hello).
func TestScanKeyWithoutHelloFails(t *testing.T) {
	ed, _, _ := signers(t)
	srv := startServer(t, serverConfig(ed), nil)
	r := Scan(context.Background(), srv.target(t), Options{Timeout: 10 * time.Second, Limits: kexinit.Limits{MaxBytes: 64}})
	if k := kexinit.KindOf(r.Err); k != kexinit.KindLimit {
		t.Fatalf("err %v (kind %q), want the Tap's limit", r.Err, k)
	}
	if r.Hello != nil || len(r.Keys) != 0 {
		t.Errorf("hello %v, keys %d: want neither", r.Hello, len(r.Keys))
	}
}

// When the deadline ran out after the first key, the remaining types were
// dropped from the result without a word and the target counted as done.
func TestScanDeadlineReportsEveryType(t *testing.T) {
	ed, ec, rs := signers(t)
	cfg := serverConfig(ed, ec, rs)
	var mu sync.Mutex
	n := 0
	srv := startServer(t, nil, func(c net.Conn) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			ssh.NewServerConn(c, cfg)
			return
		}
		io.Copy(io.Discard, c) // later handshakes stall until the client gives up
	})
	done := make(chan *Result, 1)
	go func() { done <- Scan(context.Background(), srv.target(t), Options{Timeout: time.Second}) }()
	var r *Result
	select {
	case r = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("scan hung past its deadline")
	}
	var ie *IncompleteError
	if !errors.As(r.Err, &ie) {
		t.Fatalf("err %v, want *IncompleteError", r.Err)
	}
	if len(r.Keys) != 1 || len(r.Keys)+len(r.NotRetrieved) != 3 || len(ie.Types) != 2 {
		t.Errorf("keys %d, not retrieved %+v, incomplete %q: every offered type must be accounted for", len(r.Keys), r.NotRetrieved, ie.Types)
	}
}

// A certificate dated past the year 9999 made every JSON report fail
// ("writing output"), so a hostile server could break a fleet's report.
func TestCertificateDatesFitJSON(t *testing.T) {
	ed, _, _ := signers(t)
	ca, _, _ := signers(t)
	cert := &ssh.Certificate{Key: ed.PublicKey(), CertType: ssh.HostCert, KeyId: "far",
		ValidAfter: 1 << 62, ValidBefore: 1<<63 + 5}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	k := NewKey(cert, cert.Type())
	if _, err := json.Marshal(k); err != nil {
		t.Fatalf("json: %v", err)
	}
	if k.Cert.ValidAfter.Year() != 9999 || k.Cert.ValidBefore.Year() != 9999 {
		t.Errorf("dates %v %v, want clamped to 9999", k.Cert.ValidAfter, k.Cert.ValidBefore)
	}
}
