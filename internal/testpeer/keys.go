package testpeer

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// keySpec is a key type as the constructors take it: "ed25519", "ecdsa"
// (256 bits), "rsa" (ssh-keygen's default, 3072 bits), "dsa", or a type
// with its size: "ecdsa-384", "rsa-1024".
type keySpec struct {
	name string // as given, used in file names
	typ  string // ssh-keygen -t
	bits int    // ssh-keygen -b; 0 for the default
}

func parseKeySpec(s string) (keySpec, error) {
	typ, bitsStr, hasBits := strings.Cut(s, "-")
	k := keySpec{name: s, typ: typ}
	switch typ {
	case "ed25519", "ecdsa", "rsa", "dsa":
	default:
		return k, fmt.Errorf("unknown key type %q (want ed25519, ecdsa[-256|-384|-521], rsa[-BITS] or dsa)", s)
	}
	if hasBits {
		n, err := strconv.Atoi(bitsStr)
		if err != nil || n <= 0 || typ == "ed25519" || typ == "dsa" {
			return k, fmt.Errorf("bad key size in %q", s)
		}
		k.bits = n
	}
	return k, nil
}

// genKeys writes one key pair per spec into dir with ssh-keygen, all at
// once since RSA generation dominates a peer's start-up. name gives each
// private key's file name. It returns the private and public key paths in
// spec order.
func genKeys(t testing.TB, dir string, name func(spec string) string, specs []string) (priv, pub []string) {
	t.Helper()
	keygen := Require(t, "ssh-keygen")
	seen := map[string]bool{}
	parsed := make([]keySpec, len(specs))
	for i, s := range specs {
		k, err := parseKeySpec(s)
		if err != nil {
			t.Fatalf("testpeer: %v", err)
		}
		if seen[s] {
			t.Fatalf("testpeer: key type %q given twice", s)
		}
		seen[s] = true
		parsed[i] = k
	}
	priv = make([]string, len(specs))
	pub = make([]string, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, k := range parsed {
		priv[i] = filepath.Join(dir, name(k.name))
		pub[i] = priv[i] + ".pub"
		wg.Go(func() {
			args := []string{"-q", "-t", k.typ, "-N", "", "-C", "testpeer-" + k.name, "-f", priv[i]}
			if k.bits != 0 {
				args = append(args, "-b", strconv.Itoa(k.bits))
			}
			if out, err := exec.Command(keygen, args...).CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("ssh-keygen %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("testpeer: %v", err)
		}
	}
	return priv, pub
}

// ClientKey generates a user key pair (a key spec as for host keys) for
// tests that log in, and returns the private key's path and the public key
// line, ready for SSHDConfig.AuthorizedKeys.
func ClientKey(t testing.TB, keyType string) (privPath, pubLine string) {
	t.Helper()
	priv, pub := genKeys(t, t.TempDir(), func(s string) string { return "id_" + s }, []string{keyType})
	return priv[0], readLine(t, pub[0])
}

// CertOptions asks for host certificates: a CA made with ssh-keygen signs
// every host key (ssh-keygen -s CA -h).
type CertOptions struct {
	CAKeyType  string   // the CA's key spec; default "ed25519"
	Identity   string   // -I; default "testpeer"
	Principals []string // -n; default 127.0.0.1 and localhost
	Validity   string   // -V, e.g. "-5m:+1h" or "20200101:20210101"; default: forever
	Serial     uint64   // -z
}

// signHostKeys makes the CA (once per peer) and certifies each public key;
// ssh-keygen writes KEY-cert.pub next to each KEY.pub.
func signHostKeys(t testing.TB, dir string, o *CertOptions, pubs []string) (ca string, certs []string) {
	t.Helper()
	caType := o.CAKeyType
	if caType == "" {
		caType = "ed25519"
	}
	caPriv := filepath.Join(dir, "host_ca")
	ca = caPriv + ".pub"
	if !exists(ca) {
		genKeys(t, dir, func(string) string { return "host_ca" }, []string{caType})
	}
	id := o.Identity
	if id == "" {
		id = "testpeer"
	}
	principals := o.Principals
	if len(principals) == 0 {
		principals = []string{"127.0.0.1", "localhost"}
	}
	args := []string{"-q", "-s", caPriv, "-h", "-I", id, "-n", strings.Join(principals, ","), "-z", strconv.FormatUint(o.Serial, 10)}
	if o.Validity != "" {
		args = append(args, "-V", o.Validity)
	}
	args = append(args, pubs...)
	if out, err := exec.Command(Require(t, "ssh-keygen"), args...).CombinedOutput(); err != nil {
		t.Fatalf("testpeer: ssh-keygen %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	for _, p := range pubs {
		certs = append(certs, strings.TrimSuffix(p, ".pub")+"-cert.pub")
	}
	return ca, certs
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// readLine returns a one-line file (a .pub) without its line ending.
func readLine(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// Keys parses p's public host keys (PubKeys), in the same order, for the
// tests that pin them.
func (p *Peer) Keys(t testing.TB) []ssh.PublicKey {
	t.Helper()
	var keys []ssh.PublicKey
	for _, pub := range p.PubKeys {
		b, err := os.ReadFile(pub)
		if err != nil {
			t.Fatal(err)
		}
		k, _, _, _, err := ssh.ParseAuthorizedKey(b)
		if err != nil {
			t.Fatalf("%s: %v", pub, err)
		}
		keys = append(keys, k)
	}
	return keys
}
