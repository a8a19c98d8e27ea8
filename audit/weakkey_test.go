package audit

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/binary"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

const weakDir = "../testdata/audit/weakkeys"

// readPubs reads "type base64 label" lines.
func readPubs(t testing.TB, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 3 {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(fs[1])
		if err != nil {
			t.Fatalf("%s: %v", fs[2], err)
		}
		out[fs[2]] = b
	}
	return out
}

func rsaBlob(e, n *big.Int) []byte {
	b := appendString(nil, []byte("ssh-rsa"))
	b = appendMpint(b, e)
	return appendMpint(b, n)
}

func appendString(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func appendMpint(b []byte, v *big.Int) []byte {
	raw := v.Bytes()
	if len(raw) > 0 && raw[0]&0x80 != 0 {
		raw = append([]byte{0}, raw...)
	}
	return appendString(b, raw)
}

func reasons(fs []Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Reason)
	}
	return strings.Join(out, " | ")
}

// TestROCA runs the ROCA fingerprint on the published test vectors of the
// ROCA detector (crocs-muni/roca, roca/tests/data; its README lists the
// positives).
func TestROCA(t *testing.T) {
	positive := map[string]bool{"mod01": true, "mod02": true, "mod03": true, "mod08": true, "mod09": true, "ssh06": true}
	raw, err := os.ReadFile(filepath.Join(weakDir, "roca-moduli.txt"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		hex, name, _ := strings.Cut(line, " ")
		m, ok := new(big.Int).SetString(strings.TrimPrefix(hex, "0x"), 16)
		if !ok {
			t.Fatalf("%s: not hex", name)
		}
		if got := rocaFingerprint(m); got != positive[name] {
			t.Errorf("%s: ROCA fingerprint %v, want %v", name, got, positive[name])
		}
		n++
	}
	for name, blob := range readPubs(t, filepath.Join(weakDir, "roca-ssh.pub")) {
		fs := weakKeyFindings(HostKey{Type: "ssh-rsa", Blob: blob})
		if got := strings.Contains(reasons(fs), "ROCA"); got != positive[name] {
			t.Errorf("%s: findings %q, ROCA positive %v", name, reasons(fs), positive[name])
		}
		n++
	}
	if n != 15 {
		t.Errorf("%d vectors, want 15", n)
	}
	// Keys Go generates are never ROCA keys.
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	if rocaFingerprint(k.N) {
		t.Error("a fresh key has the ROCA fingerprint")
	}
}

func nextPrime(x *big.Int) *big.Int {
	p := new(big.Int).Set(x)
	if p.Bit(0) == 0 {
		p.Add(p, big.NewInt(1))
	}
	for !p.ProbablyPrime(20) {
		p.Add(p, big.NewInt(2))
	}
	return p
}

func TestRSAWeaknesses(t *testing.T) {
	// Fermat: consecutive primes, as the printers Böck found in 2022 made
	// them (the prime search started from one random point for both).
	start, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 1023))
	start.SetBit(start, 1023, 1)
	p := nextPrime(start)
	q := nextPrime(new(big.Int).Add(p, big.NewInt(2)))
	fermat := new(big.Int).Mul(p, q)

	sound, _ := rsa.GenerateKey(rand.Reader, 2048)
	big65537 := big.NewInt(65537)
	smallF := new(big.Int).Mul(big.NewInt(65521), sound.Primes[0])
	tests := []struct {
		name string
		e, n *big.Int
		want []string // substrings, one per finding
	}{
		{"sound key", big65537, sound.N, nil},
		{"fermat", big65537, fermat, []string{"Fermat"}},
		{"small factor", big65537, smallF, []string{"small factor 65521"}},
		{"even modulus", big65537, new(big.Int).Lsh(sound.N, 1), []string{"even: 2"}},
		{"e = 1", big.NewInt(1), sound.N, []string{"exponent 1"}},
		{"even e", big.NewInt(65536), sound.N, []string{"is even"}},
		{"e >= n", new(big.Int).Add(sound.N, big.NewInt(2)), sound.N, []string{"not smaller than the modulus"}},
		{"absurd e", new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 100), big.NewInt(1)), sound.N, []string{"exponent of 101 bits"}},
		{"lsh's 30-bit exponent is fine", big.NewInt(1<<29 + 1), sound.N, nil},
	}
	for _, tt := range tests {
		fs := weakKeyFindings(HostKey{Type: "ssh-rsa", Blob: rsaBlob(tt.e, tt.n)})
		if len(fs) != len(tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, reasons(fs), tt.want)
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(fs[i].Reason, w) || fs[i].Severity != Fail {
				t.Errorf("%s: %+v, want %q", tt.name, fs[i], w)
			}
		}
	}
}

func TestDSAAndECDSAParameters(t *testing.T) {
	pubs := readPubs(t, "../testdata/audit/compromised/x-crypto-testdata.pub")
	dsaBlob := pubs["x-crypto-testdata-dsa"]
	pk, err := ParsePublicKey(dsaBlob)
	if err != nil || pk.P == nil {
		t.Fatal(err)
	}
	if why := dsaWeakness(pk); why != "" {
		t.Errorf("x/crypto's DSA test key: %s", why)
	}
	bad := func(mut func(k *PublicKey)) string {
		k, _ := ParsePublicKey(dsaBlob)
		mut(k)
		return dsaWeakness(k)
	}
	one := big.NewInt(1)
	for name, mut := range map[string]func(*PublicKey){
		"g = 1":        func(k *PublicKey) { k.G = one },
		"p not prime":  func(k *PublicKey) { k.P = new(big.Int).Add(k.P, big.NewInt(2)) },
		"q of p-1 not": func(k *PublicKey) { k.Q = nextPrime(new(big.Int).Add(k.Q, big.NewInt(2))) },
		"y outside":    func(k *PublicKey) { k.Y = new(big.Int).Sub(k.P, one) },
	} {
		if bad(mut) == "" {
			t.Errorf("%s: not flagged", name)
		}
	}

	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	spk, _ := ssh.NewPublicKey(&ec.PublicKey)
	good := spk.Marshal()
	if fs := weakKeyFindings(HostKey{Type: spk.Type(), Blob: good}); len(fs) != 0 {
		t.Errorf("fresh P-256 key: %q", reasons(fs))
	}
	k, _ := ParsePublicKey(good)
	off := append([]byte{}, k.Point...)
	off[len(off)-1] ^= 1
	offCurve := appendString(appendString(appendString(nil, []byte("ecdsa-sha2-nistp256")), []byte("nistp256")), off)
	wrongName := appendString(appendString(appendString(nil, []byte("ecdsa-sha2-nistp256")), []byte("nistp384")), k.Point)
	for name, blob := range map[string][]byte{"point off the curve": offCurve, "curve name": wrongName} {
		if fs := weakKeyFindings(HostKey{Type: "ecdsa-sha2-nistp256", Blob: blob}); len(fs) != 1 {
			t.Errorf("%s: %q", name, reasons(fs))
		}
	}
}

func TestCompromisedHostKeys(t *testing.T) {
	files, _ := filepath.Glob("../testdata/audit/compromised/*.pub")
	n := 0
	for _, f := range files {
		for label, blob := range readPubs(t, f) {
			n++
			fs := weakKeyFindings(HostKey{Type: "x", Blob: blob})
			if len(fs) == 0 || !strings.Contains(fs[0].Reason, "publicly compromised") || !strings.Contains(fs[0].Reason, label) {
				t.Errorf("%s: %q", label, reasons(fs))
			}
		}
	}
	if n != len(compromised()) || n < 60 {
		t.Errorf("%d keys in testdata, %d in the embedded list", n, len(compromised()))
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	spk, _ := ssh.NewPublicKey(priv.Public())
	if fs := weakKeyFindings(HostKey{Type: spk.Type(), Blob: spk.Marshal()}); len(fs) != 0 {
		t.Errorf("fresh key: %q", reasons(fs))
	}
}

func seedBlobs() [][]byte {
	k, _ := rsa.GenerateKey(rand.Reader, 1024)
	spk, _ := ssh.NewPublicKey(&k.PublicKey)
	return [][]byte{spk.Marshal(), rsaBlob(big.NewInt(1), big.NewInt(15)), {0, 0, 0, 7, 's', 's', 'h', '-', 'd', 's', 's'},
		appendString(appendString(nil, []byte("ecdsa-sha2-nistp256")), []byte("nistp256")), {0xff, 0xff, 0xff, 0xff}}
}

// TestRefusedRSAKeyRatedFromBlob: a key x/crypto refuses (exponent over 24
// bits) is sized and rated from its blob, and marked as not proved.
func TestRefusedRSAKeyRatedFromBlob(t *testing.T) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	blob := rsaBlob(big.NewInt(1<<30+3), k.N)
	fs := keyFindings([]HostKey{{Type: "ssh-rsa", Blob: blob, Unproved: true}}, Options{})
	if len(fs) != 1 || fs[0].Severity != Warn || !strings.Contains(fs[0].Reason, "RSA key of 2048 bits") || !strings.Contains(fs[0].Reason, "not proved") {
		t.Errorf("findings %+v", fs)
	}
}
