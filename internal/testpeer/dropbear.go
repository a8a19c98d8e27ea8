package testpeer

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// DropbearKeyTypes are Dropbear's default host keys.
var DropbearKeyTypes = []string{"ed25519", "ecdsa", "rsa-2048"}

// DropbearConfig describes a dropbear server. The zero value is Dropbear's.
type DropbearConfig struct {
	// KeyTypes are the host keys to generate, as for Dropbear; default
	// DropbearKeyTypes.
	KeyTypes []string

	// AuthorizedKeys are public key lines (ClientKey's second result) that
	// may log in as the user running the test, by public key only.
	//
	// dropbear (2022.83) reads the login user's ~/.ssh/authorized_keys
	// and nothing else, and a test must not write into a real home. So
	// each dropbear process starts in a mount namespace of its own
	// (unshare(1)), where a copy of /etc/passwd, bind-mounted over the
	// real one, gives the user the home Dir/home and the shell /bin/sh.
	// Nothing outside the process sees the mount. Sessions see the rest
	// of the file system as it is, and start in that home. A user other
	// than root also needs user namespaces (see ownHome); a machine that
	// refuses them skips the test (and fails it under CI=true).
	//
	// Log's exit status lines then name unshare, which becomes dropbear.
	AuthorizedKeys []string

	// Log makes dropbear log to stderr, so that Peer.Log holds each
	// connection's log ("Pubkey auth succeeded for 'root' with ...",
	// "Exit before auth from <127.0.0.1:40000>: ..."), not just fatal
	// errors.
	//
	// dropbear refuses -E (stderr) with -i (inetd mode): inetd gives it
	// the socket as stderr too. Since 2022.82 a listening dropbear runs
	// each connection by re-executing itself with the socket on stdin and
	// the hidden option -2 FD (FD: a pipe it closes once the client has
	// logged in, to tell the listener), which starts the same session as
	// -i without that check. With Log, each connection's dropbear is
	// started that way, with FD on /dev/null; all that changes from -i is
	// that dropbear does not log "Child connection from", and does not
	// call setsid. A dropbear without -2 skips the test (fails under
	// CI=true). Log's exit status lines then name sh, which becomes
	// dropbear.
	Log bool
}

// Dropbear starts a dropbear server on 127.0.0.1 with host keys of
// keyTypes (default ed25519, ecdsa, rsa-2048). ssh-keygen makes the keys,
// dropbearconvert turns them into dropbear's own format, which is all
// dropbear 2022.83 reads.
//
// Dropbear refuses to log to stderr in inetd mode, so Log holds only its
// fatal errors and exit statuses (DropbearConfig.Log has the whole log).
// Nobody can log in; see DropbearConfig.AuthorizedKeys.
func Dropbear(t testing.TB, keyTypes ...string) *Peer {
	t.Helper()
	return DropbearWith(t, DropbearConfig{KeyTypes: keyTypes})
}

// DropbearWith starts a dropbear server on 127.0.0.1 as cfg says.
func DropbearWith(t testing.TB, cfg DropbearConfig) *Peer {
	t.Helper()
	dropbear := Require(t, "dropbear")
	convert := Require(t, "dropbearconvert")
	keyTypes := cfg.KeyTypes
	if len(keyTypes) == 0 {
		keyTypes = DropbearKeyTypes
	}
	dir := t.TempDir()
	p := &Peer{Host: "127.0.0.1", Dir: dir, kind: "dropbear"}

	// What runs dropbear, and how dropbear is told to run.
	var wrapper []string
	mode := []string{"-i"}
	if cfg.Log {
		if out, err := exec.Command(dropbear, "-2", "3", "-V").CombinedOutput(); err != nil {
			unavailable(t, fmt.Sprintf("testpeer: %s lacks the option -2 (dropbear 2022.82 and later) that DropbearConfig.Log needs: %v\n%s", dropbear, err, out))
		}
		mode = []string{"-E", "-2", "3"}
	}
	if len(cfg.AuthorizedKeys) > 0 {
		wrapper = ownHome(t, dir, cfg.AuthorizedKeys)
	} else if cfg.Log {
		wrapper = []string{Require(t, "sh"), "-c", `exec 3>/dev/null && exec "$@"`, "sh"}
	}

	var keyArgs []string
	install := func(t testing.TB, types []string) {
		t.Helper()
		if len(types) == 0 {
			types = keyTypes
		}
		keyTypes = types
		p.gen++
		gen := p.gen
		priv, pub := genKeys(t, dir, func(s string) string { return hostKeyName(s, gen) }, types)
		var args []string
		for _, k := range priv {
			db := filepath.Join(dir, "dropbear_"+filepath.Base(k))
			if out, err := exec.Command(convert, "openssh", "dropbear", k, db).CombinedOutput(); err != nil {
				t.Fatalf("testpeer: dropbearconvert openssh dropbear %s %s: %v\n%s", k, db, err, out)
			}
			args = append(args, "-r", db)
		}
		p.HostKeys, p.PubKeys, keyArgs = priv, pub, args
	}
	install(t, nil)

	p.srv = serve(t, func() []string {
		p.mu.Lock()
		defer p.mu.Unlock()
		// -s: no passwords; -j -k: no forwarding.
		argv := append(append([]string{}, wrapper...), dropbear)
		argv = append(argv, mode...)
		argv = append(argv, "-s", "-j", "-k")
		return append(argv, keyArgs...)
	})
	p.Port = p.srv.port()
	p.Addr = fmt.Sprintf("%s:%d", p.Host, p.Port)
	p.Log = p.srv.log.String
	p.rotate = func(t testing.TB, types []string) {
		p.mu.Lock()
		defer p.mu.Unlock()
		install(t, types)
	}
	return p
}

// ownHome writes the home directory with authorizedKeys and the passwd
// file that names it, and returns the command that starts dropbear (the
// rest of the command line) in a mount namespace where that file is
// /etc/passwd: unshare makes the namespace, sh bind-mounts the file,
// opens fd 3 for Log's -2 and execs dropbear.
//
// As root that is all. Another user needs a user namespace in which it is
// root to mount anything (mount(8) refuses others a bind mount), and then
// one more, inside it, in which it is itself again: dropbear running as
// root would change to the user with setgroups, which a user namespace
// forbids, while dropbear running as the user it logs in skips all that.
func ownHome(t testing.TB, dir string, authorizedKeys []string) []string {
	t.Helper()
	unshare := Require(t, "unshare")
	mount := Require(t, "mount")
	sh := Require(t, "sh")
	getent := Require(t, "getent")
	u, err := user.Current()
	if err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	home := filepath.Join(dir, "home")
	ssh := filepath.Join(home, ".ssh")
	// dropbear wants the home, .ssh and the file owned by the user (or
	// root) and writable by no one else.
	if err := os.MkdirAll(ssh, 0o700); err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	if err := os.WriteFile(filepath.Join(ssh, "authorized_keys"), []byte(strings.Join(append(authorizedKeys, ""), "\n")), 0o600); err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	orig, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	passwd := filepath.Join(dir, "passwd")
	if err := os.WriteFile(passwd, withHome(orig, u, home), 0o644); err != nil {
		t.Fatalf("testpeer: %v", err)
	}

	outer := []string{unshare, "--mount", "--propagation", "private"}
	var inner []string
	if os.Geteuid() != 0 {
		outer = []string{unshare, "--user", "--map-root-user", "--mount", "--propagation", "private"}
		inner = []string{unshare, "--user", fmt.Sprintf("--map-user=%d", os.Getuid()), fmt.Sprintf("--map-group=%d", os.Getgid())}
	}
	// Whether this machine lets us make the namespaces is the
	// environment's business (a container without CAP_SYS_ADMIN, a kernel
	// or an AppArmor policy that denies users their namespaces); whether
	// the account then has the home in them is ours (an nscd caching
	// passwd would answer from the real file, for instance).
	probe := append(append(append([]string{}, outer...), inner...), "true")
	if out, err := exec.Command(probe[0], probe[1:]...).CombinedOutput(); err != nil {
		unavailable(t, fmt.Sprintf("testpeer: dropbear reads authorized keys only from the login user's home, which testpeer replaces in namespaces of dropbear's own, and this machine refuses them: %s: %v\n%s", strings.Join(probe, " "), err, out))
	}
	wrapper := append(outer, sh, "-c", `"$1" --bind "$2" /etc/passwd && shift 2 && exec 3>/dev/null && exec "$@"`, "sh", mount, passwd)
	wrapper = append(wrapper, inner...)
	check := append(append([]string{}, wrapper...), getent, "passwd", u.Username)
	out, err := exec.Command(check[0], check[1:]...).CombinedOutput()
	if f := strings.Split(strings.TrimSpace(string(out)), ":"); err != nil || len(f) != 7 || f[5] != home {
		t.Fatalf("testpeer: in dropbear's namespaces, getent passwd %s says %q (%v), want the home %s", u.Username, out, err, home)
	}
	return wrapper
}

// withHome returns the passwd file orig with u's home set to home and its
// shell to /bin/sh (which runs sftp-server, and reads no start-up file of
// the user's); u is added if orig lacks it (an account from a directory
// service).
func withHome(orig []byte, u *user.User, home string) []byte {
	var b strings.Builder
	found := false
	for _, l := range strings.SplitAfter(string(orig), "\n") {
		f := strings.Split(strings.TrimSuffix(l, "\n"), ":")
		if len(f) == 7 && f[0] == u.Username && !found {
			f[5], f[6] = home, "/bin/sh"
			l = strings.Join(f, ":") + "\n"
			found = true
		}
		b.WriteString(l)
	}
	if !found {
		if s := b.String(); s != "" && !strings.HasSuffix(s, "\n") {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s:x:%s:%s::%s:/bin/sh\n", u.Username, u.Uid, u.Gid, home)
	}
	return []byte(b.String())
}

// sftpServerPath finds the path compiled into dropbear (SFTPSERVER_PATH)
// among its strings.
var sftpServerPath = regexp.MustCompile(`\x00(/[\x21-\x7e]*/sftp-server)\x00`)

// DropbearSFTPServer returns the program dropbear runs for the sftp
// subsystem. dropbear has no SFTP server of its own: it runs the one whose
// path was compiled into it, on Debian /usr/lib/sftp-server, OpenSSH's
// (package openssh-sftp-server). A missing one skips the test, except
// under CI=true, where it is a failure.
func DropbearSFTPServer(t testing.TB) string {
	t.Helper()
	dropbear := Require(t, "dropbear")
	b, err := os.ReadFile(dropbear)
	if err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	m := sftpServerPath.FindSubmatch(b)
	if m == nil {
		t.Fatalf("testpeer: %s names no sftp-server", dropbear)
	}
	path := string(m[1])
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		unavailable(t, fmt.Sprintf("testpeer: dropbear serves sftp with %s, which is missing (Debian: apt-get install openssh-sftp-server)", path))
	}
	return path
}

// unavailable skips the test for want of something on this machine,
// except under CI=true, where a real peer that cannot run is a failure
// (as Require does for a missing binary).
func unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
