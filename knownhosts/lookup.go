package knownhosts

import (
	"slices"

	"golang.org/x/crypto/ssh"
)

// Match is what a Set (or a File) says about one host.
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

	Keys        []*Line // pinned keys, file order (the bare host's when PortFallback)
	Authorities []*Line // @cert-authority lines matching the host or, off port 22, the bare host
	// Revoked holds every @revoked line of every file. ssh applies one
	// only to the hosts its patterns match; a revoked key is compromised
	// for every host, so sshpin, like x/crypto, revokes it for all (Lint
	// flags the difference).
	Revoked []*Line
	// Unreadable are the lines that name the host (or, off port 22, the
	// bare host) but cannot be used: malformed, or of a key type unknown
	// here. OpenSSH skips the ones it cannot read either, but may read
	// others; Plan and TrustOnFirstUse refuse to write beside any of them.
	Unreadable []*Line

	// exact is what is pinned under the host's own name, bare under the
	// bare host (off port 22 only): Verify walks them as OpenSSH does.
	exact, bare level
}

// level is what the files pin under one name.
type level struct {
	name      string
	keys, cas []*Line
}

// Lookup returns what f pins for host on port, with OpenSSH's semantics:
// see Set.Lookup.
func (f *File) Lookup(host string, port int) (*Match, error) {
	return NewSet(f).Lookup(host, port)
}

// lookup reads the files for host on port, in order, as OpenSSH loads its
// user and global files into one list.
func lookup(files []*File, host string, port int) (*Match, error) {
	host, err := normalizeHost(host, port)
	if err != nil {
		return nil, err
	}
	m := &Match{Host: host, Port: port, Name: hostName(host, port)}
	m.exact.name = m.Name
	var named []*Line
	for _, f := range files {
		lines := f.matchLines(host, port)
		named = append(named, lines...)
		cas := m.exact.add(usable(lines))
		if port != 22 {
			bare := f.matchLines(host, 22)
			named = append(named, bare...)
			// A certificate no CA for "[host]:port" vouches for is also
			// tried against the bare host's CAs, so both sets count.
			cas = merge(cas, m.bare.add(usable(bare)))
		}
		m.Authorities = append(m.Authorities, cas...)
		m.Revoked = append(m.Revoked, f.revoked()...)
	}
	m.bare.name = host
	m.Unreadable = uniq(unreadable(named))
	m.Keys = m.exact.keys
	if len(m.Keys) == 0 && len(m.bare.keys) > 0 {
		m.Keys, m.Name, m.PortFallback = m.bare.keys, host, true
	}
	return m, nil
}

// add files the lines under lv and returns the CAs among them.
func (lv *level) add(lines []*Line) (cas []*Line) {
	for _, l := range lines {
		switch l.Marker {
		case "":
			lv.keys = append(lv.keys, l)
		case MarkerCA:
			lv.cas = append(lv.cas, l)
			cas = append(cas, l)
		}
	}
	return cas
}

// uniq drops repeated lines, keeping the first of each.
func uniq(ls []*Line) []*Line {
	var out []*Line
	for _, l := range ls {
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// pinType is the key type a pinned line stands for: a certificate pinned
// as a plain key stands for its key's type, which it never matches
// (OpenSSH compares the certificate with the key and finds them unequal).
func pinType(l *Line) string {
	if c, ok := l.Key.(*ssh.Certificate); ok {
		return c.Key.Type()
	}
	return l.Key.Type()
}

// Types returns the pinned key types, in the order they first appear.
func (m *Match) Types() []string {
	var types []string
	for _, l := range m.Keys {
		if t := pinType(l); !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	return types
}

// ByType returns the pinned lines grouped by key type (ssh.PublicKey.Type;
// a certificate pinned as a key under its key's type).
func (m *Match) ByType() map[string][]*Line {
	by := make(map[string][]*Line)
	for _, l := range m.Keys {
		by[pinType(l)] = append(by[pinType(l)], l)
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
			if f.named(l, hp) {
				seen[hp] = true
				hosts = append(hosts, hp)
			}
		}
	}
	return hosts, hashed, nil
}

// named reports whether l, which lists hp literally, matches it: only a
// negation elsewhere on the line can say no.
func (f *File) named(l *Line, hp HostPort) bool {
	return l.matches(hp.String())
}
