package sshdial

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/knownhosts"
)

func TestDialVerified(t *testing.T) {
	s, c, ev := dialServer(t, serverConfig{})
	if !bytes.Equal(c.HostKey().Marshal(), s.cfg.hostKeys[0].PublicKey().Marshal()) {
		t.Errorf("HostKey is not the server's")
	}
	if c.Addr() != s.Addr {
		t.Errorf("Addr = %q, want %q", c.Addr(), s.Addr)
	}
	if got := ev.kinds(); !slices.Equal(got, []EventKind{EventVerified}) {
		t.Errorf("events = %v, want [EventVerified]", got)
	}
}

// A refused host must not see a user name or a credential: the server
// counts every user-auth request, "none" included.
func TestDialRefusesBeforeAuth(t *testing.T) {
	keyPath, pub := userKey(t, "")
	other := newHostKey(t, "ed25519").PublicKey()
	for _, tc := range []struct {
		name   string
		pins   func(s *testServer) []ssh.PublicKey
		extra  string
		reason HostKeyReason
	}{
		{"mismatch", func(*testServer) []ssh.PublicKey { return []ssh.PublicKey{other} }, "", KeyMismatch},
		{"unknown", func(*testServer) []ssh.PublicKey { return nil }, "", KeyUnknown},
		{"revoked", func(s *testServer) []ssh.PublicKey { return []ssh.PublicKey{s.cfg.hostKeys[0].PublicKey()} }, "revoked", KeyRevoked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, serverConfig{userKeys: []ssh.PublicKey{pub}, password: "secret"})
			f, path := pinFile(t, s.Host, s.Port, tc.pins(s)...)
			if tc.extra == "revoked" {
				line := "@revoked * " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.cfg.hostKeys[0].PublicKey()))) + "\n"
				appendFile(t, path, line)
				f = mustRead(t, path)
			}
			asked := 0
			o := s.options(keyPath, f)
			o.Auth.Password = func(string, string, int) (string, error) { asked++; return "secret", nil }
			_, err := Dial(context.Background(), o)
			var hke *HostKeyError
			if !errors.As(err, &hke) || hke.Reason != tc.reason {
				t.Fatalf("Dial: %v, want a HostKeyError %v", err, tc.reason)
			}
			if !bytes.Equal(hke.Key.Marshal(), s.cfg.hostKeys[0].PublicKey().Marshal()) {
				t.Errorf("the error names another key than the server's")
			}
			if n := s.AuthAttempts.Load(); n != 0 {
				t.Errorf("the server saw %d user-auth requests, want none", n)
			}
			if asked != 0 {
				t.Errorf("the password was asked for %d times", asked)
			}
		})
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t testing.TB, path string) *knownhosts.File {
	t.Helper()
	f, err := knownhosts.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// golang/go#29286: a server with an ed25519 and an ecdsa key, of which
// only ecdsa is pinned. Offering x/crypto's defaults, the server would
// sign with ed25519 and look like a machine in the middle.
func TestDialOffersOnlyPinnedTypes(t *testing.T) {
	keyPath, pub := userKey(t, "")
	ed, ec := newHostKey(t, "ed25519"), newHostKey(t, "ecdsa")
	s := startServer(t, serverConfig{hostKeys: []ssh.Signer{ed, ec}, userKeys: []ssh.PublicKey{pub}})
	f, _ := pinFile(t, s.Host, s.Port, ec.PublicKey())
	c, err := Dial(context.Background(), s.options(keyPath, f))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	if c.HostKey().Type() != ssh.KeyAlgoECDSA256 {
		t.Errorf("the server proved %s, want the pinned ecdsa", c.HostKey().Type())
	}
}

func TestDialNoCommonType(t *testing.T) {
	keyPath, pub := userKey(t, "")
	s := startServer(t, serverConfig{userKeys: []ssh.PublicKey{pub}}) // ed25519 only
	f, _ := pinFile(t, s.Host, s.Port, newHostKey(t, "ecdsa").PublicKey())
	_, err := Dial(context.Background(), s.options(keyPath, f))
	var hke *HostKeyError
	if !errors.As(err, &hke) || hke.Reason != KeyNoCommonType {
		t.Fatalf("Dial: %v, want KeyNoCommonType", err)
	}
	if !slices.Contains(hke.Offer, ssh.KeyAlgoED25519) || !slices.Equal(hke.Pinned, []string{ssh.KeyAlgoECDSA256}) {
		t.Errorf("offer %v, pinned %v", hke.Offer, hke.Pinned)
	}
	if s.AuthAttempts.Load() != 0 {
		t.Errorf("the server saw a user-auth request")
	}
}

// A pin of a type only the legacy algorithms can verify fails before any
// connection, and says --legacy would help.
func TestDialLegacyPinNeedsLegacy(t *testing.T) {
	dsa := "AAAAB3NzaC1kc3MAAACBAP1/U4EddRIpUt9KnC7s5Of2EbdSPO9EAMMeP4C2USZpRV1AIlH7WT2NWPq/xfW6MPbLm1Vs14E7gB00b/JmYLdrmVClpJ+f6AR7ECLCT7up1/63xhv4O1fnxqimFQ8E+4P208UewwI1VBNaFpEy9nXzrith1yrv8iIDGZ3RSAHHAAAAFQCXYFCPFSMLzLKSuYKi64QL8Fgc9QAAAIEA9+GghdabPd7LvKtcNrhXuXmUr7v6OuqC+VdMCz0HgmdRWVeOutRZT+ZxBxCBgLRJFnEj6EwoFhO3zwkyjMim4TwWeotUfI0o4KOuHiuzpnWRbqN/C/ohNWLx+2J6ASQ7zKTxvqhRkImog9/hWuWfBpKLZl6Ae1UlZAFMO/7PSSoAAACBAJ3qDJ0GcVrSLYjkIsGpTWOcOPOMVlvQmKDuxGVWn7vJZpAdzbPHp6H0j8wkPv7gLgHE/vQFBgDeuU2W+O+GK9NCGe6HUYcr3FZfy7Y8hsRcwDPSWZG/1VWNGF3TSS8U5hnIgNBxBmUE2hVY1x7u5xqMVzZYKqUeMmAcHGl04r5x"
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte("ssh-dss " + dsa))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := pinFile(t, "127.0.0.1", 2222, pub)
	_, err = Dial(context.Background(), Options{Host: "127.0.0.1", Port: 2222, User: "u", Pinned: knownhosts.NewSet(f), Timeout: time.Second})
	var hke *HostKeyError
	if !errors.As(err, &hke) || hke.Reason != KeyNoCommonType || !hke.Legacy {
		t.Fatalf("Dial: %v, want KeyNoCommonType needing legacy", err)
	}
}

func TestDialTrustOnFirstUse(t *testing.T) {
	keyPath, pub := userKey(t, "")
	s := startServer(t, serverConfig{userKeys: []ssh.PublicKey{pub}})
	f, path := pinFile(t, s.Host, s.Port) // nothing pinned
	ev := &events{}
	o := s.options(keyPath, f)
	o.TrustOnFirstUse, o.TrustFile, o.Events = true, path, ev.add
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.Close()
	if !ev.has(EventTrusted) {
		t.Errorf("no EventTrusted: %v", ev.kinds())
	}
	// Now pinned: a strict dial passes.
	o = s.options(keyPath, mustRead(t, path))
	c, err = Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("strict Dial after trust on first use: %v", err)
	}
	c.Close()
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "# pinned by a test\n") || !strings.Contains(string(b), "ssh-ed25519 ") {
		t.Errorf("pinned file:\n%s", b)
	}
}

// Trust on first use never overrides a pin: a mismatch stays a mismatch
// and the file is not touched.
func TestDialTrustOnFirstUseNeverOnMismatch(t *testing.T) {
	keyPath, pub := userKey(t, "")
	s := startServer(t, serverConfig{userKeys: []ssh.PublicKey{pub}})
	f, path := pinFile(t, s.Host, s.Port, newHostKey(t, "ed25519").PublicKey())
	before, _ := os.ReadFile(path)
	o := s.options(keyPath, f)
	o.TrustOnFirstUse, o.TrustFile = true, path
	_, err := Dial(context.Background(), o)
	var hke *HostKeyError
	if !errors.As(err, &hke) || hke.Reason != KeyMismatch {
		t.Fatalf("Dial: %v, want a mismatch", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("the pinned file changed on a mismatch")
	}
	if s.AuthAttempts.Load() != 0 {
		t.Errorf("the server saw a user-auth request")
	}
}

// Another run may pin the host between our read of the file and the key
// exchange: trust on first use must then verify against that pin.
func TestDialTrustOnFirstUseRacesAPin(t *testing.T) {
	keyPath, pub := userKey(t, "")
	s := startServer(t, serverConfig{userKeys: []ssh.PublicKey{pub}})
	f, path := pinFile(t, s.Host, s.Port) // read while empty
	impostor := newHostKey(t, "ed25519").PublicKey()
	appendFile(t, path, "[127.0.0.1]:"+strconv.Itoa(s.Port)+" "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(impostor)))+"\n")
	o := s.options(keyPath, f)
	o.TrustOnFirstUse, o.TrustFile = true, path
	_, err := Dial(context.Background(), o)
	var hke *HostKeyError
	if !errors.As(err, &hke) || hke.Reason != KeyMismatch {
		t.Fatalf("Dial: %v, want a mismatch against the pin made meanwhile", err)
	}
	if s.AuthAttempts.Load() != 0 {
		t.Errorf("the server saw a user-auth request")
	}
}

func TestDialInsecureAcceptAny(t *testing.T) {
	keyPath, pub := userKey(t, "")
	s := startServer(t, serverConfig{userKeys: []ssh.PublicKey{pub}})
	f, _ := pinFile(t, s.Host, s.Port, newHostKey(t, "ed25519").PublicKey()) // even a mismatch
	ev := &events{}
	o := s.options(keyPath, f)
	o.InsecureAcceptAny, o.Events = true, ev.add
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.Close()
	if got := ev.kinds(); !slices.Equal(got, []EventKind{EventUnverified}) {
		t.Errorf("events = %v, want [EventUnverified]", got)
	}
}

func TestDialTimeout(t *testing.T) {
	s := startServer(t, serverConfig{hang: true})
	f, _ := pinFile(t, s.Host, s.Port, newHostKey(t, "ed25519").PublicKey())
	o := s.options("", f)
	o.Auth = Auth{}
	o.Timeout = 100 * time.Millisecond
	_, err := Dial(context.Background(), o)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Dial: %v, want ErrTimeout", err)
	}
}

func TestDialCancelled(t *testing.T) {
	s := startServer(t, serverConfig{hang: true})
	f, _ := pinFile(t, s.Host, s.Port, newHostKey(t, "ed25519").PublicKey())
	o := s.options("", f)
	o.Auth = Auth{}
	o.Timeout = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel once the server holds the connection: the dial must not
		// wait for the hour.
		<-s.accepted
		cancel()
	}()
	_, err := Dial(ctx, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial: %v, want context.Canceled", err)
	}
}

func TestDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	f, _ := pinFile(t, "127.0.0.1", port, newHostKey(t, "ed25519").PublicKey())
	_, err = Dial(context.Background(), Options{Host: "127.0.0.1", Port: port, User: "u", Pinned: knownhosts.NewSet(f), Timeout: 5 * time.Second})
	var ce *ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("Dial: %v, want a ConnectError", err)
	}
}

func TestAuthEncryptedKeyAfterVerification(t *testing.T) {
	keyPath, pub := userKey(t, "correct horse")
	s := startServer(t, serverConfig{userKeys: []ssh.PublicKey{pub}})
	f, _ := pinFile(t, s.Host, s.Port, s.cfg.hostKeys[0].PublicKey())
	var order []string
	o := s.options(keyPath, f)
	o.Events = func(e Event) {
		if e.Kind == EventVerified {
			order = append(order, "verified")
		}
	}
	o.Auth.Passphrase = func(p string) ([]byte, error) {
		order = append(order, "passphrase "+filepath.Base(p))
		return []byte("correct horse"), nil
	}
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.Close()
	if !slices.Equal(order, []string{"verified", "passphrase id_ed25519"}) {
		t.Errorf("order = %q, want the host verified before the passphrase is asked", order)
	}

	// A refused host never gets to the prompt.
	f2, _ := pinFile(t, s.Host, s.Port, newHostKey(t, "ed25519").PublicKey())
	order = nil
	o.Pinned = knownhosts.NewSet(f2)
	if _, err := Dial(context.Background(), o); err == nil {
		t.Fatal("Dial with a wrong pin succeeded")
	}
	if len(order) != 0 {
		t.Errorf("calls %q for a refused host", order)
	}
}

// PEM keys, as ssh-keygen -m PEM writes them (and older tools did by
// default), plain and encrypted; a wrong passphrase skips the key with a
// warning, as ssh does.
func TestAuthPEMKeys(t *testing.T) {
	keygen := testpeer.Require(t, "ssh-keygen")
	dir := t.TempDir()
	plain, enc := filepath.Join(dir, "plain"), filepath.Join(dir, "enc")
	for _, k := range []struct{ path, pass string }{{plain, ""}, {enc, "right"}} {
		out, err := exec.Command(keygen, "-q", "-t", "ecdsa", "-m", "PEM", "-N", k.pass, "-f", k.path).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		if b, _ := os.ReadFile(k.path); !bytes.HasPrefix(b, []byte("-----BEGIN EC PRIVATE KEY-----")) {
			t.Fatalf("ssh-keygen -m PEM wrote:\n%s", b)
		}
	}
	pub := func(p string) ssh.PublicKey {
		b, err := os.ReadFile(p + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		k, _, _, _, err := ssh.ParseAuthorizedKey(b)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	s := startServer(t, serverConfig{userKeys: []ssh.PublicKey{pub(plain), pub(enc)}})
	f, _ := pinFile(t, s.Host, s.Port, s.cfg.hostKeys[0].PublicKey())
	for _, tc := range []struct {
		name, key, pass string
		ok              bool
	}{
		{"plain", plain, "", true},
		{"encrypted", enc, "right", true},
		{"wrong passphrase", enc, "wrong", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := &events{}
			o := s.options(tc.key, f)
			o.Events = ev.add
			o.Auth.Passphrase = func(string) ([]byte, error) { return []byte(tc.pass), nil }
			c, err := Dial(context.Background(), o)
			if tc.ok {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				c.Close()
				return
			}
			var ae *AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("Dial: %v, want an AuthError", err)
			}
			if !ev.has(EventWarning) {
				t.Errorf("no warning about the key that could not be decrypted")
			}
		})
	}
}

func TestAuthKeyFileErrors(t *testing.T) {
	s := startServer(t, serverConfig{})
	f, _ := pinFile(t, s.Host, s.Port, s.cfg.hostKeys[0].PublicKey())
	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("not a key"), 0o600)
	for _, p := range []string{filepath.Join(t.TempDir(), "missing"), bad} {
		_, err := Dial(context.Background(), s.options(p, f))
		var kfe *KeyFileError
		if !errors.As(err, &kfe) || kfe.Path != p {
			t.Errorf("Dial with identity %s: %v, want a KeyFileError", p, err)
		}
	}
	if s.Sessions.Load() != 0 || s.AuthAttempts.Load() != 0 {
		t.Errorf("a bad identity file still reached the server")
	}
}

func TestAuthPassword(t *testing.T) {
	for _, kbd := range []bool{false, true} {
		name := "password"
		if kbd {
			name = "keyboard-interactive"
		}
		t.Run(name, func(t *testing.T) {
			s := startServer(t, serverConfig{password: "hunter2", kbdOnly: kbd})
			f, _ := pinFile(t, s.Host, s.Port, s.cfg.hostKeys[0].PublicKey())
			o := s.options("", f)
			o.Auth = Auth{}
			var attempts []int
			o.Auth.Password = func(user, addr string, attempt int) (string, error) {
				attempts = append(attempts, attempt)
				if user != "tester" || addr != s.Addr {
					t.Errorf("prompt for %s@%s", user, addr)
				}
				if attempt == 1 {
					return "wrong", nil
				}
				return "hunter2", nil
			}
			c, err := Dial(context.Background(), o)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			c.Close()
			if !slices.Equal(attempts, []int{1, 2}) {
				t.Errorf("attempts %v, want a retry after the wrong password", attempts)
			}
		})
	}
}

func TestAuthFailure(t *testing.T) {
	keyPath, _ := userKey(t, "")
	s := startServer(t, serverConfig{}) // accepts no key
	f, _ := pinFile(t, s.Host, s.Port, s.cfg.hostKeys[0].PublicKey())
	_, err := Dial(context.Background(), s.options(keyPath, f))
	var ae *AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("Dial: %v, want an AuthError", err)
	}
	if !slices.Equal(ae.Tried, []string{"publickey (1 keys)"}) {
		t.Errorf("Tried = %q", ae.Tried)
	}
}

// The agent's keys are offered after the identity files, in one publickey
// method (x/crypto would skip a second one).
func TestAuthAgent(t *testing.T) {
	keyPath, _ := userKey(t, "") // not accepted
	agentPub, agentPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(agentPub)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, serverConfig{userKeys: []ssh.PublicKey{sshPub}})
	f, _ := pinFile(t, s.Host, s.Port, s.cfg.hostKeys[0].PublicKey())
	sock := serveAgent(t, agentPriv)
	o := s.options(keyPath, f)
	o.Auth.AgentSocket = sock
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.Close()

	// An unreachable agent is a warning, not a failure of its own.
	ev := &events{}
	o.Auth.AgentSocket = filepath.Join(t.TempDir(), "no-agent")
	o.Events = ev.add
	_, err = Dial(context.Background(), o)
	var ae *AuthError
	if !errors.As(err, &ae) || !ev.has(EventWarning) {
		t.Fatalf("Dial: %v, events %v; want an AuthError and a warning", err, ev.kinds())
	}
}

func serveAgent(t *testing.T, priv ed25519.PrivateKey) string {
	t.Helper()
	kr := agent.NewKeyring()
	if err := kr.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				agent.ServeAgent(kr, c)
			}()
		}
	}()
	return sock
}

// The Client is the *ssh.Client it embeds: sessions run on it, and Close
// ends the connection.
func TestDialClientRunsSessions(t *testing.T) {
	s, c, _ := dialServer(t, serverConfig{})
	if c.Target() != s.Addr {
		t.Errorf("Target = %q, want %q", c.Target(), s.Addr)
	}
	if m := c.Pins(); m == nil || !m.Found() {
		t.Errorf("Pins = %v, want the pinned match", m)
	}
	ses, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := ses.Output("echo hello")
	if err != nil || string(out) != "echo hello" {
		t.Fatalf("Output = %q, %v; want the server's echo of the command", out, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NewSession(); err == nil {
		t.Error("NewSession after Close succeeded")
	}
}
