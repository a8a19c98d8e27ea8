package audit

import (
	"fmt"
	"slices"
	"strings"
)

// builtinPolicies are written in the policy format itself, so that the
// built-ins double as examples and as tests of the parser.
var builtinPolicies = map[string]string{
	// strict: what a hardened OpenSSH 9.x/10.x server offers. Subsets and
	// reordering are fine; anything outside the lists is not.
	"strict": `
name = strict
version = 1
kex_algorithms = mlkem768x25519-sha256, sntrup761x25519-sha512, sntrup761x25519-sha512@openssh.com, curve25519-sha256, curve25519-sha256@libssh.org
host_key_algorithms = ssh-ed25519, rsa-sha2-512, rsa-sha2-256
optional_host_key_algorithms = ssh-ed25519-cert-v01@openssh.com, sk-ssh-ed25519@openssh.com, sk-ssh-ed25519-cert-v01@openssh.com, rsa-sha2-512-cert-v01@openssh.com, rsa-sha2-256-cert-v01@openssh.com
ciphers = chacha20-poly1305@openssh.com, aes256-gcm@openssh.com, aes128-gcm@openssh.com, aes256-ctr, aes192-ctr, aes128-ctr
macs = hmac-sha2-512-etm@openssh.com, hmac-sha2-256-etm@openssh.com, umac-128-etm@openssh.com
allow_subset = true
allow_reorder = true
min_rsa_bits = 3072
require_strict_kex = true
require_post_quantum = true
`,
	// compatible: nothing broken, whatever else the server offers.
	"compatible": `
name = compatible
version = 1
max_rating = warn
min_rsa_bits = 2048
`,
}

// BuiltinPolicy returns a fresh copy of a built-in policy.
func BuiltinPolicy(name string) (*Policy, error) {
	text, ok := builtinPolicies[name]
	if !ok {
		return nil, fmt.Errorf("audit: no built-in policy %q (have %s)", name, strings.Join(BuiltinPolicies(), ", "))
	}
	return ParsePolicy(strings.NewReader(text))
}

// BuiltinPolicies names the built-in policies, sorted.
func BuiltinPolicies() []string {
	var names []string
	for n := range builtinPolicies {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
