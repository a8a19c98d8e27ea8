package audit

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParsePolicy reads a policy in sshpin's text format, which also accepts
// ssh-audit's policy files (their field names are aliases below).
//
// One "key = value" per line; blank lines and lines starting with # are
// skipped, as is anything after " #". Lists separate names with commas or
// spaces. Keys:
//
//	name = strict                      a label (quotes optional)
//	version = 1                        a label
//	kex_algorithms = a, b              allowed key exchanges   (ssh-audit: key exchanges)
//	host_key_algorithms = a, b         allowed host key algs   (ssh-audit: host keys)
//	optional_host_key_algorithms = a   may be offered or not   (ssh-audit: optional host keys)
//	ciphers = a, b                     allowed ciphers, both directions
//	macs = a, b                        allowed MACs, both directions
//	compression = none                 allowed compression     (ssh-audit: compressions)
//	allow_subset = true                lists may be offered in part
//	allow_reorder = true               lists may be offered in another order
//	required = mlkem*, ssh-ed25519     patterns that must each match an offered algorithm
//	forbidden = *-cbc, hmac-sha1*      patterns no offered algorithm may match
//	host_key_types = ssh-ed25519       the types the host keys must have
//	min_rsa_bits = 3072                smallest RSA host key (and CA key)
//	hostkey_size_rsa-sha2-512 = 4096   a key's size (ssh-audit; exact unless allow_larger_keys)
//	cakey_size_ALG = 4096              a certificate CA key's size (ssh-audit)
//	allow_larger_keys = true           sizes are minimums (ssh-audit 3.2)
//	require_strict_kex = true          kex-strict-s-v00@openssh.com must be offered
//	require_post_quantum = true        a post-quantum key exchange must be offered
//	max_rating = warn                  no offered algorithm may be rated worse
//	nist_curves_fail = true            rate NIST curves fail for max_rating
//
// Without allow_subset and allow_reorder a list must match exactly, as in
// ssh-audit. ssh-audit's banner and dh_modulus_size_* fields are accepted and
// reported as not checked. A name listed in kex_algorithms that is a marker
// (kex-strict-s-v00@openssh.com, ext-info-s) is not compared as an
// algorithm; kex-strict-s turns on require_strict_kex.
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
	case "kex_algorithms":
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
		// ssh-audit 3.2's single switch for both.
		p.AllowSubset, err = parseBool(v)
		p.AllowReorder = p.AllowSubset
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
	case "banner":
		p.Unchecked = append(p.Unchecked, "banner "+v)
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
	var m *map[string]int
	var alg string
	switch {
	case strings.HasPrefix(k, "hostkey_size_"):
		m, alg = &p.HostKeySizes, strings.TrimPrefix(k, "hostkey_size_")
	case strings.HasPrefix(k, "cakey_size_"):
		m, alg = &p.CAKeySizes, strings.TrimPrefix(k, "cakey_size_")
	case strings.HasPrefix(k, "dh_modulus_size_"):
		if _, err := parseBits(v); err != nil {
			return err
		}
		// The modulus a server picks for group exchange shows only in a
		// key exchange, which a KEXINIT does not reach.
		p.Unchecked = append(p.Unchecked, k+" = "+v)
		return nil
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
	if *m == nil {
		*m = map[string]int{}
	}
	(*m)[alg] = bits
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
