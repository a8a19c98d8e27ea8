package knownhosts

import (
	"fmt"
	"net"
	"strconv"

	"golang.org/x/crypto/ssh"
)

// Verify decides, as OpenSSH does, whether the host behind m may present
// key: it must not be revoked, and it must be one of the pinned keys or a
// valid host certificate for m.Host from one of the matching CAs. A
// certificate no matching CA signed is judged by its key, as OpenSSH
// retries it as a plain key. The error is a *RevokedError, a *KeyError, or
// x/crypto's reason for rejecting a certificate.
func (m *Match) Verify(key ssh.PublicKey) error {
	if l := revokedBy(m.Revoked, key); l != nil {
		return &RevokedError{Key: key, Line: l}
	}
	if cert, ok := key.(*ssh.Certificate); ok {
		for _, ca := range m.Authorities {
			if plainBlob(ca.Key) != plainBlob(cert.SignatureKey) {
				continue
			}
			if cert.CertType != ssh.HostCert {
				return fmt.Errorf("knownhosts: %s: a user certificate is presented as a host key", m.Name)
			}
			checker := &ssh.CertChecker{
				IsHostAuthority: func(ssh.PublicKey, string) bool { return true },
			}
			if err := checker.CheckCert(m.Host, cert); err != nil {
				return fmt.Errorf("knownhosts: %s: certificate signed by the CA at line %d: %w", m.Name, ca.Num, err)
			}
			return nil
		}
		key = cert.Key
	}
	for _, l := range m.Keys {
		if plainBlob(l.Key) == plainBlob(key) {
			return nil
		}
	}
	return &KeyError{Name: m.Name, Key: key, Want: m.Keys}
}

// HostKeyCallback verifies host keys against f with Lookup and Verify, for
// ssh.ClientConfig. Unlike x/crypto's knownhosts.New it works on a file
// with bad lines, and it matches ports as OpenSSH does.
func (f *File) HostKeyCallback() ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		host, portStr, err := net.SplitHostPort(hostname)
		if err != nil {
			host, portStr = hostname, "22"
		}
		port, err := strconv.Atoi(portStr)
		if err != nil {
			return fmt.Errorf("knownhosts: bad port in %q", hostname)
		}
		m, err := f.Lookup(host, port)
		if err != nil {
			return err
		}
		return m.Verify(key)
	}
}
