package sshdial

import (
	"context"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/sshtest"
	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/knownhosts"
)

// testServer is sshtest's in-process server, for the cases a real sshd
// cannot be made to produce: a server that never speaks, one that counts
// every user-auth request it receives. Its sessions answer "exec" with
// the command.
type testServer struct {
	*sshtest.Server
	accepted chan struct{}
	cfg      serverConfig
}

type serverConfig struct {
	hostKeys []ssh.Signer    // default: one fresh ed25519 key
	userKeys []ssh.PublicKey // accepted by publickey
	password string          // accepted by password and keyboard-interactive, if set
	kbdOnly  bool            // offer keyboard-interactive, not password
	hang     bool            // accept TCP and never speak
	version  string          // the server's SSH version line, when set
}

func startServer(t testing.TB, cfg serverConfig) *testServer {
	t.Helper()
	if len(cfg.hostKeys) == 0 {
		cfg.hostKeys = []ssh.Signer{newHostKey(t, "ed25519")}
	}
	s := &testServer{cfg: cfg}
	s.Server = sshtest.Start(t, sshtest.Config{HostKeys: cfg.hostKeys, UserKeys: cfg.userKeys, Password: cfg.password,
		KbdOnly: cfg.kbdOnly, Hang: cfg.hang, Version: cfg.version})
	s.accepted = s.Accepted
	return s
}

func newHostKey(t testing.TB, typ string) ssh.Signer { return sshtest.NewHostKey(t, typ) }

func pinFile(t testing.TB, host string, port int, keys ...ssh.PublicKey) (*knownhosts.File, string) {
	t.Helper()
	return sshtest.PinFile(t, host, port, keys...)
}

func userKey(t testing.TB, passphrase string) (string, ssh.PublicKey) {
	t.Helper()
	return sshtest.UserKey(t, passphrase)
}

// options returns Options for s with the user's key and the pinned file.
func (s *testServer) options(key string, pinned ...*knownhosts.File) Options {
	return Options{
		Host:    s.Host,
		Port:    s.Port,
		User:    "tester",
		Pinned:  knownhosts.NewSet(pinned...),
		Timeout: 10 * time.Second,
		Auth:    Auth{KeyFiles: []string{key}},
	}
}

// dialServer starts a server that accepts a fresh user key, pins its host
// key, and dials it.
func dialServer(t testing.TB, cfg serverConfig) (*testServer, *Client, *events) {
	t.Helper()
	keyPath, pub := userKey(t, "")
	cfg.userKeys = append(cfg.userKeys, pub)
	s := startServer(t, cfg)
	f, _ := pinFile(t, s.Host, s.Port, s.cfg.hostKeys[0].PublicKey())
	ev := &events{}
	o := s.options(keyPath, f)
	o.Events = ev.add
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return s, c, ev
}

// events records what Dial reported.
type events struct {
	mu  sync.Mutex
	all []Event
}

func (e *events) add(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) kinds() []EventKind {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []EventKind
	for _, ev := range e.all {
		out = append(out, ev.Kind)
	}
	return out
}

// sshdOptions dials a real sshd as user (the current one if "") with key.
func sshdOptions(t testing.TB, p *testpeer.Peer, user, key string, f *knownhosts.File) Options {
	if user == "" {
		user = testpeer.CurrentUser()
	}
	return Options{Host: p.Host, Port: p.Port, User: user, Pinned: knownhosts.NewSet(f), Timeout: 20 * time.Second, Auth: Auth{KeyFiles: []string{key}}}
}

func (e *events) has(k EventKind) bool {
	for _, got := range e.kinds() {
		if got == k {
			return true
		}
	}
	return false
}
