package testpeer

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// SSHDConfig describes an OpenSSH server. The zero value is Modern's.
type SSHDConfig struct {
	// KeyTypes are the host keys to generate, in the order sshd loads them:
	// "ed25519", "ecdsa", "ecdsa-384", "rsa", "rsa-1024", "dsa", ...
	// Default: ed25519, ecdsa (256) and rsa (3072).
	KeyTypes []string
	// Extra are raw sshd_config lines, e.g. "KexAlgorithms
	// diffie-hellman-group14-sha1". sshd keeps the first value it reads for
	// a keyword, so they go before the harness's defaults and override
	// them; from the first "Match" line on they go at the end, where sshd
	// requires Match blocks.
	Extra []string
	// HostCertificates, when set, signs every host key with a CA and serves
	// the certificates too.
	HostCertificates *CertOptions
	// Users may log in (AllowUsers); default: the user running the test.
	Users []string
	// AuthorizedKeys are public key lines (ClientKey's second result) that
	// may log in as any of Users, by public key only. sftp is served by
	// internal-sftp.
	AuthorizedKeys []string
}

// ModernKeyTypes are the host keys a current OpenSSH install generates.
var ModernKeyTypes = []string{"ed25519", "ecdsa", "rsa-3072"}

// Modern starts an sshd with ed25519, ecdsa (256) and rsa (3072) host keys
// and OpenSSH's default algorithms.
func Modern(t testing.TB) *Peer {
	t.Helper()
	return SSHD(t, SSHDConfig{KeyTypes: ModernKeyTypes})
}

// LegacyExtra is the configuration of Legacy: what an old server offers,
// and nothing else.
var LegacyExtra = []string{
	"HostKeyAlgorithms ssh-rsa",
	"KexAlgorithms diffie-hellman-group14-sha1",
	"Ciphers aes128-cbc,3des-cbc,aes256-cbc",
	"MACs hmac-sha1",
}

// Legacy starts an sshd that offers only SHA-1 and CBC: host key algorithm
// ssh-rsa (an rsa-2048 key), kex diffie-hellman-group14-sha1, ciphers
// aes128-cbc, 3des-cbc and aes256-cbc, MAC hmac-sha1. OpenSSH still adds its
// kex-strict marker to the kex list.
func Legacy(t testing.TB) *Peer {
	t.Helper()
	return SSHD(t, SSHDConfig{KeyTypes: []string{"rsa-2048"}, Extra: LegacyExtra})
}

// SSHD starts an OpenSSH sshd on 127.0.0.1 with cfg. It fails the test if
// sshd rejects the configuration (sshd -t), and stops with the test.
func SSHD(t testing.TB, cfg SSHDConfig) *Peer {
	t.Helper()
	sshd := Require(t, "sshd")
	ensurePrivsepDir(t)
	if len(cfg.KeyTypes) == 0 {
		cfg.KeyTypes = ModernKeyTypes
	}
	if len(cfg.Users) == 0 {
		cfg.Users = []string{CurrentUser()}
	}
	dir := t.TempDir()
	p := &Peer{Host: "127.0.0.1", Dir: dir, Config: filepath.Join(dir, "sshd_config"), kind: "sshd"}
	ak := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(ak, []byte(strings.Join(append(cfg.AuthorizedKeys, ""), "\n")), 0o600); err != nil {
		t.Fatalf("testpeer: %v", err)
	}

	// sshd reads its configuration anew on every connection, so rewriting
	// it is all a key rotation takes.
	keyTypes := cfg.KeyTypes
	install := func(t testing.TB, types []string) {
		t.Helper()
		if len(types) == 0 {
			types = keyTypes
		}
		keyTypes = types
		p.gen++
		gen := p.gen
		priv, pub := genKeys(t, dir, func(s string) string { return hostKeyName(s, gen) }, types)
		var ca string
		var certs []string
		if cfg.HostCertificates != nil {
			ca, certs = signHostKeys(t, dir, cfg.HostCertificates, pub)
		}
		conf := sshdConfig(cfg, p.Port, dir, ak, priv, certs)
		tmp := p.Config + ".new"
		if err := os.WriteFile(tmp, []byte(conf), 0o600); err != nil {
			t.Fatalf("testpeer: %v", err)
		}
		if out, err := exec.Command(sshd, "-t", "-f", tmp).CombinedOutput(); err != nil {
			t.Fatalf("testpeer: sshd rejects the configuration: %v\n%s\n%s", err, out, numbered(conf))
		}
		if err := os.Rename(tmp, p.Config); err != nil {
			t.Fatalf("testpeer: %v", err)
		}
		p.HostKeys, p.PubKeys, p.Certs, p.CA = priv, pub, certs, ca
	}

	p.srv = serve(t, func() []string { return []string{sshd, "-i", "-e", "-f", p.Config} })
	p.Port = p.srv.port()
	p.Addr = fmt.Sprintf("%s:%d", p.Host, p.Port)
	p.Log = p.srv.log.String
	// Nobody knows the port before SSHD returns, so no connection can
	// reach sshd before its configuration exists.
	install(t, nil)
	p.rotate = func(t testing.TB, types []string) {
		p.mu.Lock()
		defer p.mu.Unlock()
		install(t, types)
	}
	return p
}

func hostKeyName(spec string, gen int) string {
	if gen == 1 {
		return "ssh_host_" + spec + "_key"
	}
	return fmt.Sprintf("ssh_host_%s_key_%d", spec, gen)
}

func sshdConfig(cfg SSHDConfig, port int, dir, authorizedKeys string, hostKeys, certs []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by sshpin/internal/testpeer for one test. sshd runs as\n")
	fmt.Fprintf(&b, "# \"sshd -i\" on each connection the test accepts on 127.0.0.1:%d.\n", port)
	var match []string
	for i, l := range cfg.Extra {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], "Match") {
			match = cfg.Extra[i:]
			break
		}
		b.WriteString(l + "\n")
	}
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	// Not used by sshd -i; it makes sshd -T show the truth.
	w("ListenAddress 127.0.0.1")
	w("Port %d", port)
	for _, k := range hostKeys {
		w("HostKey %s", k)
	}
	for _, c := range certs {
		w("HostCertificate %s", c)
	}
	w("PidFile none")
	w("UsePAM no")
	w("LogLevel VERBOSE")
	// The temporary directory lies under /tmp, which StrictModes rejects
	// for being world-writable.
	w("StrictModes no")
	w("AllowUsers %s", strings.Join(cfg.Users, " "))
	w("AuthorizedKeysFile %s", authorizedKeys)
	w("PubkeyAuthentication yes")
	w("PasswordAuthentication no")
	w("KbdInteractiveAuthentication no")
	w("PermitRootLogin prohibit-password")
	w("PrintMotd no")
	w("Subsystem sftp internal-sftp")
	for _, l := range match {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// Effective returns the configuration sshd derives from p.Config (sshd -T):
// lowercase keywords to values, a keyword given several times (hostkey)
// with its values joined by newlines.
func (p *Peer) Effective(t testing.TB) map[string]string {
	t.Helper()
	if p.kind != "sshd" {
		t.Fatalf("testpeer: Effective needs an sshd peer, not %s", p.kind)
	}
	out, err := exec.Command(Require(t, "sshd"), "-T", "-f", p.Config).CombinedOutput()
	if err != nil {
		t.Fatalf("testpeer: sshd -T -f %s: %v\n%s", p.Config, err, out)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(l), " ")
		if k == "" {
			continue
		}
		if old, ok := m[k]; ok {
			v = old + "\n" + v
		}
		m[k] = v
	}
	return m
}

// ensurePrivsepDir creates the directory sshd chroots its pre-auth child
// into; sshd refuses to start as root without it, and a fresh container
// has no /run/sshd until the service first ran.
func ensurePrivsepDir(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatalf("testpeer: sshd needs /run/sshd: %v", err)
	}
}

// CurrentUser is the name the tests log in as: the user running them,
// whom sshd lets in by default.
func CurrentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return strconv.Itoa(os.Getuid())
}

// SSHDUser starts an sshd (SSHD) that lets user in (the current one if
// "") with a fresh ed25519 key, and returns it with the key's path.
func SSHDUser(t testing.TB, user string, cfg SSHDConfig) (*Peer, string) {
	t.Helper()
	keyPath, pubLine := ClientKey(t, "ed25519")
	cfg.AuthorizedKeys = append(cfg.AuthorizedKeys, pubLine)
	if user != "" {
		cfg.Users = []string{user}
	}
	return SSHD(t, cfg), keyPath
}

func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		fmt.Fprintf(&b, "%3d  %s\n", i+1, l)
	}
	return b.String()
}
