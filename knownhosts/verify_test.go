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
	var ke *KeyError
	if !errors.As(err, &ke) || len(ke.Want) != 1 || ke.Want[0].Num != 1 || ke.Name != "a.example.com" {
		t.Fatalf("mismatch: %v", err)
	}
	if want := "knownhosts: a.example.com: ssh-ed25519 key " + ssh.FingerprintSHA256(key) + " is not pinned (pinned at line 1)"; err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}

	err = mustLookup(t, f, "b.example.com", 2222).Verify(key)
	if !errors.As(err, &ke) || len(ke.Want) != 0 || !strings.Contains(err.Error(), "[b.example.com]:2222: no key pinned") {
		t.Fatalf("unknown host: %v", err)
	}

	rsa := fixtureKey(t, "other_rsa")
	err = mustLookup(t, f, "a.example.com", 22).Verify(rsa)
	var re *RevokedError
	if !errors.As(err, &re) || re.Line.Num != 2 || !strings.Contains(err.Error(), "is revoked (line 2)") {
		t.Fatalf("revoked: %v", err)
	}
}

// TestVerifyCertificates covers what the oracle cannot: certificates
// made here, with the rules x/crypto's CertChecker applies.
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
		err := m.Verify(c)
		if name == "no principals" {
			// x/crypto takes a certificate without principals as valid
			// for any host.
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), "knownhosts: a.example.com: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
