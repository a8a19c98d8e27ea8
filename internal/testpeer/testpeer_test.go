package testpeer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/kexinit"
)

// markers are names servers add to kex_algorithms that are not methods.
var markers = map[string]bool{
	"kex-strict-s-v00@openssh.com": true,
	"ext-info-s":                   true,
	"kexguess2@matt.ucc.asn.au":    true,
}

func probe(t *testing.T, p *testpeer.Peer) *kexinit.Hello {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	conn, err := kexinit.Dial(ctx, p.Host, p.Port)
	if err != nil {
		t.Fatalf("dial %s: %v", p.Addr, err)
	}
	defer conn.Close()
	h, err := kexinit.Probe(conn, kexinit.Limits{})
	if err != nil {
		t.Fatalf("probe %s: %v\nserver log:\n%s", p.Addr, err, p.Log())
	}
	return h
}

func split(s string) []string { return strings.Split(s, ",") }

func wantList(t *testing.T, field string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %s\nwant %s", field, strings.Join(got, ","), strings.Join(want, ","))
	}
}

// withoutMarkers checks that kex is the configured list followed only by
// markers, and returns the configured part.
func withoutMarkers(t *testing.T, kex []string) []string {
	t.Helper()
	var methods []string
	for i, k := range kex {
		if markers[k] {
			for _, m := range kex[i:] {
				if !markers[m] {
					t.Errorf("kex method %q after the marker %q", m, k)
				}
			}
			break
		}
		methods = append(methods, k)
	}
	return methods
}

// keyTypeOf names the host key an algorithm needs, as a normalised spec.
func keyTypeOf(alg string) string {
	alg = strings.TrimSuffix(alg, "-cert-v01@openssh.com")
	switch alg {
	case "ssh-ed25519":
		return "ed25519"
	case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
		return "ecdsa-" + strings.TrimPrefix(alg, "ecdsa-sha2-nistp")
	case "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa":
		return "rsa"
	case "ssh-dss":
		return "dsa"
	}
	return alg
}

func normSpec(s string) string {
	switch {
	case s == "ecdsa":
		return "ecdsa-256"
	case strings.HasPrefix(s, "rsa"):
		return "rsa"
	}
	return s
}

// sshdHostKeyAlgs models what sshd advertises: for each host key in the
// order loaded, the algorithms it can sign with (rsa-sha2-512, rsa-sha2-256
// and ssh-rsa for RSA), then its certificate's, each kept only if sshd -T's
// hostkeyalgorithms allows it.
func sshdHostKeyAlgs(t *testing.T, p *testpeer.Peer, keyTypes []string, certs bool) []string {
	t.Helper()
	allowed := split(p.Effective(t)["hostkeyalgorithms"])
	var want []string
	add := func(algs ...string) {
		for _, a := range algs {
			if slices.Contains(allowed, a) {
				want = append(want, a)
			}
		}
	}
	for _, k := range keyTypes {
		var algs []string
		switch spec := normSpec(k); {
		case spec == "rsa":
			algs = []string{"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"}
		case spec == "ed25519":
			algs = []string{"ssh-ed25519"}
		case spec == "dsa":
			algs = []string{"ssh-dss"}
		default:
			algs = []string{"ecdsa-sha2-nistp" + strings.TrimPrefix(spec, "ecdsa-")}
		}
		add(algs...)
		if certs {
			for _, a := range algs {
				add(a + "-cert-v01@openssh.com")
			}
		}
	}
	return want
}

// checkSSHD compares what sshd sends with what sshd -T says it was told.
func checkSSHD(t *testing.T, p *testpeer.Peer, keyTypes []string, certs bool) *kexinit.Hello {
	t.Helper()
	h := probe(t, p)
	if !strings.HasPrefix(h.Banner.Raw, "SSH-2.0-OpenSSH_") {
		t.Errorf("banner %q", h.Banner.Raw)
	}
	eff := p.Effective(t)
	k := h.KexInit
	wantList(t, "kex_algorithms", withoutMarkers(t, k.KexAlgos), split(eff["kexalgorithms"]))
	wantList(t, "server_host_key_algorithms", k.ServerHostKeyAlgos, sshdHostKeyAlgs(t, p, keyTypes, certs))
	wantList(t, "encryption c2s", k.CiphersClientServer, split(eff["ciphers"]))
	wantList(t, "encryption s2c", k.CiphersServerClient, split(eff["ciphers"]))
	wantList(t, "mac c2s", k.MACsClientServer, split(eff["macs"]))
	wantList(t, "mac s2c", k.MACsServerClient, split(eff["macs"]))
	comp := []string{"none"}
	if eff["compression"] != "no" {
		comp = []string{"none", "zlib@openssh.com"}
	}
	wantList(t, "compression c2s", k.CompressionClientServer, comp)
	wantList(t, "compression s2c", k.CompressionServerClient, comp)
	wantList(t, "languages c2s", k.LanguagesClientServer, []string{})
	wantList(t, "languages s2c", k.LanguagesServerClient, []string{})
	if k.FirstKexFollows {
		t.Error("first_kex_packet_follows set")
	}
	return h
}

// knownHostsLine is the line ssh-keyscan prints for p and a .pub file.
func knownHostsLine(t *testing.T, p *testpeer.Peer, pubPath string) string {
	t.Helper()
	b, err := os.ReadFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	return fmt.Sprintf("[%s]:%d %s %s", p.Host, p.Port, f[0], f[1])
}

// checkKeyscan wants one ssh-keyscan line per host key, each one of p's.
func checkKeyscan(t *testing.T, p *testpeer.Peer, args ...string) []string {
	t.Helper()
	got := testpeer.Keyscan(t, p, args...)
	paths := p.PubKeys
	if slices.Contains(args, "-c") {
		paths = p.Certs
	}
	var want []string
	for _, pub := range paths {
		line := knownHostsLine(t, p, pub)
		if slices.Contains(args, "-c") {
			// ssh-keyscan prints certificates without a host field.
			_, line, _ = strings.Cut(line, " ")
		}
		want = append(want, line)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("ssh-keyscan %s:\n got %q\nwant %q", strings.Join(args, " "), got, want)
	}
	return got
}

func writeKnownHosts(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestModern(t *testing.T) {
	t.Parallel()
	p := testpeer.Modern(t)
	if p.Host != "127.0.0.1" || p.Addr != net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port)) {
		t.Errorf("Host %q Port %d Addr %q", p.Host, p.Port, p.Addr)
	}
	checkSSHD(t, p, testpeer.ModernKeyTypes, false)
	lines := checkKeyscan(t, p)
	if ok, out := testpeer.SSHAccepts(t, p, writeKnownHosts(t, lines...)); !ok {
		t.Errorf("ssh rejected the keys ssh-keyscan found:\n%s", out)
	}
	other, _ := testpeer.ClientKey(t, "ed25519")
	if ok, out := testpeer.SSHAccepts(t, p, writeKnownHosts(t, knownHostsLine(t, p, other+".pub"))); ok {
		t.Errorf("ssh accepted a key the server does not hold:\n%s", out)
	}
}

func TestLegacy(t *testing.T) {
	t.Parallel()
	p := testpeer.Legacy(t)
	h := checkSSHD(t, p, []string{"rsa"}, false)
	k := h.KexInit
	// Legacy's promise, independent of what sshd -T says.
	wantList(t, "kex_algorithms", withoutMarkers(t, k.KexAlgos), []string{"diffie-hellman-group14-sha1"})
	wantList(t, "server_host_key_algorithms", k.ServerHostKeyAlgos, []string{"ssh-rsa"})
	wantList(t, "encryption s2c", k.CiphersServerClient, []string{"aes128-cbc", "3des-cbc", "aes256-cbc"})
	wantList(t, "mac s2c", k.MACsServerClient, []string{"hmac-sha1"})

	// ssh-keyscan cannot offer group14-sha1; the real client can be told to.
	legacy := []string{"-o", "KexAlgorithms=diffie-hellman-group14-sha1", "-o", "HostKeyAlgorithms=ssh-rsa",
		"-o", "Ciphers=aes128-cbc", "-o", "MACs=hmac-sha1"}
	if ok, out := testpeer.SSHAccepts(t, p, writeKnownHosts(t, knownHostsLine(t, p, p.PubKeys[0])), legacy...); !ok {
		t.Errorf("ssh rejected the legacy host key:\n%s", out)
	}
}

func TestDropbear(t *testing.T) {
	t.Parallel()
	p := testpeer.Dropbear(t)
	h := probe(t, p)
	if !strings.HasPrefix(h.Banner.Raw, "SSH-2.0-dropbear") {
		t.Errorf("banner %q", h.Banner.Raw)
	}
	k := h.KexInit
	if !slices.Contains(k.KexAlgos, "kexguess2@matt.ucc.asn.au") {
		t.Errorf("kex_algorithms %v lacks dropbear's kexguess2 marker", k.KexAlgos)
	}
	var types []string
	for _, alg := range k.ServerHostKeyAlgos {
		if tt := keyTypeOf(alg); !slices.Contains(types, tt) {
			types = append(types, tt)
		}
	}
	var want []string
	for _, s := range testpeer.DropbearKeyTypes {
		want = append(want, normSpec(s))
	}
	slices.Sort(types)
	slices.Sort(want)
	wantList(t, "host key types", types, want)
	lines := checkKeyscan(t, p)
	if ok, out := testpeer.SSHAccepts(t, p, writeKnownHosts(t, lines...)); !ok {
		t.Errorf("ssh rejected the keys ssh-keyscan found:\n%s", out)
	}
}

func TestKeySizes(t *testing.T) {
	t.Parallel()
	t.Run("sshd", func(t *testing.T) {
		t.Parallel()
		// Not two ECDSA curves at once: ssh-keyscan asks for "ecdsa" in
		// one connection and so reports only one of them.
		types := []string{"ecdsa-384", "rsa-1024"}
		p := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: types})
		checkSSHD(t, p, types, false)
		checkKeyscan(t, p)
		wantBits(t, p.PubKeys, 384, 1024)
	})
	t.Run("dropbear", func(t *testing.T) {
		t.Parallel()
		p := testpeer.Dropbear(t, "ecdsa-521", "rsa-1024")
		got := probe(t, p).KexInit.ServerHostKeyAlgos
		for _, alg := range []string{"ecdsa-sha2-nistp521", "ssh-rsa"} {
			if !slices.Contains(got, alg) {
				t.Errorf("server_host_key_algorithms %v lacks %s", got, alg)
			}
		}
		checkKeyscan(t, p)
		wantBits(t, p.PubKeys, 521, 1024)
	})
}

func wantBits(t *testing.T, pubs []string, bits ...int) {
	t.Helper()
	for i, pub := range pubs {
		out, err := exec.Command("ssh-keygen", "-l", "-f", pub).Output()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Fields(string(out))[0]; got != strconv.Itoa(bits[i]) {
			t.Errorf("%s: %s bits, want %d", pub, got, bits[i])
		}
	}
}

func TestHostCertificates(t *testing.T) {
	t.Parallel()
	t.Run("valid", func(t *testing.T) {
		t.Parallel()
		types := []string{"ed25519", "ecdsa"}
		p := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: types,
			HostCertificates: &testpeer.CertOptions{Principals: []string{"127.0.0.1"}, Validity: "-5m:+1h", Serial: 7}})
		if len(p.Certs) != 2 || p.CA == "" {
			t.Fatalf("Certs %q CA %q", p.Certs, p.CA)
		}
		h := checkSSHD(t, p, types, true)
		if !slices.Contains(h.KexInit.ServerHostKeyAlgos, "ssh-ed25519-cert-v01@openssh.com") {
			t.Errorf("no certificate algorithm offered: %v", h.KexInit.ServerHostKeyAlgos)
		}
		checkKeyscan(t, p, "-c")
		ca := knownHostsLine(t, p, p.CA)
		if ok, out := testpeer.SSHAccepts(t, p, writeKnownHosts(t, "@cert-authority "+ca)); !ok {
			t.Errorf("ssh rejected a host certificate of the trusted CA:\n%s", out)
		}
	})
	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		p := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"},
			HostCertificates: &testpeer.CertOptions{Validity: "20200101:20200102"}})
		ca := knownHostsLine(t, p, p.CA)
		if ok, out := testpeer.SSHAccepts(t, p, writeKnownHosts(t, "@cert-authority "+ca)); ok {
			t.Errorf("ssh accepted an expired host certificate:\n%s", out)
		}
	})
}

func TestRotateKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) *testpeer.Peer
	}{
		{"sshd", func(t *testing.T) *testpeer.Peer {
			return testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
		}},
		{"dropbear", func(t *testing.T) *testpeer.Peer { return testpeer.Dropbear(t, "ed25519") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := tc.start(t)
			port := p.Port
			before := checkKeyscan(t, p)
			p.RotateKeys(t)
			after := checkKeyscan(t, p)
			if slices.Equal(before, after) {
				t.Errorf("same keys after rotation: %q", after)
			}
			p.RotateKeys(t, "ecdsa")
			if got := checkKeyscan(t, p); len(got) != 1 || !strings.Contains(got[0], " ecdsa-sha2-nistp256 ") {
				t.Errorf("after rotating to ecdsa: %q", got)
			}
			if p.Port != port {
				t.Errorf("port moved from %d to %d", port, p.Port)
			}
		})
	}
}

func TestSFTPLogin(t *testing.T) {
	t.Parallel()
	key, pub := testpeer.ClientKey(t, "ed25519")
	p := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, AuthorizedKeys: []string{pub}})
	kh := writeKnownHosts(t, knownHostsLine(t, p, p.PubKeys[0]))
	cmd := exec.CommandContext(t.Context(), "sftp", "-F", "/dev/null", "-b", "-", "-P", strconv.Itoa(p.Port),
		"-i", key, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+kh, "-o", "GlobalKnownHostsFile=/dev/null",
		p.Host)
	dir := t.TempDir()
	cmd.Stdin = strings.NewReader("put " + kh + " " + filepath.Join(dir, "copy") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sftp: %v\n%s\nserver log:\n%s", err, out, p.Log())
	}
	// The peer runs as the test's user on this machine, so the upload lands here.
	if _, err := os.Stat(filepath.Join(dir, "copy")); err != nil {
		t.Errorf("uploaded file: %v", err)
	}
}

func TestConnectionsAndLog(t *testing.T) {
	t.Parallel()
	p := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	if n := p.Connections(); n != 0 {
		t.Errorf("Connections() = %d before any", n)
	}
	probe(t, p)
	probe(t, p)
	if n := p.Connections(); n != 2 {
		t.Errorf("Connections() = %d after two probes", n)
	}
	// The probe has its answer before sshd logs the close.
	p.Idle(t)
	log := p.Log()
	for _, want := range []string{"[1] Connection from 127.0.0.1", "[2] Connection closed by 127.0.0.1", "[2] sshd: exit status 255"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestExtraOverridesDefaults(t *testing.T) {
	t.Parallel()
	p := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, Extra: []string{
		"PasswordAuthentication yes",
		"Match User nobody",
		"  PermitTTY no",
	}})
	if got := p.Effective(t)["passwordauthentication"]; got != "yes" {
		t.Errorf("passwordauthentication %q: Extra did not override the default", got)
	}
}

// TestCleanup checks that a peer dies with its test: the port refuses and
// a connection held open sees the server go.
func TestCleanup(t *testing.T) {
	t.Parallel()
	var addr string
	var held net.Conn
	t.Run("peer", func(t *testing.T) {
		p := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
		addr = p.Addr
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		// Reading the banner proves an sshd process serves the connection.
		buf := make([]byte, 4)
		c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "SSH-" {
			t.Fatalf("banner %q, %v", buf, err)
		}
		held = c
	})
	defer held.Close()
	if _, err := io.ReadAll(held); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("held connection: %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, 10*time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts after its test ended", addr)
	}
}

// fakeTB records how Require gave up. Skip and Fatal end the goroutine as
// the real ones do.
type fakeTB struct {
	testing.TB
	how string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skip(args ...any) {
	f.how = "skip"
	runtime.Goexit()
}
func (f *fakeTB) Fatal(args ...any) {
	f.how = "fatal"
	runtime.Goexit()
}

func requireMissing(t *testing.T) string {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		testpeer.Require(f, "testpeer-no-such-binary")
		f.how = "returned"
	}()
	<-done
	return f.how
}

func TestRequire(t *testing.T) {
	if p := testpeer.Require(t, "sh"); !filepath.IsAbs(p) {
		t.Errorf("Require(sh) = %q, want an absolute path", p)
	}
	t.Setenv("CI", "")
	if how := requireMissing(t); how != "skip" {
		t.Errorf("missing binary outside CI: %s, want skip", how)
	}
	t.Setenv("CI", "true")
	if how := requireMissing(t); how != "fatal" {
		t.Errorf("missing binary under CI=true: %s, want fatal", how)
	}
}

func TestKeygenFingerprints(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"ed25519", "ecdsa-384", "rsa-1024"} {
		priv, line := testpeer.ClientKey(t, typ)
		sha, md5 := testpeer.KeygenFingerprints(t, priv+".pub")
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		if want := ssh.FingerprintSHA256(key); sha != want {
			t.Errorf("%s: sha256 %q, want %q", typ, sha, want)
		}
		if want := "MD5:" + ssh.FingerprintLegacyMD5(key); md5 != want {
			t.Errorf("%s: md5 %q, want %q", typ, md5, want)
		}
	}
}
