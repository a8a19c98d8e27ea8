package knownhosts

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestVerifyErrors(t *testing.T) {
	key := fixtureKey(t, "server_ed25519")
	f := mustParse(t, expand(t, "a.example.com {other_ed25519}\n@revoked * {other_rsa}\n"))

	err := mustLookup(t, f, "a.example.com", 22).Verify(key)
	var ce *ChangedError
	if !errors.As(err, &ce) || len(ce.Want) != 1 || ce.Want[0].Num != 1 || ce.Name != "a.example.com" {
		t.Fatalf("mismatch: %v", err)
	}
	if want := "knownhosts: a.example.com: ssh-ed25519 key " + ssh.FingerprintSHA256(key) + " is not the pinned one (pinned at known_hosts:1)"; err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}

	err = mustLookup(t, f, "b.example.com", 2222).Verify(key)
	var ue *UnknownError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "[b.example.com]:2222: no key pinned") {
		t.Fatalf("unknown host: %v", err)
	}

	rsa := fixtureKey(t, "other_rsa")
	err = mustLookup(t, f, "a.example.com", 22).Verify(rsa)
	var re *RevokedError
	if !errors.As(err, &re) || re.Line.Num != 2 || !strings.Contains(err.Error(), "is revoked (known_hosts:2)") {
		t.Fatalf("revoked: %v", err)
	}
}

// TestVerifyCertificates covers what the oracle cannot: certificates
// made here, with the rules of OpenSSH's sshkey_cert_check_host.
func TestVerifyCertificates(t *testing.T) {
	caPub, caPriv, _ := ed25519.GenerateKey(rand.Reader)
	caSigner, err := ssh.NewSignerFromKey(caPriv)
	if err != nil {
		t.Fatal(err)
	}
	caKey, _ := ssh.NewPublicKey(caPub)
	hostKey := newKey(t)
	cert := func(typ uint32, principals []string, before time.Time) *ssh.Certificate {
		c := &ssh.Certificate{Key: hostKey, CertType: typ, ValidPrincipals: principals, ValidBefore: uint64(before.Unix())}
		if err := c.SignCert(rand.Reader, caSigner); err != nil {
			t.Fatal(err)
		}
		return c
	}
	f := mustParse(t, "@cert-authority *.example.com "+authorized(caKey)+"\n")
	m := mustLookup(t, f, "a.example.com", 22)
	future := time.Now().Add(time.Hour)
	if err := m.Verify(cert(ssh.HostCert, []string{"a.example.com"}, future)); err != nil {
		t.Errorf("valid: %v", err)
	}
	for name, c := range map[string]*ssh.Certificate{
		"expired":       cert(ssh.HostCert, []string{"a.example.com"}, time.Now().Add(-time.Hour)),
		"principal":     cert(ssh.HostCert, []string{"b.example.com"}, future),
		"user cert":     cert(ssh.UserCert, []string{"a.example.com"}, future),
		"no principals": cert(ssh.HostCert, nil, future),
	} {
		// OpenSSH refuses a certificate without principals, which
		// x/crypto would take as valid for any host.
		err := m.Verify(c)
		var certErr *CertError
		if !errors.As(err, &certErr) || !strings.HasPrefix(err.Error(), "knownhosts: a.example.com: ") {
			t.Errorf("%s: %v", name, err)
		}
		var ue *UnknownError
		if !errors.As(err, &ue) {
			t.Errorf("%s: the key behind the certificate is not pinned, so the host is unknown: %v", name, err)
		}
	}

	// With the certificate's key also pinned, OpenSSH retries the plain
	// key and connects; so does Verify, and Check says why.
	both := mustParse(t, "@cert-authority *.example.com "+authorized(caKey)+"\na.example.com "+authorized(hostKey)+"\n")
	bad := cert(ssh.HostCert, []string{"b.example.com"}, future)
	p, err := mustLookup(t, both, "a.example.com", 22).Check(bad)
	if err != nil || p.CA || p.Line.Num != 2 || p.CertErr == nil || p.CertErr.CA.Num != 1 {
		t.Errorf("invalid certificate, key pinned: %+v, %v", p, err)
	}

	// A certificate pinned as a key is CHANGED for its key and for itself.
	good := cert(ssh.HostCert, []string{"a.example.com"}, future)
	pinnedCert := mustParse(t, "a.example.com "+authorized(good)+"\n")
	pm := mustLookup(t, pinnedCert, "a.example.com", 22)
	for _, k := range []ssh.PublicKey{good, hostKey} {
		var ce *ChangedError
		if err := pm.Verify(k); !errors.As(err, &ce) {
			t.Errorf("certificate pinned as a key, %s presented: %v", k.Type(), err)
		}
	}
	if got := pm.Types(); len(got) != 1 || got[0] != ssh.KeyAlgoED25519 {
		t.Errorf("Types = %v, want the certificate's key type", got)
	}
}
