package audit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParsePolicy reads a policy in sshpin's text format, which also accepts
// ssh-audit's policy files as every ssh-audit version writes them (their
// field names are aliases below; ssh-audit's policy.py is the reference).
//
// One "key = value" per line; blank lines and lines starting with # are
// skipped, as is anything after " #". Lists separate names with commas or
// spaces. Keys:
//
//	name = strict                      a label (quotes optional)
//	version = 1                        a label
//	banner = "SSH-2.0-OpenSSH_9.6"     the version line, exactly (ssh-audit)
//	kex_algorithms = a, b              allowed key exchanges   (ssh-audit: key exchanges)
//	host_key_algorithms = a, b         allowed host key algs   (ssh-audit: host keys)
//	optional_host_key_algorithms = a   may be offered or not   (ssh-audit: optional host keys)
//	ciphers = a, b                     allowed ciphers, both directions
//	macs = a, b                        allowed MACs, both directions
//	compression = none                 the compression list, exactly (ssh-audit: compressions)
//	allow_subset = true                lists may be offered in part
//	allow_reorder = true               lists may be offered in another order
//	allow_algorithm_subset_and_reordering = true   both, for every list (ssh-audit)
//	allow_hostkey_subset_and_reordering = true     both, for the host key list (ssh-audit)
//	required = mlkem*, ssh-ed25519     patterns that must each match an offered algorithm
//	forbidden = *-cbc, hmac-sha1*      patterns no offered algorithm may match
//	host_key_types = ssh-ed25519       the types the host keys must have
//	min_rsa_bits = 3072                smallest RSA host key (and CA key)
//	host_key_sizes = {JSON}            per host key algorithm: {"hostkey_size": N,
//	                                   "ca_key_type": T, "ca_key_size": N} (ssh-audit 3.3+)
//	dh_modulus_sizes = {JSON}          per group-exchange algorithm: the smallest modulus (ssh-audit 3.3+)
//	hostkey_size_ALG = 4096            a key's size (ssh-audit before 3.3)
//	cakey_size_ALG = 4096              a certificate CA key's size (ssh-audit before 3.3)
//	dh_modulus_size_ALG = 3072         a group-exchange modulus (ssh-audit before 3.3)
//	allow_larger_keys = true           sizes are minimums, not exact (ssh-audit)
//	require_strict_kex = true          kex-strict-s-v00@openssh.com must be offered
//	require_post_quantum = true        a post-quantum key exchange must be offered
//	max_rating = warn                  no offered algorithm may be rated worse
//	nist_curves_fail = true            rate NIST curves fail for max_rating
//
// Without allow_subset and allow_reorder a list must match exactly, as in
// ssh-audit. Sizes follow ssh-audit's convention (KeySize). In sshpin's
// kex_algorithms a marker (kex-strict-s-v00@openssh.com, ext-info-s) is not
// compared as an algorithm, and kex-strict-s turns on require_strict_kex;
// in ssh-audit's "key exchanges" markers are names like any other and are
// compared, as ssh-audit compares them.
func ParsePolicy(r io.Reader) (*Policy, error) {
	p := &Policy{}
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("audit: policy line %d: want \"key = value\", got %q", n, line)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		if k == "key exchanges" {
			p.KexWithMarkers = true
		}
		if canon, ok := policyAliases[k]; ok {
			k = canon
		}
		if prev, dup := seen[k]; dup {
			return nil, fmt.Errorf("audit: policy line %d: %q already set on line %d", n, k, prev)
		}
		seen[k] = n
		if err := p.set(k, v); err != nil {
			return nil, fmt.Errorf("audit: policy line %d: %s: %w", n, k, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("audit: reading policy: %w", err)
	}
	return p, nil
}

var policyAliases = map[string]string{
	"key exchanges":      "kex_algorithms",
	"host keys":          "host_key_algorithms",
	"optional host keys": "optional_host_key_algorithms",
	"compressions":       "compression",
	"client policy":      "client_policy",
}

func (p *Policy) set(k, v string) error {
	var err error
	switch k {
	case "name":
		p.Name = unquote(v)
	case "version":
		p.Version = unquote(v)
	case "banner":
		b := strings.ReplaceAll(unquote(v), `\n`, "\n")
		p.Banner = &b
	case "kex_algorithms":
		if p.KexWithMarkers {
			p.KexAlgorithms = splitList(v)
			return nil
		}
		p.KexAlgorithms = nil
		for _, n := range splitList(v) {
			if n == StrictKexServer {
				p.RequireStrictKex = true
			}
			if !IsMarker(n) {
				p.KexAlgorithms = append(p.KexAlgorithms, n)
			}
		}
		if p.KexAlgorithms == nil {
			p.KexAlgorithms = []string{}
		}
	case "host_key_algorithms":
		p.HostKeyAlgorithms = splitList(v)
	case "optional_host_key_algorithms":
		p.OptionalHostKeyAlgorithms = splitList(v)
	case "ciphers":
		p.Ciphers = splitList(v)
	case "macs":
		p.MACs = splitList(v)
	case "compression":
		p.Compression = splitList(v)
	case "required":
		p.Required = splitList(v)
	case "forbidden":
		p.Forbidden = splitList(v)
	case "host_key_types":
		p.HostKeyTypes = splitList(v)
	case "min_rsa_bits":
		p.MinRSABits, err = parseBits(v)
	case "allow_subset":
		p.AllowSubset, err = parseBool(v)
	case "allow_reorder":
		p.AllowReorder, err = parseBool(v)
	case "allow_algorithm_subset_and_reordering":
		// ssh-audit's single switch for both, host keys included.
		p.AllowSubset, err = parseBool(v)
		p.AllowReorder = p.AllowSubset
		p.HostKeySubset = p.HostKeySubset || p.AllowSubset
	case "allow_hostkey_subset_and_reordering":
		var b bool
		b, err = parseBool(v)
		p.HostKeySubset = p.HostKeySubset || b
	case "host_key_sizes":
		err = p.setHostKeySizes(v)
	case "dh_modulus_sizes":
		err = p.setModulusSizes(v)
	case "allow_larger_keys":
		p.AllowLargerKeys, err = parseBool(v)
	case "require_strict_kex":
		p.RequireStrictKex, err = parseBool(v)
	case "require_post_quantum":
		p.RequirePostQuantum, err = parseBool(v)
	case "nist_curves_fail":
		p.Options.NISTCurvesFail, err = parseBool(v)
	case "max_rating":
		p.MaxRating, err = ParseSeverity(v)
	case "client_policy":
		var client bool
		if client, err = parseBool(v); err == nil && client {
			err = fmt.Errorf("client policies are not supported: sshpin audits servers")
		}
	default:
		return p.setSize(k, v)
	}
	return err
}

func (p *Policy) setSize(k, v string) error {
	var alg string
	var ca, dh bool
	switch {
	case strings.HasPrefix(k, "hostkey_size_"):
		alg = strings.TrimPrefix(k, "hostkey_size_")
	case strings.HasPrefix(k, "cakey_size_"):
		alg, ca = strings.TrimPrefix(k, "cakey_size_"), true
	case strings.HasPrefix(k, "dh_modulus_size_"):
		alg, dh = strings.TrimPrefix(k, "dh_modulus_size_"), true
	default:
		return fmt.Errorf("unknown key")
	}
	if alg == "" {
		return fmt.Errorf("no algorithm named")
	}
	bits, err := parseBits(v)
	if err != nil {
		return err
	}
	if dh {
		if p.DHModulusSizes == nil {
			p.DHModulusSizes = map[string]int{}
		}
		p.DHModulusSizes[alg] = bits
		return nil
	}
	if p.HostKeySizes == nil {
		p.HostKeySizes = map[string]KeySize{}
	}
	ks := p.HostKeySizes[alg]
	if ca {
		// The old format names no CA type; ssh-audit assumes RSA for RSA
		// certificates and Ed25519 for every other.
		ks.CASize, ks.CAType = bits, "ssh-ed25519"
		if strings.Contains(alg, "rsa") {
			ks.CAType = "ssh-rsa"
		}
	} else {
		ks.Size = bits
	}
	p.HostKeySizes[alg] = ks
	return nil
}

// maxPolicyJSON bounds a JSON value on one policy line.
const maxPolicyJSON = 64 << 10

func (p *Policy) setHostKeySizes(v string) error {
	if len(v) > maxPolicyJSON {
		return fmt.Errorf("longer than %d bytes", maxPolicyJSON)
	}
	var m map[string]struct {
		Size   *int    `json:"hostkey_size"`
		CAType *string `json:"ca_key_type"`
		CASize *int    `json:"ca_key_size"`
	}
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return fmt.Errorf("want a JSON object: %v", err)
	}
	if p.HostKeySizes == nil {
		p.HostKeySizes = map[string]KeySize{}
	}
	for alg, e := range m {
		if alg == "" {
			return fmt.Errorf("no algorithm named")
		}
		var ks KeySize
		if e.Size == nil || *e.Size <= 0 || *e.Size > 1<<16 {
			return fmt.Errorf("%s: want a hostkey_size in bits", alg)
		}
		ks.Size = *e.Size
		if e.CASize != nil {
			if *e.CASize < 0 || *e.CASize > 1<<16 {
				return fmt.Errorf("%s: want a ca_key_size in bits", alg)
			}
			ks.CASize = *e.CASize
		}
		if e.CAType != nil {
			ks.CAType = *e.CAType
		}
		p.HostKeySizes[alg] = ks
	}
	return nil
}

func (p *Policy) setModulusSizes(v string) error {
	if len(v) > maxPolicyJSON {
		return fmt.Errorf("longer than %d bytes", maxPolicyJSON)
	}
	var m map[string]int
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return fmt.Errorf("want a JSON object of sizes: %v", err)
	}
	if p.DHModulusSizes == nil {
		p.DHModulusSizes = map[string]int{}
	}
	for alg, n := range m {
		if alg == "" || n <= 0 || n > 1<<16 {
			return fmt.Errorf("%q: want a modulus size in bits", alg)
		}
		p.DHModulusSizes[alg] = n
	}
	return nil
}

// splitList accepts ssh-audit's "a, b" and sshd_config's "a,b" alike, and
// never returns nil: "ciphers =" means none allowed, not unchecked.
func splitList(v string) []string {
	out := []string{}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		out = append(out, f)
	}
	return out
}

func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return strings.ReplaceAll(v[1:len(v)-1], `\"`, `"`)
	}
	return v
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("want true or false, got %q", v)
}

func parseBits(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > 1<<16 {
		return 0, fmt.Errorf("want a number of bits, got %q", v)
	}
	return n, nil
}
