package main

// The differential test of known_hosts semantics: every case of
// testdata/knownhosts/differential.txt is given to the real ssh client
// (UserKnownHostsFile=case, one connection per host key algorithm, strict
// checking) against a real sshd, and sshpin must decide the same way in
// each of its readings: knownhosts.Set's Lookup and Verify, the callback an
// embedder hands x/crypto (over a real connection), sftp's Dial, and
// check's per-key statuses (check.Diff, and the CLI on the port cases).

import (
	"github.com/sshpin/sshpin/check"

	"bufio"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/knownhosts"
	"github.com/sshpin/sshpin/scan"
	"github.com/sshpin/sshpin/sftpx"
	"github.com/sshpin/sshpin/sshdial"
	"github.com/sshpin/sshpin/target"
)

// diffAlgorithms are the host key algorithms every case is tried with:
// each makes the server present one key or certificate.
var diffAlgorithms = []string{
	ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoRSASHA512,
	ssh.CertAlgoED25519v01, ssh.CertAlgoECDSA256v01, ssh.CertAlgoRSASHA512v01,
}

// sshParallel bounds the ssh clients running at once: the machine is shared.
const sshParallel = 4

type diffCase struct {
	name, alias string
	stricter    bool
	content     string
}

// nextFile, a line of its own in a case, starts the case's next file.
const nextFile = "--- next file\n"

// The outcomes, in ssh's words.
const (
	outAccepted = "accepted"
	outChanged  = "changed"
	outUnknown  = "unknown"
	outRevoked  = "revoked"
)

func readDiffCases(t *testing.T) []diffCase {
	b, err := os.ReadFile(filepath.Join("testdata", "knownhosts", "differential.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []diffCase
	for _, line := range strings.SplitAfter(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "#") && len(cases) == 0:
		case strings.HasPrefix(line, "== "):
			f := strings.Split(strings.TrimSpace(strings.TrimPrefix(line, "== ")), " | ")
			c := diffCase{name: f[0], alias: f[1]}
			c.stricter = len(f) > 2 && f[2] == "stricter"
			cases = append(cases, c)
		case len(cases) > 0:
			cases[len(cases)-1].content += line
		}
	}
	return cases
}

// diffPeer is the server every case is replayed against, and what the
// placeholders expand to.
type diffPeer struct {
	p     *testpeer.Peer
	vars  map[string]string
	keys  map[string]ssh.PublicKey // by diffAlgorithms entry: what the server presents
	scan  *scan.Result
	clKey string // a client key the server does not accept
}

func newDiffPeer(t *testing.T) *diffPeer {
	p := testpeer.SSHD(t, testpeer.SSHDConfig{
		KeyTypes:         testpeer.ModernKeyTypes,
		HostCertificates: &testpeer.CertOptions{Principals: []string{"h.example", "127.0.0.1"}},
	})
	d := &diffPeer{p: p, vars: map[string]string{"port": strconv.Itoa(p.Port)}, keys: map[string]ssh.PublicKey{}}
	parse := func(path string) (string, ssh.PublicKey) {
		k, _, _, _, err := ssh.ParseAuthorizedKey(readFile(t, path))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))), k
	}
	names := []string{"ed25519", "ecdsa", "rsa"}
	for i, path := range p.PubKeys {
		line, k := parse(path)
		d.vars[names[i]] = line
		d.vars[names[i]+":b64"] = strings.Fields(line)[1]
		d.keys[diffAlgorithms[i]] = k
		cline, c := parse(p.Certs[i])
		d.vars[names[i]+"-cert"] = cline
		d.keys[diffAlgorithms[i+3]] = c
	}
	d.vars["ca"], _ = parse(p.CA)
	d.vars["ca:tab"] = strings.Replace(d.vars["ca"], " ", "\t", 1)
	other := testpeer.ClientKey
	_, otherLine := other(t, "ed25519")
	d.vars["other"] = strings.Join(strings.Fields(otherLine)[:2], " ")
	rsaKey := d.keys[ssh.KeyAlgoRSASHA512].(ssh.CryptoPublicKey).CryptoPublicKey().(*rsa.PublicKey)
	d.vars["rsa-bigexp"] = rsaText(new(big.Int).SetUint64(1<<32+15), rsaKey.N)
	n512, _ := new(big.Int).SetString("c"+strings.Repeat("5", 127), 16)
	d.vars["rsa512"] = rsaText(big.NewInt(65537), n512)
	d.clKey, _ = testpeer.ClientKey(t, "ed25519")

	tg, err := target.Parse(p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	d.scan = scan.Scan(t.Context(), tg, scan.Options{Timeout: 60 * time.Second})
	if d.scan.Err != nil || len(d.scan.Keys) != 6 {
		t.Fatalf("scan: %v, %d keys", d.scan.Err, len(d.scan.Keys))
	}
	return d
}

func rsaText(e, n *big.Int) string {
	blob := ssh.Marshal(struct {
		Name string
		E, N *big.Int
	}{ssh.KeyAlgoRSA, e, n})
	return "ssh-rsa " + base64.StdEncoding.EncodeToString(blob)
}

// expand fills a case's placeholders.
func (d *diffPeer) expand(t *testing.T, s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		j := strings.IndexByte(s[max(i, 0):], '}')
		if i < 0 || j < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		name := s[i+1 : i+j]
		s = s[i+j+1:]
		kind, arg, _ := strings.Cut(name, ":")
		switch kind {
		case "long":
			n, _ := strconv.Atoi(arg)
			b.WriteString(strings.Repeat("x", n))
		case "list":
			n, _ := strconv.Atoi(arg)
			for k := range n {
				if k > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "n%d.example", k)
			}
		case "hash":
			salt := []byte("sshpin differential")[:sha1.Size-1]
			salt = append(salt, '!')
			mac := hmac.New(sha1.New, salt)
			mac.Write([]byte(arg))
			b.WriteString("|1|" + base64.StdEncoding.EncodeToString(salt) + "|" + base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		case "file":
			b.Write(readFile(t, filepath.Join("testdata", "knownhosts", arg)))
		default:
			v, ok := d.vars[name]
			if !ok {
				t.Fatalf("unknown placeholder {%s}", name)
			}
			b.WriteString(v)
		}
	}
	return strings.NewReplacer(`\t`, "\t", `\r`, "\r", `\x00`, "\x00", `\x01`, "\x01", `\ufeff`, "\ufeff").Replace(b.String())
}

// sshOutcome runs the real client once and says what it decided.
func (d *diffPeer) sshOutcome(t *testing.T, file, alias, algo string) string {
	opts := []string{"-o", "HostKeyAlgorithms=" + algo}
	if alias != "-" {
		opts = append(opts, "-o", "HostKeyAlias="+alias)
	}
	ok, out := testpeer.SSHAccepts(t, d.p, file, opts...)
	switch {
	case ok:
		return outAccepted
	case strings.Contains(out, "REVOKED HOST KEY"):
		return outRevoked
	case strings.Contains(out, "REMOTE HOST IDENTIFICATION HAS CHANGED"):
		return outChanged
	case strings.Contains(out, "host key is known for"):
		return outUnknown
	}
	t.Errorf("ssh -o HostKeyAlgorithms=%s: rejected the key, but how?\n%s", algo, out)
	return "rejected"
}

func outcomeOf(err error) string {
	var ce *knownhosts.ChangedError
	var ue *knownhosts.UnknownError
	var re *knownhosts.RevokedError
	switch {
	case err == nil:
		return outAccepted
	case errors.As(err, &re):
		return outRevoked
	case errors.As(err, &ce):
		return outChanged
	case errors.As(err, &ue):
		return outUnknown
	}
	return "error: " + err.Error()
}

func (c diffCase) lookupName(d *diffPeer) (string, int) {
	if c.alias == "-" {
		return d.p.Host, d.p.Port
	}
	return c.alias, 22
}

// viaConnection are the algorithms the callback is also tried with over a
// real x/crypto connection (a plain key and a certificate); the others
// call it with the key, which spares the shared CI machine a few hundred
// handshakes that would prove nothing more.
var viaConnection = map[string]bool{ssh.KeyAlgoED25519: true, ssh.CertAlgoED25519v01: true}

// callbackOutcome connects with x/crypto as an embedder would: the Set's
// callback, and only the one algorithm.
func (d *diffPeer) callbackOutcome(t *testing.T, set *knownhosts.Set, c diffCase, algo string) string {
	host, port := c.lookupName(d)
	if !viaConnection[algo] {
		return outcomeOf(set.HostKeyCallback()(net.JoinHostPort(host, strconv.Itoa(port)), nil, d.keys[algo]))
	}
	var got error
	cfg := &ssh.ClientConfig{
		User:              "testpeer-nobody",
		HostKeyAlgorithms: []string{algo},
		HostKeyCallback: func(_ string, remote net.Addr, key ssh.PublicKey) error {
			got = set.HostKeyCallback()(net.JoinHostPort(host, strconv.Itoa(port)), remote, key)
			return got
		},
		Timeout: 60 * time.Second,
	}
	conn, err := ssh.Dial("tcp", d.p.Addr, cfg)
	if err == nil {
		conn.Close()
		t.Fatalf("x/crypto logged in without credentials")
	}
	return outcomeOf(got)
}

// sftpOutcome dials with sftpx, which picks the algorithms from the pins:
// the one it asks for first is the one the server uses.
func (d *diffPeer) sftpOutcome(t *testing.T, set *knownhosts.Set, c diffCase) (algo, outcome string) {
	o := sshdial.Options{Host: d.p.Host, Port: d.p.Port, User: "testpeer-nobody", Pinned: set, Timeout: 60 * time.Second,
		Auth: sshdial.Auth{KeyFiles: []string{d.clKey}}}
	if c.alias != "-" {
		o.HostKeyAlias = c.alias
	}
	host, port := c.lookupName(d)
	m, err := set.Lookup(host, port)
	if err != nil {
		t.Fatal(err)
	}
	algo = ssh.KeyAlgoED25519 // sftpx's first choice for a host nothing vouches for
	if m.Found() {
		algos := knownhosts.HostKeyAlgorithms(m)
		if len(algos) == 0 {
			return "", ""
		}
		algo = algos[0]
	}
	_, err = sftpx.Dial(t.Context(), o)
	var hke *sshdial.HostKeyError
	var ae *sshdial.AuthError
	switch {
	case errors.As(err, &ae):
		return algo, outAccepted
	case errors.As(err, &hke):
		switch hke.Reason {
		case sshdial.KeyRevoked:
			return algo, outRevoked
		case sshdial.KeyMismatch:
			return algo, outChanged
		case sshdial.KeyUnknown:
			return algo, outUnknown
		}
	}
	return algo, fmt.Sprintf("error: %v", err)
}

// checkOutcome is what check's rows say of the key algo presents:
// accepted or not (check tells "new" types apart from changed ones, where
// ssh says CHANGED for both).
func checkOutcome(h *check.Host, d *diffPeer, algo string) string {
	key := d.keys[algo]
	row := func(typ string) *check.Key {
		for i := range h.Keys {
			if h.Keys[i].Type == typ {
				return &h.Keys[i]
			}
		}
		return nil
	}
	r := row(key.Type())
	if c, ok := key.(*ssh.Certificate); ok && r == nil {
		r = row(c.Key.Type()) // judged by its key, on the key's row
	}
	if r == nil {
		return "rejected"
	}
	switch r.Status {
	case check.StatusOK, check.StatusCertOK:
		return outAccepted
	case check.StatusRevoked:
		return outRevoked
	}
	return "rejected"
}

func sameDecision(want, got string) bool {
	return want == got || (got == "rejected" && want != outAccepted)
}

func TestKnownHostsAgainstOpenSSH(t *testing.T) {
	d := newDiffPeer(t)
	cases := readDiffCases(t)
	dir := t.TempDir()
	type job struct {
		c    int
		algo string
	}
	// Every connection, ssh's and sshpin's, runs first, a few at a time;
	// the comparisons follow.
	sshSays, callbackSays := map[job]string{}, map[job]string{}
	sftpSays := make([][2]string, len(cases))
	sets := make([]*knownhosts.Set, len(cases))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, sshParallel)
	run := func(fn func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			fn()
		}()
	}
	files := make([][]string, len(cases))
	for i, c := range cases {
		// A case of several files is read by ssh as one
		// UserKnownHostsFile list and by knownhosts.Open in the same order.
		for k, part := range strings.Split(c.content, nextFile) {
			name := filepath.Join(dir, fmt.Sprintf("case%02d-%d", i, k))
			if err := os.WriteFile(name, []byte(d.expand(t, part)), 0o644); err != nil {
				t.Fatal(err)
			}
			files[i] = append(files[i], name)
		}
		set, err := knownhosts.Open(files[i]...)
		if err != nil {
			t.Fatal(err)
		}
		sets[i] = set
		for _, algo := range diffAlgorithms {
			run(func() {
				out := d.sshOutcome(t, strings.Join(files[i], " "), c.alias, algo)
				mu.Lock()
				sshSays[job{i, algo}] = out
				mu.Unlock()
			})
			run(func() {
				out := d.callbackOutcome(t, set, c, algo)
				mu.Lock()
				callbackSays[job{i, algo}] = out
				mu.Unlock()
			})
		}
		run(func() {
			algo, out := d.sftpOutcome(t, set, c)
			sftpSays[i] = [2]string{algo, out}
		})
	}
	wg.Wait()

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			host, port := c.lookupName(d)
			m, err := sets[i].Lookup(host, port)
			if err != nil {
				t.Fatal(err)
			}
			h := check.Diff(m, d.scan)
			wantFor := func(algo string) string {
				want := sshSays[job{i, algo}]
				if c.stricter && want == outAccepted {
					want = outRevoked // documented: @revoked holds for every host
				}
				return want
			}
			for _, algo := range diffAlgorithms {
				want := wantFor(algo)
				if got := outcomeOf(m.Verify(d.keys[algo])); got != want {
					t.Errorf("%s: Lookup+Verify says %s, ssh %s", algo, got, want)
				}
				if got := callbackSays[job{i, algo}]; got != want {
					t.Errorf("%s: HostKeyCallback over x/crypto says %s, ssh %s", algo, got, want)
				}
				if got := checkOutcome(h, d, algo); !sameDecision(want, got) {
					t.Errorf("%s: check says %s, ssh %s\nrows: %+v", algo, got, want, h.Keys)
				}
			}
			if algo, got := sftpSays[i][0], sftpSays[i][1]; sshSays[job{i, algo}] != "" {
				if want := wantFor(algo); got != want {
					t.Errorf("sftp (asking for %s first) says %s, ssh %s", algo, got, want)
				}
			}
			if t.Failed() && !strings.Contains(c.content, "{file:") {
				for _, f := range files[i] {
					t.Logf("%s:\n%s", filepath.Base(f), clipText(readFile(t, f)))
				}
			}
		})
	}
}

func clipText(b []byte) string {
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(nil, 1<<20)
	var out []string
	for sc.Scan() {
		l := sc.Text()
		if len(l) > 160 {
			l = l[:160] + "..."
		}
		out = append(out, fmt.Sprintf("%q", l))
	}
	return strings.Join(out, "\n")
}
