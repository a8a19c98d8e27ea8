package sftpx

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	pathpkg "path"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"

	"github.com/sshpin/sshpin/knownhosts"
)

// testServer is an in-process SSH server that serves SFTP from handlers,
// for the cases a real sshd cannot be made to produce: a connection cut
// mid-transfer, a write that silently loses data, a server without
// posix-rename, a stall.
type testServer struct {
	Host string
	Port int
	Addr string

	// AuthAttempts counts every user-auth request the server received,
	// "none" included: the proof that a refused host saw no credential.
	AuthAttempts atomic.Int64
	Sessions     atomic.Int64

	accepted chan struct{} // one value per accepted connection, never blocking

	fs  *memFS
	cfg serverConfig
	ln  net.Listener
	wg  sync.WaitGroup
}

type serverConfig struct {
	hostKeys []ssh.Signer    // default: one fresh ed25519 key
	userKeys []ssh.PublicKey // accepted by publickey
	password string          // accepted by password and keyboard-interactive, if set
	kbdOnly  bool            // offer keyboard-interactive, not password
	// wrap lets a test replace the handlers of one connection (whose raw
	// net.Conn it gets, to cut) and the SFTP stream (to filter packets).
	wrap       func(conn net.Conn, h sftp.Handlers) sftp.Handlers
	wrapStream func(rwc io.ReadWriteCloser) io.ReadWriteCloser
	// hang: accept TCP and never speak.
	hang bool
	// rekey: the server re-keys after this many bytes (0: x/crypto's
	// default).
	rekey uint64
	// version is the server's SSH version line, when set.
	version string
}

func newHostKey(t testing.TB, typ string) ssh.Signer {
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
		t.Fatalf("newHostKey: %s", typ)
	}
	s, err := ssh.NewSignerFromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func startServer(t testing.TB, cfg serverConfig) *testServer {
	t.Helper()
	if len(cfg.hostKeys) == 0 {
		cfg.hostKeys = []ssh.Signer{newHostKey(t, "ed25519")}
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Addr: ln.Addr().String(), cfg: cfg, ln: ln, accepted: make(chan struct{}, 100)}
	s.fs = newMemFS(t)
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			select {
			case s.accepted <- struct{}{}:
			default:
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				s.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *testServer) serve(c net.Conn) {
	if s.cfg.hang {
		io.Copy(io.Discard, c) // until the client or the cleanup closes it
		return
	}
	sc := &ssh.ServerConfig{
		Config:          ssh.Config{RekeyThreshold: s.cfg.rekey},
		AuthLogCallback: func(ssh.ConnMetadata, string, error) { s.AuthAttempts.Add(1) },
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			for _, k := range s.cfg.userKeys {
				if bytes.Equal(k.Marshal(), key.Marshal()) {
					return nil, nil
				}
			}
			return nil, errors.New("unknown key")
		},
	}
	if s.cfg.password != "" && !s.cfg.kbdOnly {
		sc.PasswordCallback = func(_ ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if string(pw) == s.cfg.password {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		}
	}
	if s.cfg.password != "" && s.cfg.kbdOnly {
		sc.KeyboardInteractiveCallback = func(_ ssh.ConnMetadata, ch ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			ans, err := ch("", "", []string{"Password: "}, []bool{false})
			if err != nil {
				return nil, err
			}
			if len(ans) == 1 && ans[0] == s.cfg.password {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		}
	}
	for _, k := range s.cfg.hostKeys {
		sc.AddHostKey(k)
	}
	if s.cfg.version != "" {
		sc.ServerVersion = s.cfg.version
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
				if req.Type != "subsystem" || len(req.Payload) < 4 || string(req.Payload[4:]) != "sftp" {
					req.Reply(false, nil)
					continue
				}
				req.Reply(true, nil)
				h := s.fs.h
				if s.cfg.wrap != nil {
					h = s.cfg.wrap(c, h)
				}
				var rwc io.ReadWriteCloser = ch
				if s.cfg.wrapStream != nil {
					rwc = s.cfg.wrapStream(rwc)
				}
				srv := sftp.NewRequestServer(rwc, h)
				srv.Serve()
				srv.Close()
				go ssh.DiscardRequests(creqs)
				return
			}
		}()
	}
}

// memFS is the server's in-memory file system, with a client of its own
// (no SSH, no verification) for tests to seed and inspect it.
type memFS struct {
	h  sftp.Handlers
	cl *sftp.Client
}

func newMemFS(t testing.TB) *memFS {
	t.Helper()
	h := lockedHandlers(sftp.InMemHandler())
	a, b := net.Pipe()
	srv := sftp.NewRequestServer(a, h)
	go srv.Serve()
	cl, err := sftp.NewClientPipe(b, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close(); srv.Close() })
	return &memFS{h: h, cl: cl}
}

func (m *memFS) write(t testing.TB, p string, data []byte) {
	t.Helper()
	if err := m.cl.MkdirAll(filepath.Dir(p)); err != nil {
		t.Fatal(err)
	}
	f, err := m.cl.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func (m *memFS) read(t testing.TB, p string) []byte {
	t.Helper()
	f, err := m.cl.Open(p)
	if err != nil {
		t.Fatalf("memfs: %s: %v", p, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (m *memFS) exists(p string) bool {
	_, err := m.cl.Lstat(p)
	return err == nil
}

func (m *memFS) names(t testing.TB, dir string) []string {
	t.Helper()
	fis, err := m.cl.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, fi := range fis {
		out = append(out, fi.Name())
	}
	return out
}

// pinFile writes a known_hosts file pinning keys for s and reads it back.
func pinFile(t testing.TB, host string, port int, keys ...ssh.PublicKey) (*knownhosts.File, string) {
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

// userKey makes a client key, writes it to a file (encrypted when
// passphrase is set) and returns the path and the public key.
func userKey(t testing.TB, passphrase string) (string, ssh.PublicKey) {
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

// events records what Dial and the transfers reported.
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
		if ev.Kind != EventProgress {
			out = append(out, ev.Kind)
		}
	}
	return out
}

func (e *events) has(k EventKind) bool {
	for _, got := range e.kinds() {
		if got == k {
			return true
		}
	}
	return false
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

// hideExtensions removes SFTP extensions from the server's VERSION packet,
// the first the server writes, to play a server that lacks them.
func hideExtensions(names ...string) func(io.ReadWriteCloser) io.ReadWriteCloser {
	return func(rwc io.ReadWriteCloser) io.ReadWriteCloser {
		return &versionFilter{ReadWriteCloser: rwc, hide: names}
	}
}

type versionFilter struct {
	io.ReadWriteCloser
	hide []string
	mu   sync.Mutex
	buf  []byte
	done bool
}

func (v *versionFilter) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.done {
		return v.ReadWriteCloser.Write(p)
	}
	v.buf = append(v.buf, p...)
	if len(v.buf) < 4 {
		return len(p), nil
	}
	n := int(binary.BigEndian.Uint32(v.buf))
	if len(v.buf) < 4+n {
		return len(p), nil
	}
	pkt, rest := v.buf[4:4+n], v.buf[4+n:]
	out := append([]byte{}, pkt[:5]...) // type VERSION, uint32 version
	for b := pkt[5:]; len(b) > 0; {
		name, b1, ok := sshString(b)
		data, b2, ok2 := sshString(b1)
		if !ok || !ok2 {
			return 0, fmt.Errorf("versionFilter: bad extension list")
		}
		b = b2
		if !contains(v.hide, string(name)) {
			out = appendString(appendString(out, name), data)
		}
	}
	framed := binary.BigEndian.AppendUint32(nil, uint32(len(out)))
	framed = append(append(framed, out...), rest...)
	v.done = true
	if _, err := v.ReadWriteCloser.Write(framed); err != nil {
		return 0, err
	}
	return len(p), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// untouched fails t unless the file at path still holds want and nothing
// else is left in its directory: what every failed transfer must leave.
func (m *memFS) untouched(t testing.TB, path, want string) {
	t.Helper()
	if got := m.read(t, path); string(got) != want {
		t.Errorf("the destination changed to %d bytes", len(got))
	}
	if names := m.names(t, pathpkg.Dir(path)); !slices.Equal(names, []string{pathpkg.Base(path)}) {
		t.Errorf("directory %q: a temporary file was not removed", names)
	}
}
