package sftpx

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	pathpkg "path"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/sshtest"
	"github.com/sshpin/sshpin/knownhosts"
)

// testServer is an in-process SSH server (sshtest's) that serves SFTP
// from handlers, for the cases a real sshd cannot be made to produce: a
// connection cut mid-transfer, a write that silently loses data, a server
// without posix-rename, a stall.
type testServer struct {
	*sshtest.Server
	accepted chan struct{} // one value per accepted connection, never blocking

	fs  *memFS
	cfg serverConfig
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

func newHostKey(t testing.TB, typ string) ssh.Signer { return sshtest.NewHostKey(t, typ) }

func startServer(t testing.TB, cfg serverConfig) *testServer {
	t.Helper()
	if len(cfg.hostKeys) == 0 {
		cfg.hostKeys = []ssh.Signer{newHostKey(t, "ed25519")}
	}
	s := &testServer{cfg: cfg, fs: newMemFS(t)}
	s.Server = sshtest.Start(t, sshtest.Config{
		HostKeys: cfg.hostKeys, UserKeys: cfg.userKeys, Password: cfg.password, KbdOnly: cfg.kbdOnly,
		Hang: cfg.hang, Rekey: cfg.rekey, Version: cfg.version,
		Subsystem: s.serveSFTP,
	})
	s.accepted = s.Accepted
	return s
}

// serveSFTP serves the sftp subsystem from the memFS, through the test's
// wraps.
func (s *testServer) serveSFTP(c net.Conn, name string, req *ssh.Request, ch ssh.Channel) bool {
	if name != "sftp" {
		req.Reply(false, nil)
		return false
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
	return true
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

func pinFile(t testing.TB, host string, port int, keys ...ssh.PublicKey) (*knownhosts.File, string) {
	t.Helper()
	return sshtest.PinFile(t, host, port, keys...)
}

func userKey(t testing.TB, passphrase string) (string, ssh.PublicKey) {
	t.Helper()
	return sshtest.UserKey(t, passphrase)
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
