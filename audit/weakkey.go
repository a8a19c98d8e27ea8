package audit

import (
	"bufio"
	"crypto/ecdh"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"sync"
)

// The weak-key tests read the numbers of each collected key, the way
// badkeys does offline: a key can be of a sound type and size and still be
// broken. Each finding names the method in its reason.

//go:embed compromised.txt
var compromisedList string

type compromisedKey struct{ label, source string }

var compromised = sync.OnceValue(func() map[string]compromisedKey {
	m := map[string]compromisedKey{}
	sc := bufio.NewScanner(strings.NewReader(compromisedList))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || strings.HasPrefix(f[0], "#") {
			continue
		}
		m[f[0]] = compromisedKey{label: f[2], source: f[3]}
	}
	return m
})

// fingerprint is ssh.FingerprintSHA256 of a blob, computed here so that a
// key x/crypto cannot parse still has one.
func fingerprint(blob []byte) string {
	sum := sha256.Sum256(blob)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// weakKeyFindings tests one key's blob; nothing is said of a key without
// one or of a key that passes every test.
func weakKeyFindings(k HostKey) []Finding {
	if len(k.Blob) == 0 {
		return nil
	}
	var out []Finding
	add := func(why string) {
		out = append(out, Finding{Severity: Fail, Category: Key, Algorithm: k.Type, Reason: why})
	}
	if c, ok := compromised()[fingerprint(k.Blob)]; ok {
		add("publicly compromised key (" + c.label + ", " + c.source + "): its private half is published; replace it")
	}
	pk, err := ParsePublicKey(k.Blob)
	if err != nil {
		add("key blob does not parse: " + strings.TrimPrefix(err.Error(), "audit: "))
		return out
	}
	switch {
	case pk.N != nil:
		for _, why := range rsaWeaknesses(pk.N, pk.E) {
			add(why)
		}
	case pk.P != nil:
		if why := dsaWeakness(pk); why != "" {
			add(why)
		}
	case pk.Curve != "" || strings.HasPrefix(pk.Type, "ecdsa-"):
		if why := ecdsaWeakness(pk); why != "" {
			add(why)
		}
	case pk.Type == "ssh-ed25519":
		if len(pk.Raw) != 32 {
			add(fmt.Sprintf("Ed25519 key of %d bytes, not 32 (RFC 8709)", len(pk.Raw)))
		}
	}
	return out
}

// rsaWeaknesses runs the RSA tests, cheapest first.
func rsaWeaknesses(n, e *big.Int) []string {
	var out []string
	switch {
	case e.Sign() == 0 || e.Cmp(big.NewInt(1)) == 0:
		out = append(out, fmt.Sprintf("RSA public exponent %s: encryption is the identity, the key proves nothing", e))
	case e.Bit(0) == 0:
		out = append(out, fmt.Sprintf("RSA public exponent %s is even: no RSA key has one (it shares a factor with p-1)", e))
	case e.Cmp(n) >= 0:
		out = append(out, "RSA public exponent not smaller than the modulus: not a valid key")
	case e.BitLen() > 64:
		out = append(out, fmt.Sprintf("RSA public exponent of %d bits: absurd for a real key generator", e.BitLen()))
	}
	if n.Bit(0) == 0 {
		out = append(out, "RSA modulus is even: 2 is a factor")
		return out
	}
	if p := smallFactor(n); p != 0 {
		out = append(out, fmt.Sprintf("RSA modulus has the small factor %d (trial division by the primes below %d)", p, smallFactorBound))
		return out
	}
	if p := fermatFactor(n); p != nil {
		out = append(out, fmt.Sprintf("RSA primes so close that Fermat's method factors the modulus in under %d steps", fermatRounds))
	}
	if rocaFingerprint(n) {
		out = append(out, "RSA modulus has the ROCA fingerprint (CVE-2017-15361, Infineon RSALib; Nemec et al. 2017): the primes have a structure that makes the key factorable")
	}
	return out
}

// smallFactorBound: real RSA primes are hundreds of digits long; any prime
// factor below this bound is a broken key generator.
const smallFactorBound = 1 << 16

var smallPrimes = sync.OnceValue(func() []uint64 { return primesBelow(smallFactorBound) })

func primesBelow(limit int) []uint64 {
	sieve := make([]bool, limit)
	var out []uint64
	for i := 2; i < limit; i++ {
		if !sieve[i] {
			out = append(out, uint64(i))
			for j := i * i; j < limit; j += i {
				sieve[j] = true
			}
		}
	}
	return out
}

// smallFactor returns the least prime below smallFactorBound dividing n
// (n itself excluded), or 0.
func smallFactor(n *big.Int) uint64 {
	var m big.Int
	for _, p := range smallPrimes() {
		bp := new(big.Int).SetUint64(p)
		if n.Cmp(bp) == 0 {
			return 0
		}
		if m.Mod(n, bp).Sign() == 0 {
			return p
		}
	}
	return 0
}

// fermatRounds is how far Fermat's method walks from ceil(sqrt(n)): keys
// whose primes are that close were found in the wild (Böck, 2022: printers
// with a broken prime search), and a sound key is astronomically far.
const fermatRounds = 100

// fermatFactor returns a factor of n when |p - q| is small enough for
// Fermat's method within fermatRounds steps.
func fermatFactor(n *big.Int) *big.Int {
	a := new(big.Int).Sqrt(n)
	if new(big.Int).Mul(a, a).Cmp(n) != 0 {
		a.Add(a, big.NewInt(1))
	}
	b2, b := new(big.Int), new(big.Int)
	for range fermatRounds {
		b2.Mul(a, a)
		b2.Sub(b2, n)
		b.Sqrt(b2)
		if new(big.Int).Mul(b, b).Cmp(b2) == 0 {
			p := new(big.Int).Sub(a, b)
			if p.Cmp(big.NewInt(1)) > 0 {
				return p
			}
			return nil
		}
		a.Add(a, big.NewInt(1))
	}
	return nil
}

// rocaPrimes are the small primes of the ROCA fingerprint: RSALib's primes
// are k*M + (65537^a mod M) with M the product of small primes, so n mod
// every prime r | M lies in the subgroup 65537 generates modulo r. A random
// modulus passes every residue test with negligible probability.
var rocaPrimes = []int64{3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
	79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167}

// rocaSubgroups holds, per prime r, the residues 65537^a mod r: derived
// here from the definition, not copied as bit masks.
var rocaSubgroups = sync.OnceValue(func() map[int64]map[int64]bool {
	m := map[int64]map[int64]bool{}
	for _, r := range rocaPrimes {
		set := map[int64]bool{}
		g := int64(65537 % r)
		for x := int64(1); !set[x]; x = x * g % r {
			set[x] = true
		}
		m[r] = set
	}
	return m
})

func rocaFingerprint(n *big.Int) bool {
	var mod big.Int
	for _, r := range rocaPrimes {
		res := mod.Mod(n, big.NewInt(r)).Int64()
		if !rocaSubgroups()[r][res] {
			return false
		}
	}
	return true
}

// dsaWeakness checks a DSA key's domain parameters against FIPS 186: the
// (L, N) sizes it allows, prime p and q, q | p-1, a generator of order q,
// and y in the group. Parameters outside them are either a broken generator
// or a trap (a p with a hidden structure).
func dsaWeakness(k *PublicKey) string {
	L, N := k.P.BitLen(), k.Q.BitLen()
	allowed := map[[2]int]bool{{1024, 160}: true, {2048, 224}: true, {2048, 256}: true, {3072, 256}: true}
	one := big.NewInt(1)
	pm1 := new(big.Int).Sub(k.P, one)
	switch {
	case !allowed[[2]int{L, N}]:
		return fmt.Sprintf("DSA parameters of %d/%d bits: not a size pair FIPS 186 allows", L, N)
	case !k.P.ProbablyPrime(20) || !k.Q.ProbablyPrime(20):
		return "DSA parameters not standard: p or q is not prime"
	case new(big.Int).Mod(pm1, k.Q).Sign() != 0:
		return "DSA parameters not standard: q does not divide p-1"
	case k.G.Cmp(one) <= 0 || k.G.Cmp(k.P) >= 0 || new(big.Int).Exp(k.G, k.Q, k.P).Cmp(one) != 0:
		return "DSA parameters not standard: g is not a generator of the order-q subgroup"
	case k.Y.Cmp(one) <= 0 || k.Y.Cmp(k.P) >= 0 || new(big.Int).Exp(k.Y, k.Q, k.P).Cmp(one) != 0:
		return "DSA public value y is not in the order-q subgroup"
	}
	return ""
}

// ecdsaWeakness checks that an ECDSA key names the curve its type says and
// that its point is a valid point of that curve (not the identity, not off
// the curve: an invalid-curve attack's way in).
func ecdsaWeakness(k *PublicKey) string {
	want := strings.TrimPrefix(k.Type, "ecdsa-sha2-")
	if k.Curve != want {
		return fmt.Sprintf("ECDSA key of type %s names the curve %q: not the standard parameters", k.Type, k.Curve)
	}
	var c ecdh.Curve
	switch want {
	case "nistp256":
		c = ecdh.P256()
	case "nistp384":
		c = ecdh.P384()
	case "nistp521":
		c = ecdh.P521()
	default:
		return ""
	}
	if _, err := c.NewPublicKey(k.Point); err != nil {
		return "ECDSA public point is not a valid point of " + want + ": " + err.Error()
	}
	return ""
}
