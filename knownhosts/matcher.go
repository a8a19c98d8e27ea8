package knownhosts

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// matcher answers "which lines match this host name" with x/crypto's
// known_hosts matcher, so that hashing, wildcards and negation are not
// written again here. x/crypto only reads files and only answers through a
// host key callback, so the usable lines are compiled into a copy it reads
// through a pipe (as /dev/fd/N, which Linux, the BSDs and macOS provide),
// and asked with a key that matches nothing: its KeyError then lists every
// line whose hosts field matched.
//
// x/crypto splits every pattern into host and port and only compares ports
// literally (golang/go#52056), and its trailing '*' does not match an empty
// rest. OpenSSH instead globs each pattern against the whole name, "host" or
// "[host]:port". To get OpenSSH's answers, plain patterns and the name are
// escaped so that x/crypto sees one colon-free string on port 22 (see
// escaper), with a sentinel after both so a trailing '*' has something to
// match. Hashed entries need no help: x/crypto hashes the same name OpenSSH
// hashes.
type matcher struct {
	cb    ssh.HostKeyCallback
	lines []*Line
}

// escaper maps the characters x/crypto treats specially to control bytes,
// which checkHostsField keeps out of every pattern and normalizeHost out of
// every name: ':' '[' ']' would be read as a port, a leading '@' as a
// marker, '#' as a comment, '|' as a hash.
var escaper = strings.NewReplacer(":", "\x01", "[", "\x02", "]", "\x03", "@", "\x04", "#", "\x05", "|", "\x06")

const sentinel = "\x07"

func escape(pattern string) string { return escaper.Replace(pattern) + sentinel }

// compile builds a matcher for the lines that keep says to; the others
// match nothing.
func compile(lines []*Line, keep func(*Line) bool) (*matcher, error) {
	var b strings.Builder
	for _, l := range lines {
		if f := compiledHosts(l); f != "" && keep(l) {
			b.WriteString(f + " " + l.Key.Type() + " " + base64.StdEncoding.EncodeToString(l.Key.Marshal()))
		}
		// One line out per line in, so x/crypto's line numbers are ours.
		b.WriteByte('\n')
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("knownhosts: %w", err)
	}
	defer r.Close()
	go func() {
		// If New gives up early, closing r ends this write with EPIPE.
		w.WriteString(b.String())
		w.Close()
	}()
	cb, err := xknownhosts.New("/dev/fd/" + strconv.Itoa(int(r.Fd())))
	if err != nil {
		return nil, fmt.Errorf("knownhosts: compiling lookups: %w", err)
	}
	return &matcher{cb: cb, lines: lines}, nil
}

// compiledHosts returns the hosts field x/crypto should see for l, or "" to
// leave l out. Revoked lines are left out: revocation is checked here, for
// every host (see Match.Revoked).
func compiledHosts(l *Line) string {
	if l.Kind != Entry || l.Key == nil || l.Marker == MarkerRevoked {
		return ""
	}
	if l.Hashed {
		return l.Raw[l.hostsStart:l.hostsEnd]
	}
	var out []string
	for _, p := range l.Hosts {
		neg := strings.HasPrefix(p, "!")
		if neg {
			p = p[1:]
		}
		// OpenSSH ignores an empty pattern and an empty negation; x/crypto
		// rejects the file for the latter.
		if p == "" {
			continue
		}
		p = escape(lower(collapseStars(p)))
		if neg {
			p = "!" + p
		}
		out = append(out, p)
	}
	return strings.Join(out, ",")
}

// probeKey equals no key, so x/crypto reports every matching line.
type probeKey struct{}

func (probeKey) Type() string                                 { return "sshpin-probe" }
func (probeKey) Marshal() []byte                              { return []byte("sshpin lookup probe") }
func (probeKey) Verify(data []byte, sig *ssh.Signature) error { return errors.New("probe key") }

var anyRemote = &net.TCPAddr{IP: net.IPv4zero}

// match returns, in file order, the lines whose hosts field matches the
// name OpenSSH uses for host on port: no port fallback here. host must have
// passed normalizeHost.
func (m *matcher) match(host string, port int) ([]*Line, error) {
	plain, err := m.ask(escape(hostName(host, port)) + ":22")
	if err != nil {
		return nil, err
	}
	hashed, err := m.ask(net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	var out []*Line
	for _, n := range plain {
		if l := m.lines[n-1]; !l.Hashed {
			out = append(out, l)
		}
	}
	for _, n := range hashed {
		if l := m.lines[n-1]; l.Hashed {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b *Line) int { return a.Num - b.Num })
	return slices.Compact(out), nil
}

func (m *matcher) ask(address string) ([]int, error) {
	err := m.cb(address, anyRemote, probeKey{})
	var ke *xknownhosts.KeyError
	if !errors.As(err, &ke) {
		return nil, fmt.Errorf("knownhosts: lookup of %q: unexpected answer %v", address, err)
	}
	nums := make([]int, len(ke.Want))
	for i, k := range ke.Want {
		nums[i] = k.Line
	}
	return nums, nil
}

// matchLines compiles f on first use and matches host:port.
func (f *File) matchLines(host string, port int) ([]*Line, error) {
	m, err := f.matcher(&f.db, func(*Line) bool { return true })
	if err != nil {
		return nil, err
	}
	return m.match(host, port)
}

// matchHashed is matchLines for the hashed lines only: a lookup costs a
// pass over every compiled line, which Lint need not pay for all of them.
func (f *File) matchHashed(host string, port int) ([]*Line, error) {
	m, err := f.matcher(&f.hashedDB, func(l *Line) bool { return l.Hashed })
	if err != nil {
		return nil, err
	}
	return m.match(host, port)
}

func (f *File) matcher(db **matcher, keep func(*Line) bool) (*matcher, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if *db == nil {
		m, err := compile(f.Lines, keep)
		if err != nil {
			return nil, err
		}
		*db = m
	}
	return *db, nil
}

// changed drops what was derived from the lines.
func (f *File) changed() {
	f.mu.Lock()
	f.db, f.hashedDB = nil, nil
	f.gen++
	f.mu.Unlock()
}
