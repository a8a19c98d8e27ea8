package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/report"
	"github.com/sshpin/sshpin/tlspin"
)

const unverifiedWarning = "sshpin cannot verify who is at the other end of a bare stream"

// tree lists every file and directory under dir with its content, for
// comparing what two runs left behind.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func treeString(m map[string]string) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %q\n", k, m[k])
	}
	return b.String()
}

// localFiles makes the files a transfer test sends: a file, and a tree.
func localFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"a.txt":          "alpha\n",
		"site/index.htm": "<p>hi</p>\n",
		"site/css/s.css": "p{}\n",
		"big.bin":        strings.Repeat("0123456789abcdef", 20000),
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		writeFile(t, p, content)
	}
	return dir
}

func mustRun(t *testing.T, args ...string) sshpinResult {
	t.Helper()
	r := sshpin(args...)
	if r.code != 0 {
		t.Fatalf("sshpin %s:\n%s", strings.Join(args, " "), r)
	}
	return r
}

// Every transfer command works over -D as over SSH, and the run says once
// that nothing verified the stream.
func TestSftpCommandStreamTransfers(t *testing.T) {
	server := testpeer.SFTPServer(t)
	src := localFiles(t)
	root := t.TempDir()
	dash := []string{"sftp", "-D", server + " -d " + root}
	run := func(args ...string) sshpinResult {
		t.Helper()
		r := mustRun(t, append(dash, args...)...)
		if n := strings.Count(r.stderr, unverifiedWarning); n != 1 {
			t.Errorf("the unverified warning appears %d times, want once:\n%s", n, r.stderr)
		}
		return r
	}
	run("put", filepath.Join(src, "a.txt"), filepath.Join(src, "big.bin"), ":")
	run("mkdir", ":in")
	run("put", "-r", filepath.Join(src, "site"), ":in")
	// Two connections for one cp, one warning.
	run("cp", "-r", ":in/site", ":copy")
	run("cp", "--newest", ":*.txt", ":in/")
	// Two connections to one stream are one server: a copy into itself
	// is refused, as over SSH with one host key.
	if r := sshpin(append(dash, "cp", "-r", ":in", ":in/sub")...); r.code != 2 || !strings.Contains(r.stderr, "into itself") {
		t.Errorf("cp -r :in :in/sub:\n%s", r)
	}
	want := map[string]string{
		"./": "", "a.txt": "alpha\n", "big.bin": strings.Repeat("0123456789abcdef", 20000),
		"in/": "", "in/a.txt": "alpha\n", "in/site/": "", "in/site/index.htm": "<p>hi</p>\n", "in/site/css/": "", "in/site/css/s.css": "p{}\n",
		"copy/": "", "copy/index.htm": "<p>hi</p>\n", "copy/css/": "", "copy/css/s.css": "p{}\n",
	}
	if got := tree(t, root); treeString(got) != treeString(want) {
		t.Fatalf("the server holds:\n%swant:\n%s", treeString(got), treeString(want))
	}

	dst := t.TempDir()
	r := run("--json", "get", "-r", ":in", ":big.bin", dst)
	var recs []report.FileRecord
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var rec report.FileRecord
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		recs = append(recs, rec)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4:\n%s", len(recs), r.stdout)
	}
	for _, rec := range recs {
		if !strings.HasPrefix(rec.Remote, ":") || rec.SHA256 == "" || rec.Error != "" {
			t.Errorf("record %+v", rec)
		}
	}
	if got, want := string(readFile(t, filepath.Join(dst, "in/site/css/s.css"))), "p{}\n"; got != want {
		t.Errorf("got %q", got)
	}
	r = run("ls", ":in")
	if !strings.Contains(r.stdout, "site/") || !strings.Contains(r.stdout, "a.txt") {
		t.Errorf("ls:\n%s", r)
	}
	run("rm", "-r", ":copy")
	if _, err := os.Stat(filepath.Join(root, "copy")); !os.IsNotExist(err) {
		t.Errorf("rm -r :copy left it: %v", err)
	}
}

// OpenSSH's sftp -D is the reference for what moves: the same batch of
// operations, through it and through sshpin, leaves the same files.
func TestSftpCommandStreamMatchesOpenSSH(t *testing.T) {
	server := testpeer.SFTPServer(t)
	sftp := testpeer.Require(t, "sftp")
	src := localFiles(t)
	theirs, ours := t.TempDir(), t.TempDir()
	theirGets, ourGets := t.TempDir(), t.TempDir()
	batch := filepath.Join(t.TempDir(), "batch")
	writeFile(t, batch, strings.Join([]string{
		"put " + filepath.Join(src, "a.txt"),
		"put " + filepath.Join(src, "big.bin") + " renamed.bin",
		"mkdir up",
		"put -r " + filepath.Join(src, "site") + " up/site",
		"get renamed.bin " + filepath.Join(theirGets, "r.bin"),
		"get -r up " + filepath.Join(theirGets, "up"),
		"rm a.txt",
	}, "\n")+"\n")
	cmd := exec.Command(sftp, "-q", "-D", server+" -d "+theirs, "-b", batch)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sftp -D: %v\n%s", err, out)
	}
	dash := []string{"sftp", "-D", server + " -d " + ours}
	mustRun(t, append(dash, "put", filepath.Join(src, "a.txt"), ":")...)
	mustRun(t, append(dash, "put", filepath.Join(src, "big.bin"), ":renamed.bin")...)
	mustRun(t, append(dash, "mkdir", ":up")...)
	mustRun(t, append(dash, "put", "-r", filepath.Join(src, "site"), ":up/site")...)
	mustRun(t, append(dash, "get", ":renamed.bin", filepath.Join(ourGets, "r.bin"))...)
	mustRun(t, append(dash, "get", "-r", ":up", filepath.Join(ourGets, "up"))...)
	mustRun(t, append(dash, "rm", ":a.txt")...)
	if a, b := treeString(tree(t, theirs)), treeString(tree(t, ours)); a != b {
		t.Errorf("the servers differ:\nsftp -D left:\n%ssshpin left:\n%s", a, b)
	}
	if a, b := treeString(tree(t, theirGets)), treeString(tree(t, ourGets)); a != b {
		t.Errorf("the downloads differ:\nsftp -D:\n%ssshpin:\n%s", a, b)
	}
}

// sftp-server behind ncat -e on loopback, reached with -D 'ncat HOST PORT'
// (the way sftp -D users reach one) and with --stream tcp:HOST:PORT.
func TestSftpStreamThroughNcat(t *testing.T) {
	nc := testpeer.NcatSFTP(t)
	ncat := testpeer.Require(t, "ncat")
	host, port, _ := strings.Cut(nc.Addr, ":")
	src := localFiles(t)
	for _, via := range [][]string{
		{"-D", ncat + " " + host + " " + port},
		{"--stream", "tcp:" + nc.Addr},
	} {
		t.Run(via[0], func(t *testing.T) {
			name := strings.TrimLeft(via[0], "-") + ".txt"
			r := mustRun(t, append([]string{"sftp"}, append(via, "put", filepath.Join(src, "a.txt"), ":"+name)...)...)
			if !strings.Contains(r.stderr, unverifiedWarning) {
				t.Errorf("no unverified warning:\n%s", r.stderr)
			}
			if got := string(readFile(t, filepath.Join(nc.Root, name))); got != "alpha\n" {
				t.Errorf("the server got %q", got)
			}
			back := filepath.Join(t.TempDir(), "back")
			mustRun(t, append([]string{"sftp"}, append(via, "get", ":"+name, back)...)...)
			if got := string(readFile(t, back)); got != "alpha\n" {
				t.Errorf("got %q", got)
			}
		})
	}
}

func TestSftpStreamUnixSocket(t *testing.T) {
	p := testpeer.SFTPOverUnix(t)
	src := localFiles(t)
	stream := []string{"sftp", "--stream", "unix:" + p.Addr}
	r := mustRun(t, append(stream, "put", "-r", filepath.Join(src, "site"), ":")...)
	if !strings.Contains(r.stderr, "unix:"+p.Addr) || !strings.Contains(r.stderr, unverifiedWarning) {
		t.Errorf("the warning does not name the socket:\n%s", r.stderr)
	}
	dst := t.TempDir()
	mustRun(t, append(stream, "get", "-r", ":site", dst)...)
	if a, b := treeString(tree(t, filepath.Join(src, "site"))), treeString(tree(t, filepath.Join(dst, "site"))); a != b {
		t.Errorf("got:\n%swant:\n%s", b, a)
	}
}

// What the sftp command writes to stderr reaches ours escaped, under our
// prefix: it may come from a server.
func TestSftpCommandStderrIsEscaped(t *testing.T) {
	server := testpeer.SFTPServer(t)
	cmd := `sh -c 'printf "\033[2Jhello from the server\n" >&2; exec ` + server + `'`
	r := mustRun(t, "sftp", "-D", cmd, "ls", ":/")
	if strings.Contains(r.stderr, "\033") {
		t.Errorf("an escape sequence reached the terminal:\n%q", r.stderr)
	}
	if !strings.Contains(r.stderr, `sshpin: sftp command: \x1b[2Jhello from the server`) {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

func certFiles(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "server.pins")
	writeFile(t, p, content)
	return p
}

// Over TLS nothing moves until the certificate is proved: a refused server
// gets no SFTP byte (its sftp-server is never started), no local file is
// made or changed, and the run exits 1 with both fingerprints.
func TestSftpTLS(t *testing.T) {
	ca := testpeer.NewCA(t, "files CA")
	caFile := certFiles(t, string(ca.PEM()))
	pinned := testpeer.SelfSigned(t, "127.0.0.1")
	pf := tlspin.Of(pinned.Leaf)
	impostor := testpeer.SelfSigned(t, "127.0.0.1")
	tests := []struct {
		name  string
		cert  tls.Certificate
		flags []string
		code  int
	}{
		{"pinned certificate, openssl form", pinned, []string{"--pinned-cert", certFiles(t, "sha256 Fingerprint="+pf.Cert.OpenSSL()+"\n")}, 0},
		{"pinned public key", pinned, []string{"--pinned-cert", certFiles(t, tlspin.Line(tlspin.SPKI, pf.SPKI)+"\n")}, 0},
		{"CA-signed for the name", ca.Issue(t, "files.test"), []string{"--tls-ca", caFile, "--tls-name", "files.test"}, 0},
		{"CA-signed for the IP", ca.Issue(t, "127.0.0.1"), []string{"--tls-ca", caFile}, 0},
		{"another certificate", impostor, []string{"--pinned-cert", certFiles(t, pf.Cert.OpenSSL()+"\n")}, 1},
		{"another name", ca.Issue(t, "other.test"), []string{"--tls-ca", caFile, "--tls-name", "files.test"}, 1},
		{"not signed by the CA", pinned, []string{"--tls-ca", caFile}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testpeer.SFTPOverTLS(t, tt.cert)
			writeFile(t, filepath.Join(p.Root, "remote.txt"), "served\n")
			local := t.TempDir()
			writeFile(t, filepath.Join(local, "keep.txt"), "mine\n")
			before := treeString(tree(t, local))
			serverBefore := treeString(tree(t, p.Root))
			base := append([]string{"sftp", "--tls", p.Addr}, tt.flags...)
			get := sshpin(append(base, "get", ":remote.txt", filepath.Join(local, "keep.txt"))...)
			put := sshpin(append(base, "put", filepath.Join(local, "keep.txt"), ":uploaded.txt")...)
			if get.code != tt.code || put.code != tt.code {
				t.Fatalf("get:\n%s\nput:\n%s\nwant exit %d\n%s", get, put, tt.code, p.Log())
			}
			if strings.Contains(get.stderr+put.stderr, unverifiedWarning) {
				t.Errorf("a verified stream was called unverified:\n%s", get.stderr)
			}
			if tt.code == 0 {
				if got := string(readFile(t, filepath.Join(local, "keep.txt"))); got != "served\n" {
					t.Errorf("get: %q", got)
				}
				if got := string(readFile(t, filepath.Join(p.Root, "uploaded.txt"))); got != "served\n" {
					t.Errorf("put: %q", got)
				}
				return
			}
			if p.Spawned() != 0 || p.Connections() != 2 {
				t.Errorf("%d connections, %d sftp-servers started, want 2 and none", p.Connections(), p.Spawned())
			}
			defer func() {
				if p.Spawned() != 0 {
					t.Errorf("%d sftp-servers started for refused runs", p.Spawned())
				}
			}()
			if got := treeString(tree(t, local)); got != before {
				t.Errorf("a refused run changed local files:\n%s", got)
			}
			if got := treeString(tree(t, p.Root)); got != serverBefore {
				t.Errorf("a refused run changed the server's files:\n%s", got)
			}
			got := tlspin.Of(tt.cert.Leaf)
			// --json says so too, on stdout, for scripts.
			jr := sshpin(append(append([]string{"--json"}, base...), "ls", ":")...)
			var rec report.FileRecord
			if err := json.Unmarshal([]byte(jr.stdout), &rec); err != nil || jr.code != 1 || !strings.Contains(rec.Error, "refused before SFTP") {
				t.Errorf("--json: %s (%v)", jr, err)
			}
			for _, want := range []string{"refused before SFTP, nothing was sent", got.Cert.String(), got.Cert.OpenSSL(), got.SPKI.String()} {
				if !strings.Contains(get.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, get.stderr)
				}
			}
			if strings.Contains(tt.name, "another certificate") && !strings.Contains(get.stderr, "pinned: cert or spki "+pf.Cert.String()) {
				t.Errorf("stderr lacks the pinned fingerprint:\n%s", get.stderr)
			}
		})
	}
}

func TestSftpTLSTrustOnFirstUse(t *testing.T) {
	cert := testpeer.SelfSigned(t, "127.0.0.1")
	p := testpeer.SFTPOverTLS(t, cert)
	writeFile(t, filepath.Join(p.Root, "remote.txt"), "served\n")
	pins := filepath.Join(t.TempDir(), "server.pins")
	base := []string{"sftp", "--tls", p.Addr, "--pinned-cert", pins}
	// Without --trust-on-first-use a missing pin file is an error, and
	// nothing is dialled.
	if r := sshpin(append(base, "ls", ":")...); r.code != 2 || p.Connections() != 0 {
		t.Fatalf("no pin file: %s (%d connections)", r, p.Connections())
	}
	r := mustRun(t, append(base, "--trust-on-first-use", "ls", ":")...)
	f := tlspin.Of(cert.Leaf)
	if !strings.Contains(r.stderr, "trusted tls:"+p.Addr+" on first use") || !strings.Contains(r.stderr, f.SPKI.String()) {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	s, err := tlspin.ReadFile(pins)
	if err != nil || len(s.Pins) != 1 || s.Pins[0].Sum != f.SPKI {
		t.Fatalf("the pin file: %+v %v", s, err)
	}
	written := string(readFile(t, pins))
	mustRun(t, append(base, "ls", ":")...)

	// Another server on the same pins: refused, the file untouched.
	other := testpeer.SFTPOverTLS(t, testpeer.SelfSigned(t, "127.0.0.1"))
	r = sshpin("sftp", "--tls", other.Addr, "--pinned-cert", pins, "--trust-on-first-use", "ls", ":")
	if r.code != 1 || other.Spawned() != 0 {
		t.Fatalf("another server: %s", r)
	}
	if got := string(readFile(t, pins)); got != written {
		t.Errorf("a mismatch changed the pin file:\n%s", got)
	}
}

// scan --tls prints a pin file: fed to --pinned-cert, it lets the same
// server in. Reading the certificate starts no sftp-server.
func TestScanTLSWritesAPinFile(t *testing.T) {
	cert := testpeer.SelfSigned(t, "127.0.0.1", "files.test")
	p := testpeer.SFTPOverTLS(t, cert)
	r := mustRun(t, "scan", "--tls", p.Addr)
	f := tlspin.Of(cert.Leaf)
	for _, want := range []string{
		// openssl's form, 16 bytes a line where the terminal is narrow.
		"openssl   " + f.Cert.OpenSSL()[:48] + "\n#               " + f.Cert.OpenSSL()[48:] + "\n", f.Cert.String(), f.SPKI.String(), f.SPKI.Hex(), "CN=127.0.0.1", "DNS:files.test", "IP:127.0.0.1", "self-signed", "\nspki " + f.SPKI.String() + "\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("scan --tls lacks %q:\n%s", want, r.stdout)
		}
	}
	if p.Spawned() != 0 {
		t.Errorf("scan --tls started %d sftp-servers", p.Spawned())
	}
	pins := certFiles(t, r.stdout)
	mustRun(t, "sftp", "--tls", p.Addr, "--pinned-cert", pins, "ls", ":")

	r = mustRun(t, "scan", "--tls", "--json", p.Addr)
	var rec tlsRecord
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil || rec.TLS == nil {
		t.Fatalf("%q: %v", r.stdout, err)
	}
	if rec.TLS.CertOpenSSL != f.Cert.OpenSSL() || rec.TLS.SPKISHA256 != f.SPKI.String() || rec.TLS.Pin != "spki "+f.SPKI.String() || rec.Address != p.Addr {
		t.Errorf("record %+v", rec)
	}
}

func TestSftpStreamUsage(t *testing.T) {
	pins := certFiles(t, "# none\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"two streams", []string{"-D", "true", "--tls", "127.0.0.1:1", "ls", ":"}, "exclude each other"},
		{"a pin without --tls", []string{"-D", "true", "--pinned-cert", pins, "ls", ":"}, "go with --tls"},
		{"--tls with nothing to check", []string{"--tls", "127.0.0.1:1", "ls", ":"}, "needs --pinned-cert FILE or --tls-ca FILE"},
		{"--tls and --insecure-accept-any", []string{"--tls", "127.0.0.1:1", "--pinned-cert", pins, "--insecure-accept-any", "ls", ":"}, "does not go with --tls"},
		{"a stream path with no stream", []string{"ls", ":x"}, "no stream is given"},
		{"a host path with a stream", []string{"-D", "true", "get", "web-1:/x", t.TempDir()}, "remote files are written :PATH"},
		{"a bad --stream", []string{"--stream", "/run/x.sock", "ls", ":"}, "not unix:/path or tcp:host:port"},
		{"a --stream socket path with a NUL", []string{"--stream", "unix:/run/x\x00.sock", "ls", ":"}, `--stream unix:/run/x\x00.sock: a socket path cannot hold a NUL byte`},
		{"a --stream host with an escape", []string{"--stream", "tcp:\x1b]0;x\a:22", "ls", ":"}, `--stream tcp:\x1b]0;x\a:22: host contains`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sshpin(append([]string{"sftp"}, tt.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) || strings.ContainsAny(r.stderr, "\x1b\x00\a") {
				t.Errorf("got %s\nwant exit 2 and %q", r, tt.want)
			}
		})
	}
}

// lineWatcher is a stderr that calls fn on every line, from the writer's
// goroutine, and keeps everything.
type lineWatcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	part []byte
	fn   func(line string)
}

func (w *lineWatcher) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(b)
	w.part = append(w.part, b...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		line := string(w.part[:i])
		w.part = w.part[i+1:]
		w.fn(line)
	}
	return len(b), nil
}

// processesWith lists the processes whose command line has arg as an
// argument.
func processesWith(t *testing.T, arg string) []int {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var out []int
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		for _, a := range bytes.Split(b, []byte{0}) {
			if string(a) == arg {
				pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
				out = append(out, pid)
			}
		}
	}
	return out
}

// Ctrl-C during a download from a -D server that stopped answering: the
// run ends (130), leaves no partial file, and the command is killed and
// reaped, though it is stopped and cannot act on a hangup.
func TestSftpCommandInterruptedKillsTheCommand(t *testing.T) {
	server := testpeer.SFTPServer(t)
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "big.bin"), strings.Repeat("x", 32<<20))
	local := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	stderr := &lineWatcher{fn: func(line string) {
		// sftp-server -l INFO says when it opened the file: it is then
		// stopped mid-transfer, and the user presses Ctrl-C.
		if strings.Contains(line, `open "big.bin"`) {
			once.Do(func() {
				for _, pid := range processesWith(t, root) {
					syscall.Kill(pid, syscall.SIGSTOP)
				}
				cancel()
			})
		}
	}}
	var stdout bytes.Buffer
	code := run(ctx, []string{"sshpin", "--timeout", "60s", "sftp", "-D", server + " -e -l INFO -d " + root, "get", ":big.bin", local}, nil, &stdout, stderr)
	if code != exitInterrupted {
		t.Errorf("exit %d, want %d\n%s", code, exitInterrupted, stderr.buf.String())
	}
	if pids := processesWith(t, root); len(pids) > 0 {
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		t.Errorf("the sftp command outlived the run: pids %v", pids)
	}
	if got := tree(t, local); len(got) != 1 {
		t.Errorf("an interrupted get left files:\n%s", treeString(got))
	}
}

// A real TLS super-server: ncat --ssl -e sftp-server with a certificate of
// ours. The pinned certificate moves files; another pin moves nothing.
func TestSftpTLSThroughNcatSSL(t *testing.T) {
	cert := testpeer.SelfSigned(t, "127.0.0.1")
	certFile, keyFile := testpeer.WritePEM(t, cert, t.TempDir())
	nc := testpeer.NcatSFTP(t, "--ssl", "--ssl-cert", certFile, "--ssl-key", keyFile)
	src := localFiles(t)
	f := tlspin.Of(cert.Leaf)
	good := certFiles(t, "sha256 Fingerprint="+f.Cert.OpenSSL()+"\n")
	bad := certFiles(t, tlspin.Line(tlspin.SPKI, tlspin.Of(testpeer.SelfSigned(t, "127.0.0.1").Leaf).SPKI)+"\n")

	r := sshpin("sftp", "--tls", nc.Addr, "--pinned-cert", bad, "put", filepath.Join(src, "a.txt"), ":a.txt")
	if r.code != 1 || !strings.Contains(r.stderr, f.SPKI.String()) {
		t.Fatalf("a wrong pin: %s", r)
	}
	if got := tree(t, nc.Root); len(got) != 1 {
		t.Fatalf("a refused put left files on the server:\n%s", treeString(got))
	}
	mustRun(t, "sftp", "--tls", nc.Addr, "--pinned-cert", good, "put", filepath.Join(src, "a.txt"), ":a.txt")
	if got := string(readFile(t, filepath.Join(nc.Root, "a.txt"))); got != "alpha\n" {
		t.Errorf("the server got %q", got)
	}
	// scan --tls reads ncat's certificate as the pin it is.
	if r := mustRun(t, "scan", "--tls", nc.Addr); !strings.Contains(r.stdout, "spki "+f.SPKI.String()) {
		t.Errorf("scan --tls:\n%s", r.stdout)
	}
}
