package knownhosts

import (
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Match is what a file says about one host.
type Match struct {
	Host string // lowercase, IPv6 without brackets
	Port int
	// Name is the name the pinned keys are filed under: "[host]:port", or
	// the bare host when PortFallback.
	Name string
	// PortFallback: off port 22 with nothing pinned for "[host]:port",
	// OpenSSH takes the keys pinned for the bare host ("checking without
	// port identifier"), and so does Lookup.
	PortFallback bool

	Keys        []*Line // pinned keys, file order
	Authorities []*Line // @cert-authority lines matching the host or, off port 22, the bare host
	// Revoked holds every @revoked line. ssh applies one only to the hosts
	// its patterns match; a revoked key is compromised for every host, so
	// sshpin, like x/crypto, revokes it for all (Lint flags the difference).
	Revoked []*Line
}

// Lookup returns what f pins for host on port, with OpenSSH's semantics:
// patterns are matched against "host" on port 22 and "[host]:port"
// otherwise, with the bare-host fallback described at Match.PortFallback.
// Lines whose key type is unknown are not part of any Match.
//
// host may be an IP address: OpenSSH's CheckHostIP is a second Lookup with
// the address, whose result only ever warns, so it is kept apart here too.
func (f *File) Lookup(host string, port int) (*Match, error) {
	host, err := normalizeHost(host, port)
	if err != nil {
		return nil, err
	}
	m := &Match{Host: host, Port: port, Name: hostName(host, port), Revoked: f.revoked()}
	lines, err := f.matchLines(host, port)
	if err != nil {
		return nil, err
	}
	m.Keys, m.Authorities = split(lines)
	if port != 22 {
		bare, err := f.matchLines(host, 22)
		if err != nil {
			return nil, err
		}
		keys, cas := split(bare)
		if len(m.Keys) == 0 && len(keys) > 0 {
			m.Keys, m.Name, m.PortFallback = keys, host, true
		}
		// A certificate no CA for "[host]:port" vouches for is also tried
		// against the bare host's CAs, so both sets count.
		m.Authorities = merge(m.Authorities, cas)
	}
	return m, nil
}

func split(lines []*Line) (keys, cas []*Line) {
	for _, l := range lines {
		switch l.Marker {
		case "":
			keys = append(keys, l)
		case MarkerCA:
			cas = append(cas, l)
		}
	}
	return keys, cas
}

func merge(a, b []*Line) []*Line {
	out := append(slices.Clone(a), b...)
	slices.SortFunc(out, func(x, y *Line) int { return x.Num - y.Num })
	return slices.Compact(out)
}

// Types returns the pinned key types, in the order they first appear.
func (m *Match) Types() []string {
	var types []string
	for _, l := range m.Keys {
		if t := l.Key.Type(); !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	return types
}

// ByType returns the pinned lines grouped by key type (ssh.PublicKey.Type).
func (m *Match) ByType() map[string][]*Line {
	by := make(map[string][]*Line)
	for _, l := range m.Keys {
		by[l.Key.Type()] = append(by[l.Key.Type()], l)
	}
	return by
}

// Found reports whether anything vouches for the host: a pinned key or a CA.
func (m *Match) Found() bool { return len(m.Keys) > 0 || len(m.Authorities) > 0 }

func (f *File) revoked() []*Line {
	var out []*Line
	for _, l := range f.Lines {
		if l.Kind == Entry && l.Marker == MarkerRevoked && l.Key != nil {
			out = append(out, l)
		}
	}
	return out
}

// IsRevoked reports whether a @revoked line names key or, for a
// certificate, its key or the CA that signed it.
func (f *File) IsRevoked(key ssh.PublicKey) bool { return revokedBy(f.revoked(), key) != nil }

func revokedBy(revoked []*Line, key ssh.PublicKey) *Line {
	for _, l := range revoked {
		if plainBlob(l.Key) == plainBlob(key) {
			return l
		}
		if c, ok := key.(*ssh.Certificate); ok && plainBlob(l.Key) == plainBlob(c.SignatureKey) {
			return l
		}
	}
	return nil
}

// Hosts lists the hosts f pins keys for by plain name (no hash, wildcard or
// negation), in file order without repeats, and counts the hashed pins,
// whose hosts cannot be listed. Every listed host is one Lookup finds.
func (f *File) Hosts() (hosts []HostPort, hashed int, err error) {
	seen := make(map[HostPort]bool)
	for _, l := range f.Lines {
		if !l.pinned() {
			continue
		}
		if l.Hashed {
			hashed++
			continue
		}
		for _, p := range l.Hosts {
			hp, ok := literalName(p)
			if !ok || seen[hp] {
				continue
			}
			ok, err := f.named(l, hp)
			if err != nil {
				return nil, 0, err
			}
			if ok {
				seen[hp] = true
				hosts = append(hosts, hp)
			}
		}
	}
	return hosts, hashed, nil
}

// named reports whether l, which lists hp literally, matches it: only a
// negation elsewhere on the line can say no.
func (f *File) named(l *Line, hp HostPort) (bool, error) {
	if !slices.ContainsFunc(l.Hosts, func(p string) bool { return strings.HasPrefix(p, "!") }) {
		return true, nil
	}
	lines, err := f.matchLines(hp.Host, hp.Port)
	return slices.Contains(lines, l), err
}
