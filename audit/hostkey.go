package audit

import (
	"fmt"
	"strings"
)

// HostKey is a host key the server proved it holds, as the scan package
// reports it: its type as a known_hosts line names it (ssh-ed25519, ssh-rsa,
// ecdsa-sha2-nistp256, ssh-rsa-cert-v01@openssh.com, ...) and its size.
type HostKey struct {
	Type string    `json:"type"`
	Bits int       `json:"bits"`
	Cert *CertInfo `json:"cert,omitempty"`
	// Blob is the key in SSH wire format (for a certificate, the certified
	// key's), when known: the weak-key tests read it, and a key x/crypto
	// cannot parse (an RSA exponent over 24 bits) is sized from it.
	Blob []byte `json:"-"`
	// Unproved: the key was read from the key exchange but its signature
	// was never checked (x/crypto refused to parse it).
	Unproved bool `json:"unproved,omitempty"`
}

// CertInfo describes the CA that signed a host certificate, whose key is as
// much part of the server's identity as the host key itself.
type CertInfo struct {
	CAType string `json:"ca_type"`
	CABits int    `json:"ca_bits"`
}

// Key size thresholds, as ssh-audit and NIST SP 800-57 draw them: below 2048
// bits RSA is breakable today, below 3072 it falls short of 128-bit security.
const (
	rsaFailBits = 2048
	rsaWarnBits = 3072
)

// rateKey rates one key by its type and size; cert suffixes are stripped
// because a certificate is as strong as the key it certifies. The size is
// always the key's own, never one assumed from its type.
func rateKey(typ string, bits int, opts Options) (Severity, string) {
	base, _ := certBase(typ)
	switch {
	case isRSAKeyType(base):
		switch {
		case bits <= 0:
			return Unknown, "RSA key of unknown size"
		case bits < rsaFailBits:
			return Fail, fmt.Sprintf("RSA key of %d bits (< %d)", bits, rsaFailBits)
		case bits < rsaWarnBits:
			return Warn, fmt.Sprintf("RSA key of %d bits (< %d)", bits, rsaWarnBits)
		}
		return OK, fmt.Sprintf("RSA key of %d bits", bits)
	case isDSAKeyType(base):
		if bits <= 0 {
			return Fail, "DSA key: SHA-1 signatures (removed in OpenSSH 10.0)"
		}
		return Fail, fmt.Sprintf("DSA key of %d bits: SHA-1 signatures (removed in OpenSSH 10.0)", bits)
	case strings.Contains(base, "ecdsa-sha2-nistp"):
		curve := "P-" + base[strings.LastIndex(base, "nistp")+len("nistp"):]
		curve = strings.TrimSuffix(curve, "@openssh.com")
		if opts.NISTCurvesFail {
			return Fail, "ECDSA key over NIST " + curve
		}
		return Warn, "ECDSA key over NIST " + curve + "; a weak signing nonce reveals the key"
	case strings.Contains(base, "ecdsa-sha2-1.3.132.0.10"):
		return Warn, "ECDSA key over secp256k1; a weak signing nonce reveals the key"
	case base == "ssh-ed25519", base == "sk-ssh-ed25519@openssh.com", base == "x509v3-ssh-ed25519":
		return OK, "Ed25519 key"
	case base == "ssh-ed448", base == "x509v3-ssh-ed448":
		return OK, "Ed448 key"
	case strings.HasPrefix(base, "ssh-mldsa"):
		return OK, "ML-DSA key (post-quantum signature)"
	}
	return Unknown, "unknown key type"
}

// isRSAKeyType: ssh-rsa, and the X.509, SPKI and PGP wrappings of RSA keys.
func isRSAKeyType(t string) bool {
	return t == "ssh-rsa" || strings.HasPrefix(t, "x509v3-") && strings.Contains(t, "rsa") ||
		t == "spki-sign-rsa" || t == "pgp-sign-rsa"
}

func isDSAKeyType(t string) bool {
	return t == "ssh-dss" || strings.HasPrefix(t, "x509v3-") && strings.Contains(t, "dss") ||
		t == "spki-sign-dss" || t == "pgp-sign-dss"
}

// keyFindings rates each key, and the CA of each certificate.
func keyFindings(keys []HostKey, opts Options) []Finding {
	var out []Finding
	for _, k := range keys {
		if k.Bits <= 0 && len(k.Blob) > 0 {
			// A key x/crypto could not parse (an RSA exponent over 24
			// bits) is sized from its blob.
			if pk, err := ParsePublicKey(k.Blob); err == nil {
				k.Bits = pk.Bits()
			}
		}
		sev, why := rateKey(k.Type, k.Bits, opts)
		if k.Unproved {
			why += " (read from the key exchange, not proved: x/crypto refuses its exponent)"
		}
		out = append(out, Finding{Severity: sev, Category: Key, Algorithm: k.Type, Reason: why})
		out = append(out, weakKeyFindings(k)...)
		if k.Cert != nil {
			sev, why := rateKey(k.Cert.CAType, k.Cert.CABits, opts)
			out = append(out, Finding{Severity: sev, Category: Key, Algorithm: k.Type, Reason: "certificate CA: " + why})
		}
	}
	return out
}
