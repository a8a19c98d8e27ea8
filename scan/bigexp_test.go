package scan

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// bigExponentKey is an RSA key with a 31-bit public exponent, the kind GNU
// lsh generates: crypto/rsa signs with it, x/crypto's parser refuses it.
func bigExponentKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	e := big.NewInt(1<<30 + 3)
	one := big.NewInt(1)
	for {
		p, _ := rand.Prime(rand.Reader, 1024)
		q, _ := rand.Prime(rand.Reader, 1024)
		pm, qm := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
		phi := new(big.Int).Mul(pm, qm)
		d := new(big.Int).ModInverse(e, phi)
		if d == nil || p.Cmp(q) == 0 {
			continue
		}
		k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: int(e.Int64())}, D: d, Primes: []*big.Int{p, q}}
		k.Precompute()
		if err := k.Validate(); err != nil {
			t.Fatal(err)
		}
		return k
	}
}

// TestScanRSAExponentOver24Bits: the key x/crypto refuses is listed as not
// retrieved with the reason and its blob, never dropped, and the scan of
// the other types goes on and succeeds.
func TestScanRSAExponentOver24Bits(t *testing.T) {
	_, edk, _ := ed25519.GenerateKey(rand.Reader)
	ed, _ := ssh.NewSignerFromKey(edk)
	big, err := ssh.NewSignerFromKey(bigExponentKey(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, keys := range [][]ssh.Signer{{ed, big}, {big}} {
		srv := startServer(t, serverConfig(keys...), nil)
		r := Scan(context.Background(), srv.target(t), Options{Timeout: 20 * time.Second})
		if len(r.NotRetrieved) != 1 {
			t.Fatalf("not retrieved %+v (err %v)", r.NotRetrieved, r.Err)
		}
		n := r.NotRetrieved[0]
		if n.Type != "ssh-rsa" || !strings.Contains(n.Reason, "exponents over 24 bits") || !strings.Contains(n.Reason, "31 bits") {
			t.Errorf("entry %+v", n)
		}
		if want := "ssh-rsa " + strings.Fields(string(ssh.MarshalAuthorizedKey(big.PublicKey())))[1]; n.PublicKey != want {
			t.Errorf("public key %q, want %q", n.PublicKey, want)
		}
		if len(keys) == 2 {
			if r.Err != nil || len(r.Keys) != 1 || r.Keys[0].Type != "ssh-ed25519" {
				t.Errorf("other keys: %+v, err %v", r.Keys, r.Err)
			}
		} else if r.Err == nil {
			t.Error("no key at all, and no error")
		}
	}
}

// TestRefusedKeyJSON: the refused key survives a JSON round trip, so that
// audit --from rates it too.
func TestRefusedKeyJSON(t *testing.T) {
	n := NotRetrieved{Type: "ssh-rsa", Reason: "x", PublicKey: "ssh-rsa AAAA"}
	b, err := json.Marshal(n)
	if err != nil || !strings.Contains(string(b), `"public_key":"ssh-rsa AAAA"`) {
		t.Errorf("%s %v", b, err)
	}
}
