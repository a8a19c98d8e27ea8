package scan

import (
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Key is one host key a server proved it holds: it signed the exchange hash
// of a completed key exchange with it.
type Key struct {
	Type      string        `json:"type"`       // ssh.PublicKey.Type(): ssh-rsa for every RSA signature algorithm
	Bits      int           `json:"bits"`       // as ssh-keygen -l prints it
	SHA256    string        `json:"sha256"`     // SHA256:... as ssh-keygen -l prints it
	MD5       string        `json:"md5"`        // MD5:aa:bb:... as ssh-keygen -l -E md5 prints it
	PublicKey string        `json:"public_key"` // authorized_keys / known_hosts form
	Algorithm string        `json:"algorithm"`  // the host key algorithm that was negotiated
	Cert      *Certificate  `json:"certificate,omitempty"`
	Key       ssh.PublicKey `json:"-"`
}

// Certificate describes a host certificate. Whether its CA is trusted is for
// check to decide against the pinned @cert-authority lines.
type Certificate struct {
	KeyID       string           `json:"key_id"`
	Serial      uint64           `json:"serial"`
	Principals  []string         `json:"principals"`
	ValidAfter  *time.Time       `json:"valid_after,omitempty"`  // absent: from the beginning of time
	ValidBefore *time.Time       `json:"valid_before,omitempty"` // absent: forever
	CAType      string           `json:"ca_type"`
	CASHA256    string           `json:"ca_sha256"`
	HostCert    bool             `json:"host_certificate"` // false: a user certificate presented as a host key
	Cert        *ssh.Certificate `json:"-"`
}

// NewKey describes k; algorithm is the host key algorithm it was seen under.
func NewKey(k ssh.PublicKey, algorithm string) Key {
	key := Key{
		Type:      k.Type(),
		Bits:      Bits(k),
		SHA256:    ssh.FingerprintSHA256(k),
		MD5:       "MD5:" + ssh.FingerprintLegacyMD5(k),
		PublicKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))),
		Algorithm: algorithm,
		Key:       k,
	}
	if c, ok := k.(*ssh.Certificate); ok {
		// ssh-keygen -l and ssh -v fingerprint the certified key, not the
		// certificate's blob; so must we, or no fingerprint would match.
		key.Bits = Bits(c.Key)
		key.SHA256 = ssh.FingerprintSHA256(c.Key)
		key.MD5 = "MD5:" + ssh.FingerprintLegacyMD5(c.Key)
		key.Cert = describeCert(c)
	}
	return key
}

// maxCertTime is the last second JSON can carry (RFC 3339 has four-digit
// years): a certificate dated later, which a hostile server may send, is
// shown as valid to then rather than failing the whole report.
var maxCertTime = uint64(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix())

func describeCert(c *ssh.Certificate) *Certificate {
	out := &Certificate{
		KeyID:      c.KeyId,
		Serial:     c.Serial,
		Principals: c.ValidPrincipals,
		CAType:     c.SignatureKey.Type(),
		CASHA256:   ssh.FingerprintSHA256(c.SignatureKey),
		HostCert:   c.CertType == ssh.HostCert,
		Cert:       c,
	}
	if out.Principals == nil {
		out.Principals = []string{}
	}
	if c.ValidAfter != 0 {
		t := time.Unix(int64(min(c.ValidAfter, maxCertTime)), 0).UTC()
		out.ValidAfter = &t
	}
	if c.ValidBefore != ssh.CertTimeInfinity {
		t := time.Unix(int64(min(c.ValidBefore, maxCertTime)), 0).UTC()
		out.ValidBefore = &t
	}
	return out
}

// Bits is the key size as ssh-keygen -l reports it.
func Bits(k ssh.PublicKey) int {
	if c, ok := k.(*ssh.Certificate); ok {
		k = c.Key
	}
	cpk, ok := k.(ssh.CryptoPublicKey)
	if !ok {
		return 0
	}
	switch pk := cpk.CryptoPublicKey().(type) {
	case *rsa.PublicKey:
		return pk.N.BitLen()
	case *ecdsa.PublicKey:
		return pk.Curve.Params().BitSize
	case ed25519.PublicKey:
		return 256
	case *dsa.PublicKey:
		return pk.P.BitLen()
	}
	return 0
}
