package sshdial

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/knownhosts"
)

// writeKey writes priv as an OpenSSH key file named name in dir, encrypted
// when pass is set.
func writeKey(t testing.TB, dir, name string, priv ed25519.PrivateKey, pass string) string {
	t.Helper()
	var blk *pem.Block
	var err error
	if pass != "" {
		blk, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(pass))
	} else {
		blk, err = ssh.MarshalPrivateKey(priv, "test")
	}
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func newUserKey(t testing.TB) (ed25519.PrivateKey, ssh.PublicKey) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

// prompts records the passphrase prompts and, in the same list, when the
// host key was verified: the order is the point.
type prompts struct {
	mu     sync.Mutex
	calls  []string
	answer string
}

func (p *prompts) passphrase(path string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, "passphrase "+filepath.Base(path))
	return []byte(p.answer), nil
}

func (p *prompts) event(e Event) {
	if e.Kind == EventVerified {
		p.mu.Lock()
		p.calls = append(p.calls, "verified")
		p.mu.Unlock()
	}
}

func (p *prompts) asked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.calls {
		if strings.HasPrefix(c, "passphrase ") {
			n++
		}
	}
	return n
}

// An encrypted default identity is offered by its public key, and its
// passphrase asked only when the server accepts that key, after the host
// key checked out; a server that refuses it never causes a prompt. A
// passphrase that does not decrypt it skips the key with a warning, an
// empty one quietly, and the keys after it are still offered.
func TestAuthEncryptedDefaultKeyAskedOnlyWhenAccepted(t *testing.T) {
	dir := t.TempDir()
	encPriv, encPub := newUserKey(t)
	plainPriv, plainPub := newUserKey(t)
	enc := writeKey(t, dir, "id_ed25519", encPriv, "sesame")
	plain := writeKey(t, dir, "id_ecdsa", plainPriv, "")
	if _, err := ssh.ParsePrivateKey(mustReadBytes(t, enc)); !errors.As(err, new(*ssh.PassphraseMissingError)) {
		t.Fatalf("the test key is not encrypted: %v", err)
	}
	for _, tc := range []struct {
		name      string
		accept    []ssh.PublicKey // the server's authorized keys
		defaults  []string
		encrypted bool // EncryptedDefaultKeys
		answer    string
		asked     int
		password  bool // the login fell back to the password
		fails     bool
		warning   bool
	}{
		{name: "accepted", accept: []ssh.PublicKey{encPub}, defaults: []string{enc}, encrypted: true, answer: "sesame", asked: 1},
		{name: "refused, password", defaults: []string{enc}, encrypted: true, answer: "sesame", password: true},
		{name: "refused, next key", accept: []ssh.PublicKey{plainPub}, defaults: []string{enc, plain}, encrypted: true, answer: "sesame"},
		{name: "not offered without EncryptedDefaultKeys", accept: []ssh.PublicKey{encPub}, defaults: []string{enc}, answer: "sesame", password: true},
		{name: "wrong passphrase, next key", accept: []ssh.PublicKey{encPub, plainPub}, defaults: []string{enc, plain}, encrypted: true, answer: "wrong", asked: 1, warning: true},
		{name: "wrong passphrase, password", accept: []ssh.PublicKey{encPub}, defaults: []string{enc}, encrypted: true, answer: "wrong", asked: 1, password: true, warning: true},
		{name: "empty passphrase skips quietly", accept: []ssh.PublicKey{encPub, plainPub}, defaults: []string{enc, plain}, encrypted: true, asked: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, serverConfig{userKeys: tc.accept, password: "hunter2"})
			f, _ := pinFile(t, s.Host, s.Port, s.cfg.hostKeys[0].PublicKey())
			p := &prompts{answer: tc.answer}
			ev := &events{}
			o := s.options("", f)
			o.Events = func(e Event) { p.event(e); ev.add(e) }
			passwords := 0
			o.Auth = Auth{
				DefaultKeyFiles:      tc.defaults,
				EncryptedDefaultKeys: tc.encrypted,
				Passphrase:           p.passphrase,
				Password: func(string, string, int) (string, error) {
					passwords++
					return "hunter2", nil
				},
			}
			c, err := Dial(context.Background(), o)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			c.Close()
			if p.asked() != tc.asked {
				t.Errorf("asked for the passphrase %d times, want %d: %q", p.asked(), tc.asked, p.calls)
			}
			if tc.asked > 0 && p.calls[0] != "verified" {
				t.Errorf("calls %q: the passphrase was asked before the host key was verified", p.calls)
			}
			if (passwords > 0) != tc.password {
				t.Errorf("%d password prompts; want the password used: %v", passwords, tc.password)
			}
			if ev.has(EventWarning) != tc.warning {
				t.Errorf("events %v; want a warning: %v", ev.all, tc.warning)
			}
		})
	}

	// A server that refuses the key and has nothing else to try: an
	// AuthError, and still no prompt.
	s := startServer(t, serverConfig{userKeys: []ssh.PublicKey{plainPub}})
	f, _ := pinFile(t, s.Host, s.Port, s.cfg.hostKeys[0].PublicKey())
	p := &prompts{answer: "sesame"}
	o := s.options("", f)
	o.Auth = Auth{DefaultKeyFiles: []string{enc}, EncryptedDefaultKeys: true, Passphrase: p.passphrase}
	var ae *AuthError
	if _, err := Dial(context.Background(), o); !errors.As(err, &ae) || p.asked() != 0 {
		t.Errorf("Dial: %v, %d prompts; want an AuthError and none", err, p.asked())
	}
}

func mustReadBytes(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A PEM key file holds no public key in the clear: the .pub file beside
// it stands in. Without one the key is not offered (and nobody asked); a
// .pub that belongs to another key is caught once decrypted, and skipped
// with a warning.
func TestAuthEncryptedDefaultPEMKey(t *testing.T) {
	keygen := testpeer.Require(t, "ssh-keygen")
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ecdsa")
	other := filepath.Join(dir, "other")
	for _, p := range []string{key, other} {
		if out, err := exec.Command(keygen, "-q", "-t", "ecdsa", "-m", "PEM", "-N", "sesame", "-f", p).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	if b := mustReadBytes(t, key); !strings.Contains(string(b), "Proc-Type: 4,ENCRYPTED") {
		t.Fatalf("ssh-keygen -m PEM -N wrote:\n%s", b)
	}
	pubLine := mustReadBytes(t, key+".pub")
	otherLine := mustReadBytes(t, other+".pub")
	parse := func(b []byte) ssh.PublicKey {
		k, _, _, _, err := ssh.ParseAuthorizedKey(b)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	for _, tc := range []struct {
		name    string
		pub     []byte // the .pub file; nil for none
		accept  ssh.PublicKey
		asked   int
		ok      bool
		warning bool
	}{
		{name: "with its .pub", pub: pubLine, accept: parse(pubLine), asked: 1, ok: true},
		{name: "without a .pub", accept: parse(pubLine)},
		{name: "with another key's .pub", pub: otherLine, accept: parse(otherLine), asked: 1, warning: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(key + ".pub")
			if tc.pub != nil {
				os.WriteFile(key+".pub", tc.pub, 0o644)
			}
			s := startServer(t, serverConfig{userKeys: []ssh.PublicKey{tc.accept}})
			f, _ := pinFile(t, s.Host, s.Port, s.cfg.hostKeys[0].PublicKey())
			p := &prompts{answer: "sesame"}
			ev := &events{}
			o := s.options("", f)
			o.Events = ev.add
			o.Auth = Auth{DefaultKeyFiles: []string{key}, EncryptedDefaultKeys: true, Passphrase: p.passphrase}
			c, err := Dial(context.Background(), o)
			if tc.ok != (err == nil) {
				t.Fatalf("Dial: %v", err)
			}
			if c != nil {
				c.Close()
			}
			if p.asked() != tc.asked || ev.has(EventWarning) != tc.warning {
				t.Errorf("%d prompts, events %v; want %d prompts, a warning: %v", p.asked(), ev.all, tc.asked, tc.warning)
			}
		})
	}
}

// A default identity the agent holds is the agent's to use: no prompt
// for the file's copy.
func TestAuthEncryptedDefaultKeyHeldByAgent(t *testing.T) {
	priv, pub := newUserKey(t)
	enc := writeKey(t, t.TempDir(), "id_ed25519", priv, "sesame")
	s := startServer(t, serverConfig{userKeys: []ssh.PublicKey{pub}})
	f, _ := pinFile(t, s.Host, s.Port, s.cfg.hostKeys[0].PublicKey())
	p := &prompts{answer: "sesame"}
	o := s.options("", f)
	o.Auth = Auth{DefaultKeyFiles: []string{enc}, EncryptedDefaultKeys: true, Passphrase: p.passphrase, AgentSocket: serveAgent(t, priv)}
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.Close()
	if p.asked() != 0 {
		t.Errorf("asked for the passphrase of a key the agent holds: %q", p.calls)
	}
}

// Through jump hosts the same default identity is decrypted once: the
// passphrase is not asked again for every host of the chain.
func TestSSHDEncryptedDefaultKeyOncePerChain(t *testing.T) {
	keygen := testpeer.Require(t, "ssh-keygen")
	key := filepath.Join(t.TempDir(), "id_ed25519")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "sesame", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	line := strings.TrimSpace(string(mustReadBytes(t, key+".pub")))
	bastion := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, AuthorizedKeys: []string{line}, Extra: []string{"AllowTcpForwarding yes"}})
	tgt := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ecdsa"}, AuthorizedKeys: []string{line}})
	fb, _ := pinFile(t, bastion.Host, bastion.Port, bastion.Keys(t)...)
	ft, _ := pinFile(t, tgt.Host, tgt.Port, tgt.Keys(t)...)
	p := &prompts{answer: "sesame"}
	auth := Auth{DefaultKeyFiles: []string{key}, EncryptedDefaultKeys: true, Passphrase: p.passphrase}
	o := sshdOptions(t, tgt, "", "", ft)
	o.Pinned = knownhosts.NewSet(fb, ft)
	o.Auth = auth
	o.Jump = []Hop{{Host: bastion.Host, Port: bastion.Port, User: o.User, Auth: auth}}
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.Close()
	if p.asked() != 1 {
		t.Errorf("asked %d times through a bastion: %q", p.asked(), p.calls)
	}
}

// Against real sshds, with keys ssh-keygen encrypted (bcrypt, as OpenSSH
// writes them): one server authorizes them, and the passphrase is asked
// once, an RSA key signing with the rsa-sha2 algorithm sshd requires; the
// other does not, and it is never asked, though the key was offered and
// refused (sshd logs its fingerprint) before the next one logged in.
func TestSSHDEncryptedDefaultKeyAskedOnlyWhenAccepted(t *testing.T) {
	keygen := testpeer.Require(t, "ssh-keygen")
	type encKey struct {
		path, line string
		pub        ssh.PublicKey
	}
	gen := func(args ...string) encKey {
		p := filepath.Join(t.TempDir(), "id")
		if out, err := exec.Command(keygen, append([]string{"-q", "-N", "sesame", "-f", p}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		line := strings.TrimSpace(string(mustReadBytes(t, p+".pub")))
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		return encKey{p, line, pub}
	}
	ed, rsa := gen("-t", "ed25519"), gen("-t", "rsa", "-b", "2048")
	plain, plainLine := testpeer.ClientKey(t, "ed25519")
	debug := []string{"LogLevel DEBUG1"}
	takes := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, AuthorizedKeys: []string{ed.line, rsa.line}, Extra: debug})
	refuses := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, AuthorizedKeys: []string{plainLine}, Extra: debug})

	for _, tc := range []struct {
		name  string
		peer  *testpeer.Peer
		key   encKey
		asked int
	}{
		{"authorized", takes, ed, 1},
		{"authorized rsa", takes, rsa, 1},
		{"not authorized", refuses, ed, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := pinFile(t, tc.peer.Host, tc.peer.Port, tc.peer.Keys(t)...)
			p := &prompts{answer: "sesame"}
			o := sshdOptions(t, tc.peer, "", "", f)
			o.Events = p.event
			o.Auth = Auth{DefaultKeyFiles: []string{tc.key.path, plain}, EncryptedDefaultKeys: true, Passphrase: p.passphrase}
			c, err := Dial(context.Background(), o)
			if err != nil {
				t.Fatalf("Dial: %v\n%s", err, tc.peer.Log())
			}
			c.Close()
			if p.asked() != tc.asked {
				t.Errorf("asked %d times, want %d: %q", p.asked(), tc.asked, p.calls)
			}
			if tc.asked > 0 && !slices.Equal(p.calls, []string{"verified", "passphrase id"}) {
				t.Errorf("calls %q, want the host verified before the passphrase", p.calls)
			}
			tc.peer.Idle(t)
			if fp := ssh.FingerprintSHA256(tc.key.pub); !strings.Contains(tc.peer.Log(), fp) {
				t.Errorf("sshd did not see the encrypted key %s offered:\n%s", fp, tc.peer.Log())
			}
		})
	}
}
