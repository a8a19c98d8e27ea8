package tlspin

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Sum is a SHA-256 digest.
type Sum [sha256.Size]byte

// OpenSSL is the form `openssl x509 -fingerprint -sha256` prints: upper
// case hex pairs joined by colons.
func (s Sum) OpenSSL() string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}

// Hex is the form sha256sum prints.
func (s Sum) Hex() string { return hex.EncodeToString(s[:]) }

// String is the form OpenSSH prints its fingerprints in: "SHA256:" and
// unpadded base64.
func (s Sum) String() string { return "SHA256:" + base64.RawStdEncoding.EncodeToString(s[:]) }

// Fingerprints are a certificate's two digests: of the whole certificate
// (DER), and of its SubjectPublicKeyInfo, which survives a renewal that
// keeps the key.
type Fingerprints struct {
	Cert Sum
	SPKI Sum
}

// Of returns cert's fingerprints.
func Of(cert *x509.Certificate) Fingerprints {
	return Fingerprints{Cert: sha256.Sum256(cert.Raw), SPKI: sha256.Sum256(cert.RawSubjectPublicKeyInfo)}
}
