package audit

import "strings"

// Marker names sit in kex_algorithms but are flags, not algorithms: they are
// never negotiated, never rated and never written into an sshd_config line
// (sshd adds them itself and rejects them in KexAlgorithms).
var markers = map[string]bool{
	"ext-info-c":                   true,
	"ext-info-s":                   true,
	"kex-strict-c-v00@openssh.com": true,
	"kex-strict-s-v00@openssh.com": true,
	"kexguess2@matt.ucc.asn.au":    true,
}

// StrictKexServer is the marker by which a server says it implements strict
// key exchange, the countermeasure to Terrapin.
const StrictKexServer = "kex-strict-s-v00@openssh.com"

// IsMarker reports whether a kex_algorithms entry is a flag rather than a key
// exchange method.
func IsMarker(name string) bool { return markers[name] }

// WithoutMarkers returns the key exchange methods of a kex_algorithms list.
func WithoutMarkers(kex []string) []string {
	out := make([]string, 0, len(kex))
	for _, k := range kex {
		if !IsMarker(k) {
			out = append(out, k)
		}
	}
	return out
}

// IsAEAD reports whether a cipher carries its own integrity, in which case
// the negotiated MAC is not used (RFC 5647 as OpenSSH implements it, and
// chacha20-poly1305).
func IsAEAD(cipher string) bool {
	return cipher == "chacha20-poly1305@openssh.com" ||
		(strings.HasSuffix(cipher, "@openssh.com") && strings.Contains(cipher, "-gcm"))
}

// IsCBC reports whether a cipher runs in CBC mode. rijndael-cbc@lysator.liu.se
// and vendor names like twofish-cbc@... count: Terrapin's CBC variant does not
// care about the name's suffix.
func IsCBC(cipher string) bool {
	return strings.HasSuffix(cipher, "-cbc") || strings.Contains(cipher, "-cbc@")
}

// IsEtM reports whether a MAC is OpenSSH's encrypt-then-MAC variant.
func IsEtM(mac string) bool { return strings.HasSuffix(mac, "-etm@openssh.com") }

// isNIST reports whether a name uses one of the NIST P-curves, which ssh-audit
// fails and this package only warns about (see Options.NISTCurvesFail).
func isNIST(name string) bool { return strings.Contains(name, "nistp") }

var certSuffixes = []string{"-cert-v01@openssh.com", "-cert-v00@openssh.com", "-cert-v01@golang.org"}

// KeyType maps a host key algorithm to the type of key it uses, the type a
// known_hosts line names: the RSA signature family rsa-sha2-256/512 is an
// ssh-rsa key, and their certificates an ssh-rsa certificate.
func KeyType(alg string) string {
	for _, sfx := range certSuffixes {
		if base, ok := strings.CutSuffix(alg, sfx); ok {
			return KeyType(base) + sfx
		}
	}
	switch alg {
	case "rsa-sha2-256", "rsa-sha2-512":
		return "ssh-rsa"
	}
	return alg
}

// certBase strips a certificate suffix, leaving the type of the certified key.
func certBase(t string) (string, bool) {
	for _, sfx := range certSuffixes {
		if base, ok := strings.CutSuffix(t, sfx); ok {
			return base, true
		}
	}
	return t, false
}

// dedup keeps the first occurrence of each name: a server that lists a name
// twice still offers it once.
func dedup(names []string) []string {
	seen := make(map[string]bool, len(names))
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
