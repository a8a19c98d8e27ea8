package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// The commands below start the real peers of internal/testpeer (sshd,
// dropbear, proftpd) and sshpin's own misbehaving servers for one script,
// so the CLI's exit codes and words against them are scripts, not Go
// tests that build the binary.

// scriptTB lets internal/testpeer, which takes a testing.TB, run inside a
// script: what it would do to the test happens to the script instead.
// The embedded TB is the enclosing Test function's, there only for
// testing.TB's unexported method; every method testpeer calls is routed
// to ts.
type scriptTB struct {
	testing.TB
	ts  *testscript.TestScript
	ctx context.Context
	n   int
}

func newScriptTB(t testing.TB, ts *testscript.TestScript) *scriptTB {
	ctx, cancel := context.WithCancel(context.Background())
	ts.Defer(cancel)
	return &scriptTB{TB: t, ts: ts, ctx: ctx}
}

func (s *scriptTB) Helper()                         {}
func (s *scriptTB) Cleanup(f func())                { s.ts.Defer(f) }
func (s *scriptTB) Context() context.Context        { return s.ctx }
func (s *scriptTB) Logf(format string, args ...any) { s.ts.Logf(format, args...) }
func (s *scriptTB) Log(args ...any)                 { s.ts.Logf("%s", fmt.Sprint(args...)) }
func (s *scriptTB) Errorf(format string, args ...any) {
	s.ts.Fatalf(format, args...)
}
func (s *scriptTB) Error(args ...any)                 { s.ts.Fatalf("%s", fmt.Sprint(args...)) }
func (s *scriptTB) Fatalf(format string, args ...any) { s.ts.Fatalf(format, args...) }
func (s *scriptTB) Fatal(args ...any)                 { s.ts.Fatalf("%s", fmt.Sprint(args...)) }
func (s *scriptTB) FailNow()                          { s.ts.Fatalf("testpeer failed") }

// Skip cannot skip a script from inside a command; scripts guard with
// [!have:BIN] skip, so reaching this means a guard is missing.
func (s *scriptTB) Skip(args ...any) {
	s.ts.Fatalf("peer unavailable (add a [!have:...] skip guard): %s", fmt.Sprint(args...))
}
func (s *scriptTB) Skipf(format string, args ...any) { s.Skip(fmt.Sprintf(format, args...)) }

// TempDir is a fresh directory under $WORK, removed with it.
func (s *scriptTB) TempDir() string {
	s.n++
	dir := filepath.Join(s.ts.Getenv("WORK"), ".peers", strconv.Itoa(s.n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.ts.Fatalf("%v", err)
	}
	return dir
}

// peerState is what the commands of one script share: the peers by name.
type peerState struct {
	tb    *scriptTB
	peers map[string]*testpeer.Peer
	fake  map[string]*fake
}

const peerStateKey = "peers"

func peersOf(t testing.TB, ts *testscript.TestScript) *peerState {
	if st, ok := ts.Value(peerStateKey).(*peerState); ok {
		if st.tb == nil {
			st.tb = newScriptTB(t, ts)
		}
		return st
	}
	ts.Fatalf("no peer state")
	return nil
}

// haveCondition is [have:BIN]: BIN is installed. Missing under CI=true is
// an error, so the script fails instead of skipping, as testpeer.Require.
func haveCondition(cond string) (bool, error) {
	bin, ok := strings.CutPrefix(cond, "have:")
	if !ok {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	// dropbear-sftp: dropbear and the sftp-server it runs, which is
	// OpenSSH's, packaged apart.
	sftp := bin == "dropbear-sftp"
	if sftp {
		bin = "dropbear"
	}
	found := false
	if _, err := exec.LookPath(bin); err == nil {
		found = true
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		if fi, err := os.Stat(filepath.Join(dir, bin)); err == nil && !fi.IsDir() {
			found = true
		}
	}
	if bin == "proftpd" && found {
		if _, err := os.Stat("/usr/lib/proftpd/mod_sftp.so"); err != nil {
			found = false
		}
	}
	if sftp && found {
		found = slices.ContainsFunc([]string{"/usr/lib/sftp-server", "/usr/libexec/sftp-server", "/usr/lib/openssh/sftp-server"}, func(p string) bool {
			_, err := os.Stat(p)
			return err == nil
		})
	}
	if !found && os.Getenv("CI") == "true" {
		return false, fmt.Errorf("%s is not installed, and under CI=true a missing peer is a failure (./test.sh installs it)", bin)
	}
	return found, nil
}

// setPeer exports a peer's coordinates as $NAME (host:port), $NAME_HOST,
// $NAME_PORT, $NAME_USER, $NAME_DIR and $NAME_PINS, a known_hosts file
// pinning its keys.
func (st *peerState) setPeer(ts *testscript.TestScript, name string, p *testpeer.Peer) {
	st.peers[name] = p
	ts.Setenv(name, p.Addr)
	ts.Setenv(name+"_HOST", p.Host)
	ts.Setenv(name+"_PORT", strconv.Itoa(p.Port))
	ts.Setenv(name+"_USER", testpeer.CurrentUser())
	ts.Setenv(name+"_DIR", p.Dir)
	pins := filepath.Join(ts.Getenv("WORK"), name+".pins")
	ts.Check(os.WriteFile(pins, []byte(pinLines(ts, p, false)), 0o600))
	ts.Setenv(name+"_PINS", pins)
}

// pinLines are known_hosts lines for p's keys; wrong replaces each with a
// fresh key of the same type, a pin that does not match.
func pinLines(ts *testscript.TestScript, p *testpeer.Peer, wrong bool) string {
	var b strings.Builder
	for _, pub := range p.PubKeys {
		raw, err := os.ReadFile(pub)
		ts.Check(err)
		k, _, _, _, err := ssh.ParseAuthorizedKey(raw)
		ts.Check(err)
		if wrong {
			k = otherKey(ts)
		}
		fmt.Fprintf(&b, "[%s]:%d %s\n", p.Host, p.Port, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))))
	}
	return b.String()
}

func otherKey(ts *testscript.TestScript) ssh.PublicKey {
	s, err := ssh.NewSignerFromKey(newEd25519(ts))
	ts.Check(err)
	return s.PublicKey()
}

// keyHex is a key's SHA-256 in hex: a fingerprint a regexp can hold.
func keyHex(k ssh.PublicKey) string {
	h := sha256.Sum256(k.Marshal())
	return hex.EncodeToString(h[:])
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func peerCmds(t *testing.T) map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	noNeg := func(ts *testscript.TestScript, neg bool, name string) {
		if neg {
			ts.Fatalf("unsupported: ! %s", name)
		}
	}
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		// client-key NAME [TYPE] makes a user key: $NAME is the private
		// key's path, $NAME_PUB its public line, $NAME_FP its keyHex.
		"client-key": func(ts *testscript.TestScript, neg bool, args []string) {
			noNeg(ts, neg, "client-key")
			if len(args) < 1 || len(args) > 2 {
				ts.Fatalf("usage: client-key NAME [TYPE]")
			}
			typ := "ed25519"
			if len(args) == 2 {
				typ = args[1]
			}
			priv, pub := testpeer.ClientKey(peersOf(t, ts).tb, typ)
			k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(pub))
			ts.Check(err)
			ts.Setenv(args[0], priv)
			ts.Setenv(args[0]+"_PUB", pub)
			ts.Setenv(args[0]+"_FP", keyHex(k))
		},
		// sshd [-key TYPE]... [-auth KEY]... [-conf LINE]... NAME starts
		// an OpenSSH sshd letting in the client keys named (client-key),
		// with extra sshd_config lines; see setPeer for what it sets.
		"sshd": func(ts *testscript.TestScript, neg bool, args []string) {
			noNeg(ts, neg, "sshd")
			fs := flag.NewFlagSet("sshd", flag.ContinueOnError)
			var keys, auth, authFiles, conf multiFlag
			fs.Var(&keys, "key", "host key type")
			fs.Var(&auth, "auth", "client key name")
			fs.Var(&authFiles, "authfile", "public key file")
			fs.Var(&conf, "conf", "sshd_config line")
			login := fs.String("user", "", "the login to let in, not the current user")
			ts.Check(fs.Parse(args))
			if fs.NArg() != 1 {
				ts.Fatalf("usage: sshd [-key TYPE]... [-auth KEY]... [-authfile PUB]... [-conf LINE]... [-user LOGIN] NAME")
			}
			cfg := testpeer.SSHDConfig{KeyTypes: keys, Extra: conf}
			if *login != "" {
				cfg.Users = []string{*login}
			}
			for _, f := range authFiles {
				cfg.AuthorizedKeys = append(cfg.AuthorizedKeys, strings.TrimSpace(ts.ReadFile(f)))
			}
			for _, a := range auth {
				cfg.AuthorizedKeys = append(cfg.AuthorizedKeys, ts.Getenv(a+"_PUB"))
			}
			st := peersOf(t, ts)
			p := testpeer.SSHD(st.tb, cfg)
			if *login != "" && *login != testpeer.CurrentUser() {
				// sshd reads authorized_keys as the user logging in, who
				// also has to reach $WORK's files.
				openUp(ts, filepath.Join(p.Dir, "authorized_keys"))
				openUp(ts, ts.Getenv("WORK"))
			}
			st.setPeer(ts, fs.Arg(0), p)
			if *login != "" {
				ts.Setenv(fs.Arg(0)+"_USER", *login)
			}
		},
		// nonroot-login VAR sets $VAR to a login a file of mode 0000
		// is unreadable to: the current user, or nobody when that is
		// root, whom no mode stops. sshd -user VAR lets it in.
		"nonroot-login": func(ts *testscript.TestScript, neg bool, args []string) {
			noNeg(ts, neg, "nonroot-login")
			if len(args) != 1 {
				ts.Fatalf("usage: nonroot-login VAR")
			}
			login := testpeer.CurrentUser()
			if os.Geteuid() == 0 {
				if _, err := user.Lookup("nobody"); err != nil {
					ts.Fatalf("running as root and there is no user nobody to log in as")
				}
				login = "nobody"
			}
			ts.Setenv(args[0], login)
		},
		// dropbear [-key TYPE]... [-auth KEY]... NAME starts dropbear
		// serving sftp; guard with [!have:dropbear-sftp] skip.
		"dropbear": func(ts *testscript.TestScript, neg bool, args []string) {
			noNeg(ts, neg, "dropbear")
			fs := flag.NewFlagSet("dropbear", flag.ContinueOnError)
			var keys, auth multiFlag
			fs.Var(&keys, "key", "host key type")
			fs.Var(&auth, "auth", "client key name")
			ts.Check(fs.Parse(args))
			if fs.NArg() != 1 {
				ts.Fatalf("usage: dropbear [-key TYPE]... [-auth KEY]... NAME")
			}
			st := peersOf(t, ts)
			// A script that starts dropbear moves files over it.
			testpeer.DropbearSFTPServer(st.tb)
			cfg := testpeer.DropbearConfig{KeyTypes: keys}
			for _, a := range auth {
				cfg.AuthorizedKeys = append(cfg.AuthorizedKeys, ts.Getenv(a+"_PUB"))
			}
			st.setPeer(ts, fs.Arg(0), testpeer.DropbearWith(st.tb, cfg))
		},
		// proftpd [-key TYPE]... [-auth KEY]... [-conf TEXT] NAME starts
		// ProFTPD's mod_sftp.
		"proftpd": func(ts *testscript.TestScript, neg bool, args []string) {
			noNeg(ts, neg, "proftpd")
			fs := flag.NewFlagSet("proftpd", flag.ContinueOnError)
			var keys, auth, conf multiFlag
			fs.Var(&keys, "key", "host key type")
			fs.Var(&auth, "auth", "client key name")
			fs.Var(&conf, "conf", "configuration line")
			ts.Check(fs.Parse(args))
			if fs.NArg() != 1 {
				ts.Fatalf("usage: proftpd [-key TYPE]... [-auth KEY]... [-conf LINE]... NAME")
			}
			cfg := testpeer.ProFTPDConfig{KeyTypes: keys}
			if len(conf) > 0 {
				cfg.Extra = strings.Join(conf, "\n") + "\n"
			}
			for _, a := range auth {
				cfg.AuthorizedKeys = append(cfg.AuthorizedKeys, ts.Getenv(a+"_PUB"))
			}
			st := peersOf(t, ts)
			st.setPeer(ts, fs.Arg(0), testpeer.ProFTPD(st.tb, cfg))
		},
		// pins FILE [!]NAME... writes the known_hosts lines of the peers
		// named (real or bastion); !NAME pins keys a real peer NAME does
		// not have.
		"pins": func(ts *testscript.TestScript, neg bool, args []string) {
			noNeg(ts, neg, "pins")
			if len(args) < 2 {
				ts.Fatalf("usage: pins FILE [!]NAME...")
			}
			st := peersOf(t, ts)
			var b strings.Builder
			for _, n := range args[1:] {
				name, wrong := strings.CutPrefix(n, "!")
				if p, ok := st.peers[name]; ok {
					b.WriteString(pinLines(ts, p, wrong))
					continue
				}
				// A fake server's own pins (bastion).
				if f := ts.Getenv(name + "_PINS"); f != "" && !wrong {
					b.WriteString(ts.ReadFile(f))
					continue
				}
				ts.Fatalf("no peer %s", name)
			}
			ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(b.String()), 0o600))
		},
		// peer-log NAME waits until NAME's connections have ended and
		// writes what its servers logged to $WORK/NAME.log, each line
		// prefixed with its connection number ("[2] ...").
		"peer-log": func(ts *testscript.TestScript, neg bool, args []string) {
			noNeg(ts, neg, "peer-log")
			st := peersOf(t, ts)
			p, ok := st.peers[args[0]]
			if len(args) != 1 || !ok {
				ts.Fatalf("usage: peer-log NAME (a peer)")
			}
			p.Idle(st.tb)
			ts.Check(os.WriteFile(filepath.Join(ts.Getenv("WORK"), args[0]+".log"), []byte(p.Log()), 0o644))
		},
		// peer-conns NAME N checks NAME accepted N connections so far.
		"peer-conns": func(ts *testscript.TestScript, neg bool, args []string) {
			st := peersOf(t, ts)
			if len(args) != 2 {
				ts.Fatalf("usage: peer-conns NAME N")
			}
			var got int
			if p, ok := st.peers[args[0]]; ok {
				got = p.Connections()
			} else if f, ok := st.fakes()[args[0]]; ok {
				got = int(f.conns.Load())
			} else {
				ts.Fatalf("no peer %s", args[0])
			}
			want, err := strconv.Atoi(args[1])
			ts.Check(err)
			if (got == want) == neg {
				ts.Fatalf("%s accepted %d connections, want %s%d", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
			}
		},
		// peer-next NAME VAR sets $VAR to the number the peer's next
		// connection will have in its log ("[N] ...").
		"peer-next": func(ts *testscript.TestScript, neg bool, args []string) {
			noNeg(ts, neg, "peer-next")
			st := peersOf(t, ts)
			p, ok := st.peers[args[0]]
			if len(args) != 2 || !ok {
				ts.Fatalf("usage: peer-next NAME VAR")
			}
			ts.Setenv(args[1], strconv.Itoa(p.Connections()+1))
		},
		// expand SRC DST writes SRC with $VAR and ${VAR} replaced by the
		// script's variables: configurations that name peers' ports.
		"expand": func(ts *testscript.TestScript, neg bool, args []string) {
			noNeg(ts, neg, "expand")
			if len(args) != 2 {
				ts.Fatalf("usage: expand SRC DST")
			}
			ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(os.Expand(ts.ReadFile(args[0]), ts.Getenv)), 0o600))
		},
		// random-file PATH SIZE writes SIZE random bytes.
		"random-file": func(ts *testscript.TestScript, neg bool, args []string) {
			noNeg(ts, neg, "random-file")
			if len(args) != 2 {
				ts.Fatalf("usage: random-file PATH SIZE")
			}
			n, err := strconv.Atoi(args[1])
			ts.Check(err)
			b := make([]byte, n)
			rand.Read(b)
			path := ts.MkAbs(args[0])
			ts.Check(os.MkdirAll(filepath.Dir(path), 0o755))
			ts.Check(os.WriteFile(path, b, 0o644))
		},
		// sha256 VAR PATH sets $VAR to the file's SHA-256 in hex.
		"sha256": func(ts *testscript.TestScript, neg bool, args []string) {
			noNeg(ts, neg, "sha256")
			if len(args) != 2 {
				ts.Fatalf("usage: sha256 VAR PATH")
			}
			b, err := os.ReadFile(ts.MkAbs(args[1]))
			ts.Check(err)
			h := sha256.Sum256(b)
			ts.Setenv(args[0], hex.EncodeToString(h[:]))
		},
		// mtime PATH RFC3339 sets a file's modification time.
		"mtime": func(ts *testscript.TestScript, neg bool, args []string) {
			noNeg(ts, neg, "mtime")
			if len(args) != 2 {
				ts.Fatalf("usage: mtime PATH RFC3339")
			}
			tm, err := time.Parse(time.RFC3339, args[1])
			ts.Check(err)
			ts.Check(os.Chtimes(ts.MkAbs(args[0]), tm, tm))
		},
		// dir-is DIR NAME... checks DIR holds exactly the entries named.
		"dir-is": func(ts *testscript.TestScript, neg bool, args []string) {
			noNeg(ts, neg, "dir-is")
			if len(args) < 1 {
				ts.Fatalf("usage: dir-is DIR NAME...")
			}
			ents, err := os.ReadDir(ts.MkAbs(args[0]))
			ts.Check(err)
			var got []string
			for _, e := range ents {
				got = append(got, e.Name())
			}
			if strings.Join(got, "\n") != strings.Join(args[1:], "\n") {
				ts.Fatalf("%s holds %q, want %q", args[0], got, args[1:])
			}
		},
		// all-lines FILE REGEXP checks FILE has lines and each matches.
		"all-lines": func(ts *testscript.TestScript, neg bool, args []string) {
			noNeg(ts, neg, "all-lines")
			if len(args) != 2 {
				ts.Fatalf("usage: all-lines FILE REGEXP")
			}
			allLines(ts, ts.ReadFile(args[0]), args[1])
		},
		// is-device PATH checks PATH is still a character device.
		"is-device": func(ts *testscript.TestScript, neg bool, args []string) {
			noNeg(ts, neg, "is-device")
			st, err := os.Stat(args[0])
			if err != nil || st.Mode()&os.ModeCharDevice == 0 {
				ts.Fatalf("%s is not a character device: %v", args[0], err)
			}
		},
	}
}

var errNoLines = errors.New("no lines")

// openUp lets every user read path (and, a directory, search and write
// it) and search each directory above it, as a login other than the
// test's needs to: testscript's and the peers' directories are 0700.
func openUp(ts *testscript.TestScript, path string) {
	st, err := os.Stat(path)
	ts.Check(err)
	mode := os.FileMode(0o644)
	if st.IsDir() {
		mode = 0o777
	}
	ts.Check(os.Chmod(path, mode))
	for d := filepath.Dir(path); d != "/"; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		ts.Check(err)
		if st.Mode().Perm()&0o001 == 0 {
			ts.Check(os.Chmod(d, st.Mode().Perm()|0o011))
		}
	}
}
