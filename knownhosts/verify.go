package knownhosts

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/ssh"
)

// Proof says what accepted a key.
type Proof struct {
	// Line is the pinned key, or the @cert-authority line of the CA that
	// signed the certificate when CA is set.
	Line *Line
	CA   bool
	// PortFallback: Line is the bare host's, off port 22.
	PortFallback bool
	// CertErr is why a certificate was not good enough, when its key was
	// then accepted as a pinned key (OpenSSH's "Retry with plain key").
	CertErr *CertError
}

// Verify decides, as OpenSSH does, whether the host behind m may present
// key; see Check. The error is a *RevokedError, *ChangedError,
// *UnknownError or *CertError.
func (m *Match) Verify(key ssh.PublicKey) error {
	_, err := m.Check(key)
	return err
}

// Check decides, as OpenSSH's check_host_key does, whether the host behind
// m may present key, and says what accepted it:
//
//   - a key a @revoked line names (or a certificate whose key or CA it
//     names) is refused, whichever host the line is for (stricter than
//     OpenSSH, see Match.Revoked);
//   - a certificate signed by a matching CA must be valid for the host
//     (host type, validity, the host among its principals, no critical
//     options, a CA signature algorithm OpenSSH accepts by default); off
//     port 22 a certificate no CA for "[host]:port" signed is tried with
//     the bare host's CAs;
//   - a certificate not accepted so is judged by its key;
//   - a plain key must equal a pinned key: any other pinned key, of any
//     type, makes it CHANGED; a certificate pinned as a key never equals a
//     key. Off port 22, with no key pinned for "[host]:port", the bare
//     host's keys may accept it (never reject it).
func (m *Match) Check(key ssh.PublicKey) (*Proof, error) {
	if l := revokedBy(m.Revoked, key); l != nil {
		return nil, &RevokedError{Key: key, Line: l}
	}
	return m.check(key, &m.exact, m.Port != 22)
}

func (m *Match) check(key ssh.PublicKey, lv *level, fallback bool) (*Proof, error) {
	cert, ok := key.(*ssh.Certificate)
	if !ok {
		return m.checkPlain(key, lv, fallback)
	}
	var certErr *CertError
	if ca := lv.authority(cert); ca != nil {
		err := checkHostCert(cert, m.Host)
		if err == nil {
			return &Proof{Line: ca, CA: true, PortFallback: lv == &m.bare}, nil
		}
		certErr = &CertError{Name: lv.name, CA: ca, Err: err}
	} else if fallback {
		if p, err := m.check(key, &m.bare, false); err == nil {
			return p, nil
		}
	}
	p, err := m.checkPlain(cert.Key, lv, fallback)
	switch {
	case certErr == nil:
		return p, err
	case err == nil:
		p.CertErr = certErr
		return p, nil
	}
	certErr.Fallback = err
	return nil, certErr
}

func (m *Match) checkPlain(key ssh.PublicKey, lv *level, fallback bool) (*Proof, error) {
	for _, l := range lv.keys {
		if sameKey(l.Key, key) {
			return &Proof{Line: l, PortFallback: lv == &m.bare}, nil
		}
	}
	if len(lv.keys) > 0 {
		return nil, &ChangedError{Name: lv.name, Key: key, Want: lv.keys}
	}
	if fallback {
		// The bare host's keys only ever accept: a different one there
		// leaves the port's name unknown, as OpenSSH's quiet retry does.
		if p, err := m.checkPlain(key, &m.bare, false); err == nil {
			return p, nil
		}
	}
	return nil, &UnknownError{Name: m.exact.name, Key: key}
}

// authority returns the first CA line for the certificate's signer.
func (lv *level) authority(cert *ssh.Certificate) *Line {
	for _, ca := range lv.cas {
		if plainBlob(ca.Key) == plainBlob(cert.SignatureKey) {
			return ca
		}
	}
	return nil
}

// caSignatures are the certificate signature algorithms OpenSSH accepts
// by default (CASignatureAlgorithms): no SHA-1.
var caSignatures = []string{
	ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoSKED25519, ssh.KeyAlgoSKECDSA256, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}

// checkHostCert is OpenSSH's sshkey_cert_check_host for name (the host
// without port, or the HostKeyAlias) with its default CA algorithms; the
// CA's signature is checked by x/crypto.
func checkHostCert(cert *ssh.Certificate, name string) error {
	now := uint64(time.Now().Unix())
	switch {
	case cert.CertType != ssh.HostCert:
		return errors.New("not a host certificate")
	case now < cert.ValidAfter:
		return errors.New("not yet valid")
	case now >= cert.ValidBefore:
		return errors.New("expired")
	case len(cert.ValidPrincipals) == 0:
		return errors.New("the certificate lists no principal")
	case !slices.Contains(cert.ValidPrincipals, name):
		return fmt.Errorf("%q is not a listed principal", name)
	case len(cert.CriticalOptions) > 0:
		return errors.New("the certificate has critical options, which host certificates do not support")
	case cert.Signature == nil || !slices.Contains(caSignatures, cert.Signature.Format):
		return errors.New("the CA signed it with an algorithm OpenSSH refuses by default (CASignatureAlgorithms)")
	}
	checker := &ssh.CertChecker{IsHostAuthority: func(ssh.PublicKey, string) bool { return true }}
	return checker.CheckCert(name, cert)
}
