package scan_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/kexinit"
	"github.com/sshpin/sshpin/report"
	"github.com/sshpin/sshpin/scan"
	"github.com/sshpin/sshpin/target"
)

// scanPeer scans p and fails the test on any error.
func scanPeer(t *testing.T, p *testpeer.Peer, legacy bool) *scan.Result {
	t.Helper()
	tg, err := target.Parse(p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	return scan.Scan(context.Background(), tg, scan.Options{Timeout: 20 * time.Second, Legacy: legacy, LegacyHint: "rerun with --legacy"})
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// checkAgainstOpenSSH compares a scan with the OpenSSH tools: every
// fingerprint with ssh-keygen -l's, the known_hosts lines with
// ssh-keyscan's, and each line with what ssh itself accepts. keyscan says
// how much ssh-keyscan can see: all of it, part of it (it asks for one ECDSA
// curve only), or nothing (OpenSSH 9.2's ssh-keyscan offers no SHA-1 kex).
func checkAgainstOpenSSH(t *testing.T, p *testpeer.Peer, r *scan.Result, keyscan keyscanView, sshOpts ...string) {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("scan %s: %v\nserver log:\n%s", p.Addr, r.Err, p.Log())
	}
	byFP := map[string]scan.Key{}
	for _, k := range r.Keys {
		byFP[k.SHA256] = k
	}
	for _, pub := range p.PubKeys {
		sha, md5 := testpeer.KeygenFingerprints(t, pub)
		k, ok := byFP[sha]
		if !ok {
			t.Errorf("no key with ssh-keygen's fingerprint %s (%s)", sha, pub)
			continue
		}
		if k.MD5 != md5 {
			t.Errorf("%s: md5 %s, ssh-keygen says %s", k.Type, k.MD5, md5)
		}
	}
	if len(r.Keys) != len(p.PubKeys) {
		t.Errorf("%d keys, the server has %d", len(r.Keys), len(p.PubKeys))
	}
	lines := report.KnownHostsLines(r, false)
	switch keyscan {
	case keyscanAll:
		if got, want := sorted(lines), sorted(testpeer.Keyscan(t, p)); !slices.Equal(got, want) {
			t.Errorf("known_hosts lines differ from ssh-keyscan's\n got: %q\nwant: %q", got, want)
		}
	case keyscanSome:
		for _, l := range testpeer.Keyscan(t, p) {
			if !slices.Contains(lines, l) {
				t.Errorf("ssh-keyscan found %q, sshpin did not", l)
			}
		}
	}
	// ssh itself, with strict checking against sshpin's lines, one host key
	// algorithm at a time so that every line is put to the test.
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, k := range r.Keys {
		if k.Cert != nil {
			continue
		}
		opts := append(slices.Clone(sshOpts), "-o", "HostKeyAlgorithms="+k.Algorithm)
		if ok, out := testpeer.SSHAccepts(t, p, kh, opts...); !ok {
			t.Errorf("ssh rejected sshpin's %s line:\n%s", k.Type, out)
		}
	}
}

type keyscanView int

const (
	keyscanAll keyscanView = iota
	keyscanSome
	keyscanNone
)

func TestScanModernSSHDMatchesKeyscan(t *testing.T) {
	p := testpeer.Modern(t)
	r := scanPeer(t, p, false)
	if n := p.Connections(); n != r.Connections || n != 3 {
		t.Errorf("server counted %d connections, scan reports %d, want 3: one per key type", n, r.Connections)
	}
	checkAgainstOpenSSH(t, p, r, keyscanAll)
	for _, k := range r.Keys {
		if k.Type == "ssh-rsa" && (k.Bits != 3072 || k.Algorithm != "rsa-sha2-256" && k.Algorithm != "rsa-sha2-512") {
			t.Errorf("rsa key: %d bits under %s, want 3072 under rsa-sha2-*", k.Bits, k.Algorithm)
		}
	}
}

func TestScanDropbearMatchesKeyscan(t *testing.T) {
	p := testpeer.Dropbear(t)
	r := scanPeer(t, p, false)
	checkAgainstOpenSSH(t, p, r, keyscanAll)
	if !slices.Contains(r.Hello.KexInit.KexAlgos, "kexguess2@matt.ucc.asn.au") {
		t.Errorf("dropbear's kex list lacks its kexguess2 marker: %q", r.Hello.KexInit.KexAlgos)
	}
}

// dropbear 2022.83 offers rsa-sha2-256 and ssh-rsa even when it has no
// RSA host key, and dies (an assertion in rsa.c) when a client picks one.
// The bug: the first handshake picked RSA, the server hung up, and the
// whole target failed with "EOF", where ssh-keyscan lists the two keys
// the server does have. The RSA type is now tried once more on its own,
// reported with the reason, and not counted as a failure.
func TestScanDropbearOfferingRSAWithoutAnRSAKey(t *testing.T) {
	p := testpeer.Dropbear(t, "ed25519", "ecdsa")
	r := scanPeer(t, p, false)
	if !slices.Contains(r.Hello.KexInit.ServerHostKeyAlgos, "rsa-sha2-256") {
		t.Skipf("this dropbear does not offer RSA without an RSA key: %q", r.Hello.KexInit.ServerHostKeyAlgos)
	}
	if r.Err != nil {
		t.Fatalf("scan failed: %v", r.Err)
	}
	checkAgainstOpenSSH(t, p, r, keyscanAll)
	if len(r.NotRetrieved) != 1 || r.NotRetrieved[0].Type != "ssh-rsa" || !strings.Contains(r.NotRetrieved[0].Reason, "hangs up") {
		t.Errorf("not retrieved %+v, want ssh-rsa, with the server hanging up as the reason", r.NotRetrieved)
	}
}

// Every ECDSA curve is its own key type and costs its own handshake.
// ssh-keyscan asks for "ecdsa" once and so sees only the server's first
// curve; sshpin must see all three.
func TestScanEachECDSACurve(t *testing.T) {
	p := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ecdsa-256", "ecdsa-384", "ecdsa-521"}})
	r := scanPeer(t, p, false)
	checkAgainstOpenSSH(t, p, r, keyscanSome)
	var types []string
	for _, k := range r.Keys {
		types = append(types, k.Type)
	}
	want := []string{"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"}
	if !slices.Equal(sorted(types), want) {
		t.Errorf("types %q, want %q", types, want)
	}
}

// A legacy-only server: without --legacy its key is reported as not
// retrieved, with the reason, and the hello is still read; with --legacy
// the key matches ssh-keyscan's.
func TestScanLegacySSHD(t *testing.T) {
	p := testpeer.Legacy(t)

	r := scanPeer(t, p, false)
	var nk *scan.NoKeyError
	if !errors.As(r.Err, &nk) {
		t.Fatalf("scan without --legacy: err %v, want *scan.NoKeyError", r.Err)
	}
	if r.Hello == nil || r.Hello.KexInit == nil {
		t.Fatal("the hello was not read from the failed handshake")
	}
	if len(r.NotRetrieved) != 1 || !strings.Contains(r.NotRetrieved[0].Reason, "--legacy") {
		t.Errorf("not retrieved %+v, want ssh-rsa with a --legacy hint", r.NotRetrieved)
	}
	if r.Connections != 1 {
		t.Errorf("%d connections for a server no handshake can complete, want 1", r.Connections)
	}

	// OpenSSH 9.2's ssh-keyscan offers no SHA-1 kex and cannot read this
	// server at all; ssh can, when told to.
	r = scanPeer(t, p, true)
	checkAgainstOpenSSH(t, p, r, keyscanNone, "-o", "KexAlgorithms=+diffie-hellman-group14-sha1",
		"-o", "PubkeyAcceptedAlgorithms=+ssh-rsa", "-o", "Ciphers=+aes128-cbc")
	if len(r.Keys) != 1 || r.Keys[0].Algorithm != "ssh-rsa" {
		t.Errorf("keys %+v, want one ssh-rsa key under ssh-rsa", r.Keys)
	}
}

// probe's lists are what the server was configured to offer.
func TestProbeLegacyListsMatchConfig(t *testing.T) {
	p := testpeer.Legacy(t)
	tg, _ := target.Parse(p.Addr)
	r := scan.Probe(context.Background(), tg, scan.Options{Timeout: 20 * time.Second})
	if r.Err != nil {
		t.Fatalf("probe: %v\n%s", r.Err, p.Log())
	}
	k := r.Hello.KexInit
	markers := func(a string) bool { return strings.HasPrefix(a, "kex-strict-") || strings.HasPrefix(a, "ext-info-") }
	for _, tc := range []struct {
		name string
		got  []string
		want string
	}{
		{"kex", slices.DeleteFunc(slices.Clone(k.KexAlgos), markers), "diffie-hellman-group14-sha1"},
		{"host key", k.ServerHostKeyAlgos, "ssh-rsa"},
		{"cipher c2s", k.CiphersClientServer, "aes128-cbc,3des-cbc,aes256-cbc"},
		{"cipher s2c", k.CiphersServerClient, "aes128-cbc,3des-cbc,aes256-cbc"},
		{"mac c2s", k.MACsClientServer, "hmac-sha1"},
		{"mac s2c", k.MACsServerClient, "hmac-sha1"},
	} {
		if got := strings.Join(tc.got, ","); got != tc.want {
			t.Errorf("%s: %s, configured %s", tc.name, got, tc.want)
		}
	}
	if !strings.HasPrefix(r.Hello.Banner.Software, "OpenSSH_") {
		t.Errorf("banner %q", r.Hello.Banner.Raw)
	}
}

// A host certificate is reported with its details, and the CA's
// fingerprint is the one ssh-keygen gives for the CA key.
func TestScanHostCertificates(t *testing.T) {
	p := testpeer.SSHD(t, testpeer.SSHDConfig{
		KeyTypes:         []string{"ed25519"},
		HostCertificates: &testpeer.CertOptions{Identity: "web-1", Principals: []string{"127.0.0.1", "web-1.example"}, Serial: 42},
	})
	r := scanPeer(t, p, false)
	if r.Err != nil {
		t.Fatalf("scan: %v\n%s", r.Err, p.Log())
	}
	caSHA, _ := testpeer.KeygenFingerprints(t, p.CA)
	var cert *scan.Key
	for i, k := range r.Keys {
		if k.Cert != nil {
			cert = &r.Keys[i]
		}
	}
	if cert == nil {
		t.Fatalf("no certificate among %d keys", len(r.Keys))
	}
	c := cert.Cert
	if c.KeyID != "web-1" || c.Serial != 42 || !slices.Equal(c.Principals, []string{"127.0.0.1", "web-1.example"}) || !c.HostCert {
		t.Errorf("certificate %+v", c)
	}
	if c.CASHA256 != caSHA {
		t.Errorf("CA fingerprint %s, ssh-keygen says %s", c.CASHA256, caSHA)
	}
	if cert.Type != "ssh-ed25519-cert-v01@openssh.com" || cert.Bits != 256 {
		t.Errorf("certificate key %s %d bits", cert.Type, cert.Bits)
	}
	// ssh-keygen -l on a -cert.pub file fingerprints the certified key.
	if sha, md5 := testpeer.KeygenFingerprints(t, p.Certs[0]); cert.SHA256 != sha || cert.MD5 != md5 {
		t.Errorf("certificate fingerprints %s %s, ssh-keygen says %s %s", cert.SHA256, cert.MD5, sha, md5)
	}
	// ssh-keyscan prints plain keys only; so does --known-hosts.
	plain := &scan.Result{Target: r.Target, Keys: slices.DeleteFunc(slices.Clone(r.Keys), func(k scan.Key) bool { return k.Cert != nil })}
	checkAgainstOpenSSH(t, p, plain, keyscanAll)
}

// The first handshake's tap must give the same hello as a raw probe.
func TestScanHelloEqualsProbe(t *testing.T) {
	p := testpeer.Modern(t)
	tg, _ := target.Parse(p.Addr)
	s := scanPeer(t, p, false)
	pr := scan.Probe(context.Background(), tg, scan.Options{Timeout: 20 * time.Second})
	if s.Err != nil || pr.Err != nil {
		t.Fatalf("scan %v, probe %v", s.Err, pr.Err)
	}
	for i, name := range kexinit.FieldNames {
		a, b := *s.Hello.KexInit.Lists()[i], *pr.Hello.KexInit.Lists()[i]
		if !slices.Equal(a, b) {
			t.Errorf("%s: scan's tap read %q, probe read %q", name, a, b)
		}
	}
}
