package testpeer

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

// ProFTPDKeyTypes are the host keys a ProFTPD peer gets by default.
var ProFTPDKeyTypes = []string{"ed25519", "ecdsa"}

// ProFTPDConfig describes a ProFTPD server with mod_sftp, an SFTP server
// of its own (not OpenSSH's sftp-server behind another SSH server): its
// SSH, its SFTP and its answers to what it does not implement are all
// ProFTPD's. The zero value serves ProFTPDKeyTypes and lets nobody in.
type ProFTPDConfig struct {
	KeyTypes []string
	// AuthorizedKeys are public key lines (ClientKey's second result)
	// that may log in as the user running the test, by public key only.
	// mod_sftp reads RFC 4716 keys; ssh-keygen -e converts them.
	AuthorizedKeys []string
	// Extra is appended to the configuration: a test's own directives
	// ("Trace sftp:20", "AllowOverwrite off", ...).
	Extra string
}

// ProFTPD starts ProFTPD's mod_sftp on 127.0.0.1 as cfg says, one
// process per connection (ServerType inetd: the test's listener hands
// each accepted socket to `proftpd -n -c CONFIG` as its stdin and stdout,
// as for sshd and dropbear), with a configuration, host keys, scoreboard,
// PID file and delay table of its own in the peer's directory: no
// listening daemon, nothing of the system's /etc/proftpd, no root
// services. Sessions run as the user running the test (root is let in
// with RootLogin), and see the file system as it is.
//
// Log holds the SFTPLog (mod_sftp's log of every connection: the key
// exchange, "user 'NAME' authenticated via 'publickey' method", the SFTP
// version) and whatever the processes wrote to stderr.
//
// A missing proftpd, or one without mod_sftp (Debian: proftpd-core and
// proftpd-mod-crypto), skips the test, except under CI=true, where it
// fails.
func ProFTPD(t testing.TB, cfg ProFTPDConfig) *Peer {
	t.Helper()
	if _, err := exec.LookPath("proftpd"); err != nil && !exists("/usr/sbin/proftpd") {
		unavailable(t, "testpeer: proftpd not found (Debian: apt-get install proftpd-core proftpd-mod-crypto); ./test.sh installs it")
	}
	proftpd := Require(t, "proftpd")
	keygen := Require(t, "ssh-keygen")
	const modSFTP = "/usr/lib/proftpd/mod_sftp.so"
	if !exists(modSFTP) {
		unavailable(t, "testpeer: ProFTPD's mod_sftp ("+modSFTP+") is missing (Debian: apt-get install proftpd-mod-crypto)")
	}
	keyTypes := cfg.KeyTypes
	if len(keyTypes) == 0 {
		keyTypes = ProFTPDKeyTypes
	}
	dir := t.TempDir()
	p := &Peer{Host: "127.0.0.1", Dir: dir, Config: filepath.Join(dir, "proftpd.conf"), kind: "proftpd"}
	sftpLog := filepath.Join(dir, "sftp.log")

	ak := filepath.Join(dir, "authorized_keys")
	var rfc strings.Builder
	for i, line := range cfg.AuthorizedKeys {
		pub := filepath.Join(dir, fmt.Sprintf("user%d.pub", i))
		if err := os.WriteFile(pub, []byte(line+"\n"), 0o600); err != nil {
			t.Fatalf("testpeer: %v", err)
		}
		out, err := exec.Command(keygen, "-e", "-f", pub).Output()
		if err != nil {
			t.Fatalf("testpeer: ssh-keygen -e -f %s: %v", pub, err)
		}
		rfc.Write(out)
	}
	if err := os.WriteFile(ak, []byte(rfc.String()), 0o600); err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	group := u.Gid
	if g, err := user.LookupGroupId(u.Gid); err == nil {
		group = g.Name
	}

	// proftpd reads its configuration anew for every connection, as sshd
	// does, so rewriting it is all a key rotation takes.
	install := func(t testing.TB, types []string) {
		t.Helper()
		if len(types) == 0 {
			types = keyTypes
		}
		keyTypes = types
		p.gen++
		gen := p.gen
		priv, pub := genKeys(t, dir, func(s string) string { return hostKeyName(s, gen) }, types)
		conf := proftpdConfig(dir, u.Username, group, sftpLog, ak, priv, cfg.Extra)
		tmp := p.Config + ".new"
		if err := os.WriteFile(tmp, []byte(conf), 0o600); err != nil {
			t.Fatalf("testpeer: %v", err)
		}
		if out, err := exec.Command(proftpd, "-t", "-c", tmp).CombinedOutput(); err != nil {
			t.Fatalf("testpeer: proftpd rejects the configuration: %v\n%s\n%s", err, out, numbered(conf))
		}
		if err := os.Rename(tmp, p.Config); err != nil {
			t.Fatalf("testpeer: %v", err)
		}
		p.HostKeys, p.PubKeys = priv, pub
	}

	p.srv = serve(t, func() []string { return []string{proftpd, "-n", "-q", "-c", p.Config} })
	p.Port = p.srv.port()
	p.Addr = fmt.Sprintf("%s:%d", p.Host, p.Port)
	p.Log = func() string {
		b, _ := os.ReadFile(sftpLog)
		return string(b) + p.srv.log.String()
	}
	install(t, nil)
	p.rotate = func(t testing.TB, types []string) {
		p.mu.Lock()
		defer p.mu.Unlock()
		install(t, types)
	}
	return p
}

// proftpdConfig is a configuration of ProFTPD for one test: inetd mode,
// mod_sftp only (no FTP), public keys from authorizedKeys, everything it
// writes in dir.
func proftpdConfig(dir, userName, group, sftpLog, authorizedKeys string, hostKeys []string, extra string) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# written by internal/testpeer for one test")
	line("ServerType inetd")
	line("ServerName testpeer")
	line("DefaultServer on")
	line("User %s", userName)
	line("Group %s", group)
	line("PidFile %s", filepath.Join(dir, "proftpd.pid"))
	line("ScoreboardFile %s", filepath.Join(dir, "proftpd.scoreboard"))
	line("DelayTable %s", filepath.Join(dir, "proftpd.delay"))
	line("WtmpLog off")
	line("UseReverseDNS off")
	// Debian's /etc/ftpusers names root; tests run as root.
	line("UseFtpUsers off")
	line("RootLogin on")
	line("RequireValidShell off")
	// What a server that takes uploads has: SFTP's rename and open honour it.
	line("AllowOverwrite on")
	line("ModulePath /usr/lib/proftpd")
	line("<IfModule !mod_sftp.c>")
	line("  LoadModule mod_sftp.c")
	line("</IfModule>")
	line("SFTPEngine on")
	line("SFTPLog %s", sftpLog)
	for _, k := range hostKeys {
		line("SFTPHostKey %s", k)
	}
	line("SFTPAuthorizedUserKeys file:%s", authorizedKeys)
	line("SFTPAuthMethods publickey")
	if extra != "" {
		line("%s", strings.TrimRight(extra, "\n"))
	}
	return b.String()
}
