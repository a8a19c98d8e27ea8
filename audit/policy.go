package audit

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/sshpin/sshpin/kexinit"
)

// Policy is what a server must look like. A nil list is not checked. The
// text format is documented in policy_parse.go; ssh-audit's policy files
// parse into the same type.
type Policy struct {
	Name    string
	Version string

	// Allowed lists, compared with what the server offers (markers
	// excluded). By default the server must offer exactly these, in this
	// order, as ssh-audit checks; AllowSubset and AllowReorder relax that.
	KexAlgorithms     []string
	HostKeyAlgorithms []string
	Ciphers           []string
	MACs              []string
	Compression       []string
	// OptionalHostKeyAlgorithms may be offered or not (certificates, FIDO).
	OptionalHostKeyAlgorithms []string
	AllowSubset               bool
	AllowReorder              bool

	// Required names (shell patterns) must each match an offered algorithm;
	// Forbidden ones must match none.
	Required  []string
	Forbidden []string

	// HostKeyTypes are the key types the server's keys must have, all of
	// them unless AllowSubset, and no other.
	HostKeyTypes []string
	MinRSABits   int
	// HostKeySizes and CAKeySizes map a host key algorithm to the size of
	// the key (or of its certificate's CA) it must have: exactly, as
	// ssh-audit checks, or at least with AllowLargerKeys.
	HostKeySizes    map[string]int
	CAKeySizes      map[string]int
	AllowLargerKeys bool

	RequireStrictKex   bool
	RequirePostQuantum bool
	// MaxRating is the worst rating any offered algorithm may have ("" for
	// no limit), with Options applied.
	MaxRating Severity
	Options   Options

	// Unchecked names what the policy asks that a KEXINIT and host keys
	// cannot show (ssh-audit's banner and DH modulus sizes); Check reports
	// each as info rather than pretend it passed.
	Unchecked []string
}

// Check returns the ways a server breaks the policy, as fail findings in
// category policy, plus info findings for what could not be checked. No
// fail finding means the server complies.
func (p *Policy) Check(k *kexinit.KexInit, keys []HostKey) []Finding {
	if k == nil {
		k = &kexinit.KexInit{}
	}
	var c checker
	c.list(Kex, "", WithoutMarkers(dedup(k.KexAlgos)), p.KexAlgorithms, nil, p)
	c.list(HostKeyAlg, "", dedup(k.ServerHostKeyAlgos), p.HostKeyAlgorithms, p.OptionalHostKeyAlgorithms, p)
	c.pair(Cipher, k.CiphersClientServer, k.CiphersServerClient, p.Ciphers, p)
	c.pair(MAC, k.MACsClientServer, k.MACsServerClient, p.MACs, p)
	c.pair(Compression, k.CompressionClientServer, k.CompressionServerClient, p.Compression, p)

	offered := offeredAll(k)
	for _, pat := range p.Required {
		if !slices.ContainsFunc(offered, func(o offer) bool { return match(pat, o.name) }) {
			c.fail(Category(""), pat, "", "required by policy but not offered")
		}
	}
	for _, o := range offered {
		for _, pat := range p.Forbidden {
			if match(pat, o.name) {
				c.fail(o.cat, o.name, "", "forbidden by policy ("+pat+")")
				break
			}
		}
	}
	if p.MaxRating != "" {
		for _, o := range offered {
			if a := Rate(o.cat, o.name, p.Options); a.Rating.rank() > p.MaxRating.rank() {
				c.fail(o.cat, o.name, "", fmt.Sprintf("rated %s (%s), policy allows at most %s", a.Rating, a.Reason, p.MaxRating))
			}
		}
	}
	if p.RequireStrictKex && !slices.Contains(k.KexAlgos, StrictKexServer) {
		c.fail(Kex, StrictKexServer, "", "policy requires strict key exchange (Terrapin countermeasure)")
	}
	if p.RequirePostQuantum && len(PostQuantumKex(k)) == 0 {
		c.fail(Kex, "", "", "policy requires a post-quantum key exchange")
	}
	c.keys(keys, p)
	for _, u := range p.Unchecked {
		c.add(Info, "", u, "", "not checked: a KEXINIT and host keys cannot show it")
	}
	return c.out
}

type checker struct{ out []Finding }

func (c *checker) add(sev Severity, cat Category, alg, dir, why string) {
	if cat != "" {
		why = string(cat) + ": " + why
	}
	c.out = append(c.out, Finding{Severity: sev, Category: PolicyCheck, Algorithm: alg, Direction: dir, Reason: why})
}

func (c *checker) fail(cat Category, alg, dir, why string) { c.add(Fail, cat, alg, dir, why) }

// pair checks both directions of a cipher, MAC or compression list, once
// when the server sends the same list both ways.
func (c *checker) pair(cat Category, c2s, s2c, want []string, p *Policy) {
	c2s, s2c = dedup(c2s), dedup(s2c)
	if slices.Equal(c2s, s2c) {
		c.list(cat, Both, c2s, want, nil, p)
		return
	}
	c.list(cat, ClientToServer, c2s, want, nil, p)
	c.list(cat, ServerToClient, s2c, want, nil, p)
}

func (c *checker) list(cat Category, dir string, got, want, optional []string, p *Policy) {
	if want == nil {
		return
	}
	var common []string
	for _, g := range got {
		switch {
		case slices.Contains(want, g):
			common = append(common, g)
		case slices.Contains(optional, g):
		default:
			c.fail(cat, g, dir, "offered but not allowed by policy")
		}
	}
	if !p.AllowSubset {
		for _, w := range want {
			if !slices.Contains(got, w) {
				c.fail(cat, w, dir, "required by policy but not offered")
			}
		}
	}
	if !p.AllowReorder {
		var order []string
		for _, w := range want {
			if slices.Contains(common, w) {
				order = append(order, w)
			}
		}
		if !slices.Equal(order, common) {
			c.fail(cat, "", dir, "order "+strings.Join(common, ",")+" differs from the policy's "+strings.Join(order, ","))
		}
	}
}

func (c *checker) keys(keys []HostKey, p *Policy) {
	checksKeys := p.HostKeyTypes != nil || p.MinRSABits > 0 || len(p.HostKeySizes) > 0 || len(p.CAKeySizes) > 0
	if !checksKeys {
		return
	}
	if len(keys) == 0 {
		c.add(Info, Key, "", "", "host keys not checked: none were collected")
		return
	}
	var types []string
	for _, k := range keys {
		types = append(types, k.Type)
		base, _ := certBase(k.Type)
		if p.MinRSABits > 0 && base == "ssh-rsa" && k.Bits > 0 && k.Bits < p.MinRSABits {
			c.fail(Key, k.Type, "", fmt.Sprintf("RSA key of %d bits, policy requires %d", k.Bits, p.MinRSABits))
		}
		if k.Cert != nil && p.MinRSABits > 0 && k.Cert.CAType == "ssh-rsa" && k.Cert.CABits > 0 && k.Cert.CABits < p.MinRSABits {
			c.fail(Key, k.Type, "", fmt.Sprintf("certificate CA RSA key of %d bits, policy requires %d", k.Cert.CABits, p.MinRSABits))
		}
		c.sizes(k, k.Bits, p.HostKeySizes, "", p)
		if k.Cert != nil {
			c.sizes(k, k.Cert.CABits, p.CAKeySizes, "certificate CA ", p)
		}
	}
	if p.HostKeyTypes != nil {
		for _, t := range dedup(types) {
			if !slices.Contains(p.HostKeyTypes, t) {
				c.fail(Key, t, "", "host key type not allowed by policy")
			}
		}
		if !p.AllowSubset {
			for _, t := range p.HostKeyTypes {
				if !slices.Contains(types, t) {
					c.fail(Key, t, "", "policy requires a host key of this type")
				}
			}
		}
	}
}

// sizes checks one key against the size entries whose algorithm uses a key
// of its type: hostkey_size_rsa-sha2-256 applies to an ssh-rsa key.
func (c *checker) sizes(k HostKey, bits int, want map[string]int, what string, p *Policy) {
	algs := make([]string, 0, len(want))
	for a := range want {
		if KeyType(a) == k.Type {
			algs = append(algs, a)
		}
	}
	sort.Strings(algs)
	for _, a := range algs {
		w := want[a]
		if bits == w || (p.AllowLargerKeys && bits > w) {
			continue
		}
		need := fmt.Sprintf("%d", w)
		if p.AllowLargerKeys {
			need = "at least " + need
		}
		c.fail(Key, a, "", fmt.Sprintf("%skey of %d bits, policy requires %s", what, bits, need))
	}
}

type offer struct {
	cat  Category
	name string
}

func offeredAll(k *kexinit.KexInit) []offer {
	var out []offer
	add := func(cat Category, names []string) {
		for _, n := range names {
			out = append(out, offer{cat, n})
		}
	}
	add(Kex, WithoutMarkers(dedup(k.KexAlgos)))
	add(HostKeyAlg, dedup(k.ServerHostKeyAlgos))
	add(Cipher, union(k.CiphersClientServer, k.CiphersServerClient))
	add(MAC, union(k.MACsClientServer, k.MACsServerClient))
	add(Compression, union(k.CompressionClientServer, k.CompressionServerClient))
	return out
}

// match is a shell pattern match; a malformed pattern matches only itself.
func match(pattern, name string) bool {
	ok, err := path.Match(pattern, name)
	if err != nil {
		return pattern == name
	}
	return ok
}
