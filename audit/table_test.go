package audit

import (
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestTableRowsWellFormed(t *testing.T) {
	seen := map[key]bool{}
	for _, r := range table {
		switch r.cat {
		case Kex, HostKeyAlg, Cipher, MAC, Compression:
		default:
			t.Errorf("%s: category %q", r.name, r.cat)
		}
		switch r.rating {
		case Fail, Warn, OK, Info, Unknown:
		default:
			t.Errorf("%s: rating %q", r.name, r.rating)
		}
		if r.reason == "" || strings.TrimSpace(r.name) != r.name || r.name == "" {
			t.Errorf("%q: empty reason or untrimmed name", r.name)
		}
		if seen[key{r.cat, r.name}] {
			t.Errorf("%s %s: listed twice", r.cat, r.name)
		}
		seen[key{r.cat, r.name}] = true
		if IsMarker(r.name) != (r.cat == Kex && strings.HasPrefix(r.reason, "marker:")) {
			t.Errorf("%s: marker set and table disagree", r.name)
		}
	}
}

// The brief's name families must all be known.
func TestTableCoversRequiredNames(t *testing.T) {
	names := map[Category][]string{
		Kex: {"mlkem768x25519-sha256", "mlkem768nistp256-sha256", "mlkem1024nistp384-sha384",
			"sntrup761x25519-sha512@openssh.com", "sntrup761x25519-sha512", "sntrup4591761x25519-sha512@tinyssh.org",
			"ext-info-s", "ext-info-c", "kex-strict-s-v00@openssh.com", "kex-strict-c-v00@openssh.com",
			"kexguess2@matt.ucc.asn.au", "curve448-sha512", "diffie-hellman-group-exchange-sha256@ssh.com",
			"gss-group14-sha256-toWM5Slw5Ew8Mqkay+al2g=="},
		HostKeyAlg: {"ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
			"ssh-mldsa-65", "rsa-sha2-512-cert-v01@openssh.com", "ssh-rsa-sha256@ssh.com", "ssh-ed448"},
		Cipher:      {"rijndael-cbc@lysator.liu.se", "aes256-gcm@openssh.com", "cast128-12-cbc@ssh.com", "twofish256-ctr"},
		MAC:         {"hmac-sha256@ssh.com", "hmac-sha2-256-96-etm@openssh.com", "umac-128-etm@openssh.com", "hmac-ripemd160@openssh.com"},
		Compression: {"none", "zlib", "zlib@openssh.com"},
	}
	for cat, list := range names {
		for _, n := range list {
			if a := Lookup(cat, n); !a.Known {
				t.Errorf("%s %s: unknown", cat, n)
			}
		}
	}
}

// Every name x/crypto can negotiate must be in the table, marked as such,
// so that diagnose never calls a name this binary speaks "unknown".
func TestTableCoversXCrypto(t *testing.T) {
	sup, ins := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	check := func(cat Category, names []string, want Support) {
		for _, n := range names {
			a := Lookup(cat, n)
			if !a.Known || a.XCrypto != want {
				t.Errorf("%s %s: known=%v xcrypto=%q, want %q", cat, n, a.Known, a.XCrypto, want)
			}
		}
	}
	check(Kex, sup.KeyExchanges, XCryptoDefault)
	check(Kex, ins.KeyExchanges, XCryptoInsecure)
	check(Kex, []string{"curve25519-sha256@libssh.org"}, XCryptoDefault)
	check(HostKeyAlg, sup.HostKeys, XCryptoDefault)
	check(HostKeyAlg, ins.HostKeys, XCryptoInsecure)
	check(Cipher, sup.Ciphers, XCryptoDefault)
	check(Cipher, ins.Ciphers, XCryptoInsecure)
	check(MAC, sup.MACs, XCryptoDefault)
	check(MAC, ins.MACs, XCryptoInsecure)
	check(Compression, []string{"none"}, XCryptoDefault)
	for _, n := range []string{"aes192-cbc", "hmac-md5", "umac-128-etm@openssh.com", "sntrup761x25519-sha512", "zlib@openssh.com", "sk-ssh-ed25519@openssh.com"} {
		for _, cat := range []Category{Kex, HostKeyAlg, Cipher, MAC, Compression} {
			if a := Lookup(cat, n); a.Known && a.XCrypto != XCryptoNo {
				t.Errorf("%s %s: x/crypto cannot negotiate it, table says %q", cat, n, a.XCrypto)
			}
		}
	}
}

// Ratings agree with ssh-audit's database for the common names, except for
// the two documented differences (NIST curves, classical kex).
func TestRatingsAgreeWithSSHAudit(t *testing.T) {
	tests := []struct {
		cat  Category
		name string
		want Severity // ssh-audit's worst rating, adjusted as documented
	}{
		{Kex, "diffie-hellman-group1-sha1", Fail},
		{Kex, "diffie-hellman-group14-sha1", Fail},
		{Kex, "diffie-hellman-group-exchange-sha1", Fail},
		{Kex, "diffie-hellman-group14-sha256", Warn},
		{Kex, "diffie-hellman-group16-sha512", OK},
		{Kex, "diffie-hellman-group-exchange-sha256", OK},
		{Kex, "curve25519-sha256", OK},    // ssh-audit: warn (not post-quantum)
		{Kex, "ecdh-sha2-nistp256", Warn}, // ssh-audit: fail (NIST curve)
		{Kex, "mlkem768x25519-sha256", OK},
		{Kex, "sntrup761x25519-sha512@openssh.com", OK},
		{Kex, "sntrup4591761x25519-sha512@tinyssh.org", Warn},
		{HostKeyAlg, "ssh-rsa", Fail},
		{HostKeyAlg, "ssh-dss", Fail},
		{HostKeyAlg, "rsa-sha2-512", OK},
		{HostKeyAlg, "ssh-ed25519", OK},
		{HostKeyAlg, "ecdsa-sha2-nistp256", Warn}, // ssh-audit: fail (NIST curve)
		{Cipher, "3des-cbc", Fail},
		{Cipher, "blowfish-cbc", Fail},
		{Cipher, "arcfour256", Fail},
		{Cipher, "rijndael-cbc@lysator.liu.se", Fail},
		{Cipher, "aes128-cbc", Warn},
		{Cipher, "aes256-ctr", OK},
		{Cipher, "aes128-gcm@openssh.com", OK},
		{Cipher, "chacha20-poly1305@openssh.com", OK},
		{Cipher, "none", Fail},
		{MAC, "hmac-sha1", Fail},
		{MAC, "hmac-sha1-etm@openssh.com", Fail},
		{MAC, "hmac-md5", Fail},
		{MAC, "hmac-sha2-256", Warn},
		{MAC, "umac-64-etm@openssh.com", Warn},
		{MAC, "umac-64@openssh.com", Warn},
		{MAC, "hmac-sha2-512-etm@openssh.com", OK},
		{MAC, "umac-128-etm@openssh.com", OK},
	}
	for _, tt := range tests {
		if got := Lookup(tt.cat, tt.name).Rating; got != tt.want {
			t.Errorf("%s %s: rated %s, want %s", tt.cat, tt.name, got, tt.want)
		}
	}
}

func TestLookupUnknownAndPrefix(t *testing.T) {
	tests := []struct {
		cat    Category
		name   string
		known  bool
		rating Severity
	}{
		{Cipher, "rot13-cbc@example.com", false, Unknown},
		{Kex, "", false, Unknown},
		{Kex, "gss-gex-sha1-eipGX3TCiQSrx573bT1o1Q==", true, Fail},
		{Kex, "gss-group16-sha512-toWM5Slw5Ew8Mqkay+al2g==", true, OK},
		{MAC, "none", true, Fail},
		{Compression, "none", true, OK},
		{HostKeyAlg, "aes128-ctr", false, Unknown}, // right name, wrong list
	}
	for _, tt := range tests {
		a := Lookup(tt.cat, tt.name)
		if a.Known != tt.known || a.Rating != tt.rating || a.Name != tt.name {
			t.Errorf("Lookup(%s, %q) = %+v, want known=%v rating=%s", tt.cat, tt.name, a, tt.known, tt.rating)
		}
		if !a.Known && a.Reason != "unknown algorithm" {
			t.Errorf("Lookup(%s, %q): reason %q", tt.cat, tt.name, a.Reason)
		}
	}
	if len(Table()) != len(table) {
		t.Errorf("Table() has %d rows, table %d", len(Table()), len(table))
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		name             string
		aead, cbc, etm   bool
		keyType          string
		marker, nistName bool
	}{
		{name: "chacha20-poly1305@openssh.com", aead: true, keyType: "chacha20-poly1305@openssh.com"},
		{name: "aes256-gcm@openssh.com", aead: true, keyType: "aes256-gcm@openssh.com"},
		{name: "AEAD_AES_128_GCM", keyType: "AEAD_AES_128_GCM"},
		{name: "aes128-cbc", cbc: true, keyType: "aes128-cbc"},
		{name: "rijndael-cbc@lysator.liu.se", cbc: true, keyType: "rijndael-cbc@lysator.liu.se"},
		{name: "twofish-cbc@example.org", cbc: true, keyType: "twofish-cbc@example.org"},
		{name: "hmac-sha2-256-etm@openssh.com", etm: true, keyType: "hmac-sha2-256-etm@openssh.com"},
		{name: "rsa-sha2-512", keyType: "ssh-rsa"},
		{name: "rsa-sha2-256-cert-v01@openssh.com", keyType: "ssh-rsa-cert-v01@openssh.com"},
		{name: "ssh-ed25519-cert-v01@openssh.com", keyType: "ssh-ed25519-cert-v01@openssh.com"},
		{name: "ecdsa-sha2-nistp384", keyType: "ecdsa-sha2-nistp384", nistName: true},
		{name: "kexguess2@matt.ucc.asn.au", keyType: "kexguess2@matt.ucc.asn.au", marker: true},
		{name: "ext-info-s", keyType: "ext-info-s", marker: true},
	}
	for _, tt := range tests {
		if IsAEAD(tt.name) != tt.aead || IsCBC(tt.name) != tt.cbc || IsEtM(tt.name) != tt.etm ||
			KeyType(tt.name) != tt.keyType || IsMarker(tt.name) != tt.marker || isNIST(tt.name) != tt.nistName {
			t.Errorf("%s: aead=%v cbc=%v etm=%v keytype=%q marker=%v nist=%v", tt.name,
				IsAEAD(tt.name), IsCBC(tt.name), IsEtM(tt.name), KeyType(tt.name), IsMarker(tt.name), isNIST(tt.name))
		}
	}
}
