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
// text format is documented in policy_parse.go; ssh-audit's policy files,
// old and current, parse into the same type.
type Policy struct {
	Name    string
	Version string

	// Banner, when set, must equal the server's version line (ssh-audit).
	Banner *string

	// Allowed lists, compared with what the server offers (markers
	// excluded unless KexWithMarkers). By default the server must offer
	// exactly these, in this order, as ssh-audit checks; AllowSubset and
	// AllowReorder relax that. Compression is always compared exactly, as
	// ssh-audit does.
	KexAlgorithms     []string
	HostKeyAlgorithms []string
	Ciphers           []string
	MACs              []string
	Compression       []string
	// OptionalHostKeyAlgorithms may be offered or not (certificates, FIDO).
	OptionalHostKeyAlgorithms []string
	AllowSubset               bool
	AllowReorder              bool
	// HostKeySubset relaxes the host key list alone (ssh-audit's
	// allow_hostkey_subset_and_reordering).
	HostKeySubset bool
	// KexWithMarkers: the kex list names markers (ssh-audit writes
	// kex-strict-s-v00@openssh.com and ext-info-s into it), so the server's
	// markers are compared as names too, as ssh-audit compares them.
	KexWithMarkers bool

	// Required names (shell patterns) must each match an offered algorithm;
	// Forbidden ones must match none.
	Required  []string
	Forbidden []string

	// HostKeyTypes are the key types the server's keys must have, all of
	// them unless AllowSubset, and no other.
	HostKeyTypes []string
	MinRSABits   int
	// HostKeySizes maps a host key algorithm to the size its key (and the
	// CA of its certificate) must have: exactly, as ssh-audit checks, or at
	// least with AllowLargerKeys. Sizes are in ssh-audit's convention (see
	// KeySize).
	HostKeySizes map[string]KeySize
	// DHModulusSizes maps a group-exchange algorithm to the modulus size
	// the server must hand out (ssh-audit's dh_modulus_sizes).
	DHModulusSizes  map[string]int
	AllowLargerKeys bool

	RequireStrictKex   bool
	RequirePostQuantum bool
	// MaxRating is the worst rating any offered algorithm may have ("" for
	// no limit), with Options applied.
	MaxRating Severity
	Options   Options
}

// KeySize is one host_key_sizes entry. ssh-audit writes sizes its own way:
// an ECDSA key as the bits of its point's coordinates (P-256 is 512, P-384
// 768, P-521 1056), a DSA key as the bits of q (160 for DSA-1024); RSA and
// Ed25519 as their real sizes. Check translates both ways and reports real
// sizes.
type KeySize struct {
	Size   int    `json:"hostkey_size"`
	CAType string `json:"ca_key_type,omitempty"`
	CASize int    `json:"ca_key_size,omitempty"`
}

// Check returns the ways a server breaks the policy, as fail findings in
// category policy, when only a KEXINIT and host keys are known.
func (p *Policy) Check(k *kexinit.KexInit, keys []HostKey) []Finding {
	return p.CheckServer(&Server{KexInit: k, Keys: keys, KeysCollected: keys != nil})
}

// CheckServer returns the ways a server breaks the policy, as fail
// findings in category policy, and an unknown finding for each item that
// could not be checked (a key not collected, a modulus not measured): an
// item nobody checked never counts as passed. No finding means the server
// complies.
func (p *Policy) CheckServer(s *Server) []Finding {
	k := s.KexInit
	if k == nil {
		k = &kexinit.KexInit{}
	}
	var c checker
	if p.Banner != nil && s.Banner != *p.Banner {
		c.fail(Category("banner"), s.Banner, "", fmt.Sprintf("banner %q differs from the policy's %q", s.Banner, *p.Banner))
	}
	kex := WithoutMarkers(dedup(k.KexAlgos))
	if p.KexWithMarkers {
		kex = dedup(k.KexAlgos)
	}
	c.list(Kex, "", kex, p.KexAlgorithms, nil, p.AllowSubset, p.AllowReorder)
	c.list(HostKeyAlg, "", dedup(k.ServerHostKeyAlgos), p.HostKeyAlgorithms, p.OptionalHostKeyAlgorithms,
		p.AllowSubset || p.HostKeySubset, p.AllowReorder || p.HostKeySubset)
	c.pair(Cipher, k.CiphersClientServer, k.CiphersServerClient, p.Ciphers, p.AllowSubset, p.AllowReorder)
	c.pair(MAC, k.MACsClientServer, k.MACsServerClient, p.MACs, p.AllowSubset, p.AllowReorder)
	c.pair(Compression, k.CompressionClientServer, k.CompressionServerClient, p.Compression, false, false)

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
	c.keys(s, k, p)
	c.moduli(s, k, p)
	return c.out
}

// Verdict is a policy's outcome on one server.
type Verdict struct {
	Policy    string `json:"policy"`
	Result    string `json:"result"` // "passed", "failed" or "not checked"
	Failures  int    `json:"failures"`
	Unchecked int    `json:"unchecked"`
}

// The three results of a policy check.
const (
	PolicyPassed     = "passed"
	PolicyFailed     = "failed"
	PolicyNotChecked = "not checked"
)

// Verdict sums up the findings CheckServer returned: failed when anything
// failed, not checked when nothing failed but something could not be
// checked, passed only when every item was checked and held.
func (p *Policy) Verdict(fs []Finding) Verdict {
	v := Verdict{Policy: p.Label()}
	for _, f := range fs {
		switch f.Severity {
		case Fail:
			v.Failures++
		case Unknown:
			v.Unchecked++
		}
	}
	switch {
	case v.Failures > 0:
		v.Result = PolicyFailed
	case v.Unchecked > 0:
		v.Result = PolicyNotChecked
	default:
		v.Result = PolicyPassed
	}
	return v
}

// Label is the policy's name and version as ssh-audit shows them.
func (p *Policy) Label() string {
	name := p.Name
	if name == "" {
		name = "unnamed"
	}
	if p.Version != "" {
		name += " (version " + p.Version + ")"
	}
	return name
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
// when the server sends the same list both ways. ssh-audit reads only the
// server-to-client lists; a client-to-server list that breaks the policy
// fails it here.
func (c *checker) pair(cat Category, c2s, s2c, want []string, subset, reorder bool) {
	c2s, s2c = dedup(c2s), dedup(s2c)
	if slices.Equal(c2s, s2c) {
		c.list(cat, Both, c2s, want, nil, subset, reorder)
		return
	}
	c.list(cat, ClientToServer, c2s, want, nil, subset, reorder)
	c.list(cat, ServerToClient, s2c, want, nil, subset, reorder)
}

func (c *checker) list(cat Category, dir string, got, want, optional []string, subset, reorder bool) {
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
	for _, w := range want {
		// Strict kex is the Terrapin countermeasure: a subset without it
		// fails, as in ssh-audit.
		if !slices.Contains(got, w) && (!subset || w == StrictKexServer) {
			c.fail(cat, w, dir, "required by policy but not offered")
		}
	}
	if !reorder {
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

func (c *checker) unchecked(cat Category, alg, why string) {
	c.add(Unknown, cat, alg, "", "not checked: "+why)
}

func (c *checker) keys(s *Server, k *kexinit.KexInit, p *Policy) {
	checksKeys := p.HostKeyTypes != nil || p.MinRSABits > 0 || len(p.HostKeySizes) > 0
	if !checksKeys {
		return
	}
	keys := s.Keys
	if len(keys) == 0 {
		why := "no host key was collected"
		if !s.KeysCollected {
			why = "host keys were not collected (only the KEXINIT was read)"
		}
		c.unchecked(Key, "", why)
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
	}
	c.sizes(keys, k, p)
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

// sizes checks host_key_sizes: each entry applies to the key its
// algorithm uses (rsa-sha2-256 to the ssh-rsa key). An entry for an
// algorithm the server does not offer is skipped, as ssh-audit skips it;
// one for an algorithm it offers whose key was not collected is not
// checked.
func (c *checker) sizes(keys []HostKey, k *kexinit.KexInit, p *Policy) {
	algs := make([]string, 0, len(p.HostKeySizes))
	for a := range p.HostKeySizes {
		algs = append(algs, a)
	}
	sort.Strings(algs)
	for _, a := range algs {
		want := p.HostKeySizes[a]
		i := slices.IndexFunc(keys, func(h HostKey) bool { return h.Type == KeyType(a) })
		if i < 0 {
			if slices.Contains(k.ServerHostKeyAlgos, a) {
				c.unchecked(Key, a, "the server offers it but its key was not collected")
			}
			continue
		}
		hk := keys[i]
		if want.Size > 0 {
			if got := policySize(hk.Type, hk.Bits, hk.Blob); !sizeOK(got, want.Size, p.AllowLargerKeys) {
				c.fail(Key, a, "", fmt.Sprintf("%s, policy requires %s", sizeWords(hk.Type, got), need(hk.Type, want.Size, p.AllowLargerKeys)))
			}
		}
		if want.CAType == "" || want.CASize <= 0 {
			continue
		}
		switch {
		case hk.Cert == nil:
			c.fail(Key, a, "", "not a certificate, policy requires one signed by a "+want.CAType+" CA")
		case hk.Cert.CAType != want.CAType:
			c.fail(Key, a, "", fmt.Sprintf("certificate CA is %s, policy requires %s", hk.Cert.CAType, want.CAType))
		default:
			if got := policySize(hk.Cert.CAType, hk.Cert.CABits, nil); !sizeOK(got, want.CASize, p.AllowLargerKeys) {
				c.fail(Key, a, "", fmt.Sprintf("certificate CA: %s, policy requires %s", sizeWords(hk.Cert.CAType, got), need(hk.Cert.CAType, want.CASize, p.AllowLargerKeys)))
			}
		}
	}
}

// moduli checks dh_modulus_sizes against the measured group exchange.
func (c *checker) moduli(s *Server, k *kexinit.KexInit, p *Policy) {
	algs := make([]string, 0, len(p.DHModulusSizes))
	for a := range p.DHModulusSizes {
		algs = append(algs, a)
	}
	sort.Strings(algs)
	for _, a := range algs {
		if !slices.Contains(k.KexAlgos, a) {
			continue // as ssh-audit: only what the server offers is measured
		}
		got := s.GEX.SmallestModulus(s.Banner)
		if got == 0 {
			why := "the group-exchange modulus was not measured"
			if s.GEX != nil && s.GEX.Skipped != "" {
				why += " (" + s.GEX.Skipped + ")"
			}
			c.unchecked(Modulus, a, why)
			continue
		}
		if want := p.DHModulusSizes[a]; !sizeOK(got, want, p.AllowLargerKeys) {
			n := fmt.Sprint(want)
			if p.AllowLargerKeys {
				n = "at least " + n
			}
			c.fail(Modulus, a, "", fmt.Sprintf("the smallest group the server hands out is %d bits, policy requires %s", got, n))
		}
	}
}

func sizeOK(got, want int, larger bool) bool { return got == want || (larger && got > want) }

// policySize is a key's size in ssh-audit's convention.
func policySize(typ string, bits int, blob []byte) int {
	base, _ := certBase(typ)
	switch {
	case strings.Contains(base, "ecdsa-sha2-nistp"):
		switch bits {
		case 256:
			return 512
		case 384:
			return 768
		case 521:
			return 1056
		}
	case isDSAKeyType(base):
		if q := dsaQBits(blob); q > 0 {
			return q
		}
		if bits == 1024 {
			return 160 // FIPS 186's only q size for a 1024-bit p
		}
	}
	return bits
}

// realSize undoes policySize for a person: the curve or p size.
func sizeWords(typ string, v int) string {
	base, _ := certBase(typ)
	switch {
	case strings.Contains(base, "ecdsa-sha2-nistp"):
		if c := map[int]string{512: "P-256", 768: "P-384", 1056: "P-521"}[v]; c != "" {
			return fmt.Sprintf("ECDSA key over %s (%d in ssh-audit's convention)", c, v)
		}
	case isDSAKeyType(base):
		return fmt.Sprintf("DSA key with a %d-bit q", v)
	}
	return fmt.Sprintf("key of %d bits", v)
}

func need(typ string, v int, larger bool) string {
	base, _ := certBase(typ)
	s := fmt.Sprint(v)
	switch {
	case strings.Contains(base, "ecdsa-sha2-nistp"):
		if c := map[int]string{512: "P-256", 768: "P-384", 1056: "P-521"}[v]; c != "" {
			s = fmt.Sprintf("%s (%d)", c, v)
		}
	case isDSAKeyType(base):
		s = fmt.Sprintf("a %d-bit q", v)
	}
	if larger {
		return "at least " + s
	}
	return s
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
