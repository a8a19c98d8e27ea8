package audit

import (
	"slices"
	"sort"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Support says whether this binary's SSH client (golang.org/x/crypto/ssh) can
// negotiate an algorithm, and whether it must be asked to.
type Support string

const (
	// XCryptoNo: x/crypto cannot negotiate it; only the raw KEXINIT shows it.
	XCryptoNo Support = "no"
	// XCryptoDefault: in ssh.SupportedAlgorithms(), usable as configured.
	XCryptoDefault Support = "supported"
	// XCryptoInsecure: in ssh.InsecureAlgorithms(), usable only when a config
	// names it.
	XCryptoInsecure Support = "insecure"
)

// Algorithm is what the table knows about one name.
type Algorithm struct {
	Name        string   `json:"name"`
	Category    Category `json:"category"`
	Rating      Severity `json:"rating"`
	Reason      string   `json:"reason"`
	PostQuantum bool     `json:"post_quantum"`
	XCrypto     Support  `json:"xcrypto"`
	Known       bool     `json:"known"`
}

type key struct {
	cat  Category
	name string
}

var (
	exact    map[key]Algorithm
	prefixes []Algorithm // rows ending in "*", longest prefix first
	xcrypto  map[key]Support
)

func init() {
	xcrypto = xcryptoSupport()
	exact = make(map[key]Algorithm, len(table))
	for _, r := range table {
		a := Algorithm{Name: r.name, Category: r.cat, Rating: r.rating, Reason: r.reason, PostQuantum: r.pq, Known: true}
		if p, ok := strings.CutSuffix(r.name, "*"); ok {
			a.Name = p
			prefixes = append(prefixes, a)
			continue
		}
		a.XCrypto = supportOf(r.cat, r.name)
		exact[key{r.cat, r.name}] = a
	}
	sort.SliceStable(prefixes, func(i, j int) bool { return len(prefixes[i].Name) > len(prefixes[j].Name) })
}

// xcryptoSupport derives from the linked x/crypto, not from a hand-written
// list, so that upgrading x/crypto updates what sshpin claims it can do.
func xcryptoSupport() map[key]Support {
	m := map[key]Support{}
	add := func(cat Category, names []string, s Support) {
		for _, n := range names {
			if _, seen := m[key{cat, n}]; !seen {
				m[key{cat, n}] = s
			}
		}
	}
	sup, ins := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	add(Kex, sup.KeyExchanges, XCryptoDefault)
	add(Kex, ins.KeyExchanges, XCryptoInsecure)
	add(HostKeyAlg, sup.HostKeys, XCryptoDefault)
	add(HostKeyAlg, ins.HostKeys, XCryptoInsecure)
	add(Cipher, sup.Ciphers, XCryptoDefault)
	add(Cipher, ins.Ciphers, XCryptoInsecure)
	add(MAC, sup.MACs, XCryptoDefault)
	add(MAC, ins.MACs, XCryptoInsecure)
	// x/crypto sends curve25519-sha256@libssh.org whenever curve25519-sha256
	// is configured, but lists only the RFC 8731 name.
	if slices.Contains(sup.KeyExchanges, "curve25519-sha256") {
		add(Kex, []string{"curve25519-sha256@libssh.org"}, XCryptoDefault)
	}
	// x/crypto implements no compression and always sends "none"; the list
	// is not exported.
	add(Compression, []string{"none"}, XCryptoDefault)
	return m
}

func supportOf(cat Category, name string) Support {
	if s, ok := xcrypto[key{cat, name}]; ok {
		return s
	}
	return XCryptoNo
}

// Lookup returns what the table says of name in its category. A name the
// table does not know comes back with Known false, rating unknown and reason
// "unknown algorithm": never an error.
func Lookup(cat Category, name string) Algorithm {
	if a, ok := exact[key{cat, name}]; ok {
		return a
	}
	for _, p := range prefixes {
		if p.Category == cat && strings.HasPrefix(name, p.Name) {
			p.Name = name
			p.XCrypto = supportOf(cat, name)
			return p
		}
	}
	return Algorithm{Name: name, Category: cat, Rating: Unknown, Reason: "unknown algorithm", XCrypto: supportOf(cat, name)}
}

// Table returns every row of the table, prefix rows with their trailing "*",
// sorted by category and name, for listing and for tests.
func Table() []Algorithm {
	out := make([]Algorithm, 0, len(table))
	for _, r := range table {
		a := Lookup(r.cat, r.name)
		a.Name = r.name
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Category != out[j].Category {
			return out[i].Category < out[j].Category
		}
		return out[i].Name < out[j].Name
	})
	return out
}
