package knownhosts

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/home"
)

// Set is several known_hosts files read together, in order, as OpenSSH
// reads its UserKnownHostsFile and GlobalKnownHostsFile lists: what any of
// them pins for a host counts, and a revocation in one holds for all.
//
//	set, err := knownhosts.Open(knownhosts.DefaultFiles()...)
//	cfg := &ssh.ClientConfig{
//		HostKeyCallback:   set.HostKeyCallback(),
//		HostKeyAlgorithms: set.HostKeyAlgorithms("db-1:2222"),
//	}
//
// A Set is safe for concurrent use.
type Set struct {
	mu    sync.Mutex
	files []*File
	names []string // every file Open was given, read or missing
}

// Open reads the known_hosts files at paths. A file that does not exist
// is skipped, as OpenSSH skips it; any other failure to read one is an
// error naming the file. A bad line never fails Open: it becomes an
// Invalid line, which Lint explains and matching skips.
func Open(paths ...string) (*Set, error) {
	s := &Set{names: paths}
	for _, p := range paths {
		f, err := ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.files = append(s.files, f)
	}
	return s, nil
}

// NewSet makes a Set of files already parsed, in this order.
func NewSet(files ...*File) *Set {
	s := &Set{files: files}
	for _, f := range files {
		s.names = append(s.names, f.Name)
	}
	return s
}

// Files returns the files the Set read, in order (missing ones left out).
func (s *Set) Files() []*File {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*File(nil), s.files...)
}

// Lookup returns what the files pin for host on port, with OpenSSH's
// semantics: patterns are matched against "host" on port 22 and
// "[host]:port" otherwise, with the bare-host fallback described at
// Match.PortFallback. Lines that cannot be read are in Match.Unreadable
// only.
//
// host may be an IP address: OpenSSH's CheckHostIP is a second Lookup with
// the address, whose result only ever warns, so it is kept apart here too.
func (s *Set) Lookup(host string, port int) (*Match, error) {
	return lookup(s.Files(), host, port)
}

// splitAddr splits what ssh.Dial was given: "host:port", "[v6]:port", or a
// bare host on port 22.
func splitAddr(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 22, nil
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return "", 0, fmt.Errorf("knownhosts: bad port in %q", addr)
	}
	return host, port, nil
}

// HostKeyCallback verifies host keys with Lookup and Match.Verify, for
// ssh.ClientConfig. The error is a *ChangedError (another key is pinned),
// an *UnknownError (nothing vouches for the host), a *RevokedError or a
// *CertError; inspect it with errors.As. Unlike x/crypto's knownhosts.New
// it reads a file with bad lines, matches ports as OpenSSH does, and
// judges certificates as OpenSSH does (an invalid one falls back to its
// key).
func (s *Set) HostKeyCallback() ssh.HostKeyCallback {
	return func(hostname string, _ net.Addr, key ssh.PublicKey) error {
		host, port, err := splitAddr(hostname)
		if err != nil {
			return err
		}
		m, err := s.Lookup(host, port)
		if err != nil {
			return err
		}
		return m.Verify(key)
	}
}

// HostKeyAlgorithms returns the host key algorithms to offer the server at
// addr ("host:port", or a host on port 22) so that it signs with a key the
// files can verify: only the pinned types, and certificate algorithms
// first when a CA vouches for the host (golang/go#29286: with x/crypto's
// defaults a server preferring an unpinned type fails as a mismatch). It
// returns nil for a host nothing vouches for, which leaves x/crypto's
// defaults, and the callback refuses the host anyway.
func (s *Set) HostKeyAlgorithms(addr string) []string {
	host, port, err := splitAddr(addr)
	if err != nil {
		return nil
	}
	m, err := s.Lookup(host, port)
	if err != nil {
		return nil
	}
	return HostKeyAlgorithms(m)
}

// HostKeyCallback is NewSet(f).HostKeyCallback().
func (f *File) HostKeyCallback() ssh.HostKeyCallback { return NewSet(f).HostKeyCallback() }

// DefaultFiles are OpenSSH's default UserKnownHostsFile:
// ~/.ssh/known_hosts, then ~/.ssh/known_hosts2. The home directory is
// $HOME; when it is unset or not an absolute path, DefaultFiles fails
// rather than name files relative to wherever the program runs.
func DefaultFiles() ([]string, error) {
	dir, err := home.Dir()
	if err != nil {
		return nil, fmt.Errorf("knownhosts: %w, so ~/.ssh/known_hosts cannot be found", err)
	}
	return []string{filepath.Join(dir, ".ssh", "known_hosts"), filepath.Join(dir, ".ssh", "known_hosts2")}, nil
}

// GlobalFiles are OpenSSH's default GlobalKnownHostsFile.
func GlobalFiles() []string {
	return []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}
}
