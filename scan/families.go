package scan

import (
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

// A family is the set of host key algorithms that all present the same key:
// rsa-sha2-512, rsa-sha2-256 and ssh-rsa sign with one RSA key, so one
// handshake retrieves it. Every other algorithm names its own key type.
type family struct {
	name    string   // the key type it yields (ssh.PublicKey.Type())
	offered []string // the server's algorithms of this family, in its order
}

var rsaFamily = map[string]string{
	ssh.KeyAlgoRSASHA512: ssh.KeyAlgoRSA, ssh.KeyAlgoRSASHA256: ssh.KeyAlgoRSA, ssh.KeyAlgoRSA: ssh.KeyAlgoRSA,
	// AsyncSSH's (and Tectia's) RSA signature names, for the same RSA key:
	// x/crypto speaks none of them, and the key is collected once, through
	// rsa-sha2-*, not reported four times as not retrieved.
	"ssh-rsa-sha224@ssh.com": ssh.KeyAlgoRSA, "ssh-rsa-sha256@ssh.com": ssh.KeyAlgoRSA,
	"ssh-rsa-sha384@ssh.com": ssh.KeyAlgoRSA, "ssh-rsa-sha512@ssh.com": ssh.KeyAlgoRSA,
	ssh.CertAlgoRSASHA512v01: ssh.CertAlgoRSAv01, ssh.CertAlgoRSASHA256v01: ssh.CertAlgoRSAv01, ssh.CertAlgoRSAv01: ssh.CertAlgoRSAv01,
}

// familyOf names the key type an algorithm yields.
func familyOf(algo string) string {
	if f, ok := rsaFamily[algo]; ok {
		return f
	}
	return algo
}

// families groups the server's host key algorithms, in the server's order.
func families(offered []string) []family {
	var out []family
	for _, a := range offered {
		name := familyOf(a)
		i := slices.IndexFunc(out, func(f family) bool { return f.name == name })
		if i < 0 {
			out = append(out, family{name: name})
			i = len(out) - 1
		}
		out[i].offered = append(out[i].offered, a)
	}
	return out
}

// usable returns the algorithms of f this client will request, in the
// client's preference order (SHA-2 before SHA-1 for RSA).
func (f family) usable(c *clientAlgorithms) []string {
	var out []string
	for _, a := range c.hostKeys {
		if familyOf(a) == f.name && slices.Contains(f.offered, a) {
			out = append(out, a)
		}
	}
	return out
}

// whyNot says why a family cannot be retrieved by this client.
func (f family) whyNot(c *clientAlgorithms) string {
	switch {
	case strings.HasPrefix(f.name, "sk-"):
		return "security-key (FIDO) host keys cannot be verified by x/crypto as a client"
	case c.legacyHostKeys[f.name] || slices.ContainsFunc(f.offered, func(a string) bool { return c.legacyOnly[a] }):
		return "needs a SHA-1 signature algorithm (" + strings.Join(f.offered, ",") + ")" + c.hint()
	default:
		return "not supported by x/crypto"
	}
}
