package knownhosts

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

const testdata = "../testdata/knownhosts"

// fixtureKey reads a public key ssh-keygen wrote (testdata/knownhosts/keys).
func fixtureKey(t testing.TB, name string) ssh.PublicKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, "keys", name+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return k
}

// authorized renders a key as "type base64".
func authorized(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

func newKey(t testing.TB) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustParse(t testing.TB, content string) *File {
	t.Helper()
	f, err := Parse(strings.NewReader(content), "known_hosts")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustLookup(t testing.TB, f *File, host string, port int) *Match {
	t.Helper()
	m, err := f.Lookup(host, port)
	if err != nil {
		t.Fatalf("Lookup(%q, %d): %v", host, port, err)
	}
	return m
}

func nums(lines []*Line) []int {
	out := []int{}
	for _, l := range lines {
		out = append(out, l.Num)
	}
	return out
}

// expand replaces {NAME} with the fixture key NAME as "type base64".
func expand(t testing.TB, s string) string {
	t.Helper()
	for _, name := range []string{"server_ed25519", "server_ecdsa", "server_rsa", "other_ed25519", "other_ecdsa384", "other_ecdsa521", "other_rsa", "ca", "other_ca"} {
		if strings.Contains(s, "{"+name+"}") {
			s = strings.ReplaceAll(s, "{"+name+"}", authorized(fixtureKey(t, name)))
		}
	}
	return s
}

var anyRemote = &net.TCPAddr{IP: net.IPv4zero}

// rsaLine renders an ssh-rsa key with modulus n and exponent e, bypassing
// x/crypto, which refuses exponents over 24 bits.
func rsaLine(e, n *big.Int) string {
	blob := ssh.Marshal(struct {
		Name string
		E, N *big.Int
	}{ssh.KeyAlgoRSA, e, n})
	return "ssh-rsa " + base64.StdEncoding.EncodeToString(blob)
}

// bigExponentRSA is a 2048-bit RSA key with exponent 2^32+15, as GNU lsh
// makes them: OpenSSH reads it, x/crypto does not.
func bigExponentRSA(t testing.TB) string {
	t.Helper()
	k := fixtureKey(t, "server_rsa").(ssh.CryptoPublicKey).CryptoPublicKey().(*rsa.PublicKey)
	return rsaLine(new(big.Int).SetUint64(1<<32+15), k.N)
}

// smallRSA is a 512-bit RSA key, which OpenSSH refuses to read.
func smallRSA(t testing.TB) string {
	t.Helper()
	n, _ := new(big.Int).SetString("c"+strings.Repeat("5", 127), 16)
	return rsaLine(big.NewInt(65537), n)
}
