package sftpx

import (
	"context"
	"errors"
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"

	"github.com/sshpin/sshpin/internal/atomicfile"
	"github.com/sshpin/sshpin/internal/testpeer"
)

// resolvingLister plays a server whose paths resolve elsewhere (symbolic
// links, a login directory other than "/"): RealPath answers from real
// for the paths it names, and as the in-memory server does otherwise.
type resolvingLister struct {
	sftp.FileLister
	real map[string]string // as the client sends it -> resolved
}

func (l resolvingLister) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	return l.FileLister.(sftp.LstatFileLister).Lstat(r)
}

func (l resolvingLister) RealPath(p string) (string, error) {
	if r, ok := l.real[p]; ok {
		return r, nil
	}
	return path.Join("/", p), nil
}

// rm -r HOST:. removed the whole login directory (authorized_keys
// included) and rm -r HOST:/ walked the whole file system. Every such
// path is refused before anything is removed: by its text, and by where
// the server resolves a directory to. The in-memory server stands in for
// a real one so that a regression cannot remove real files.
func TestRmRefusesLoginDirectoryAndRoot(t *testing.T) {
	const (
		login = "the login directory"
		root  = "refusing to remove /"
		dots  = "refusing to remove '.' or '..' directory"
	)
	for _, tc := range []struct {
		path string
		want string // a substring of the refusal; "" when the removal goes ahead
	}{
		{".", login},
		{"", login},
		{"./", login},
		{".//", login},
		{"a/..", login},
		{"a/../", login},
		{"/", root},
		{"//", root},
		{"/.", root},
		{"/..", root},
		{"/a/../..", root},
		{"..", dots},
		{"../", dots},
		{"../..", dots},
		{"a/.", dots},
		{"a/./", dots},
		{"a/b/..", dots},
		// Resolved by the server: the login directory by its absolute
		// name, and a link to it; a link to the root.
		{"/home/tester", login},
		{"mirror", login},
		{"mirror/", login},
		{"rootlink", root},
		// What may go: the control that the refusals are not all there is.
		{"a", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			s, c, _ := dialServer(t, serverConfig{wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
				h.FileList = resolvingLister{FileLister: h.FileList, real: map[string]string{
					".":        "/home/tester",
					"mirror":   "/home/tester",
					"mirror/":  "/home/tester",
					"rootlink": "/",
				}}
				return h
			}})
			seeded := []string{"/a/b/f", "/home/tester/.ssh/authorized_keys", "/mirror/x", "/rootlink/y", "/top"}
			for _, p := range seeded {
				s.fs.write(t, p, []byte(p))
			}
			err := c.Remove(context.Background(), tc.path, true)
			if tc.want == "" {
				if err != nil || s.fs.exists("/a") {
					t.Fatalf("Remove(%q) = %v; exists afterwards: %v", tc.path, err, s.fs.exists("/a"))
				}
				return
			}
			var te *TransferError
			if !errors.Is(err, ErrProtected) || !errors.As(err, &te) || te.Op != "rm" || te.Remote != tc.path || !strings.Contains(te.Reason(), tc.want) {
				t.Errorf("Remove(%q) = %v; want a refusal %q naming the path", tc.path, err, tc.want)
			}
			for _, p := range seeded {
				if !s.fs.exists(p) {
					t.Errorf("%s was removed", p)
				}
			}
		})
	}
}

// The same through the binary against a real sshd whose login directory
// is a sandbox (internal-sftp -d): the refusal names the path in sshpin's
// voice, exits 2, and a run with a refused path removes none of its paths.
// A path refused by its text is refused before connecting.
func TestCLIRmRefusesLoginDirectory(t *testing.T) {
	dir := t.TempDir()
	sandbox := filepath.Join(dir, "sandbox")
	writeLocal(t, filepath.Join(sandbox, ".ssh", "authorized_keys"), []byte("keys"))
	writeLocal(t, filepath.Join(sandbox, "sub", "f"), []byte("f"))
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, Extra: []string{"ForceCommand internal-sftp -d " + sandbox}})
	// Never go on with a login directory other than the sandbox: a
	// regression would remove it.
	c, err := Dial(context.Background(), sshdOptions(t, p, "", key, f))
	if err != nil {
		t.Fatal(err)
	}
	home, err := c.SFTP().RealPath(".")
	c.Close()
	if real, _ := filepath.EvalSymlinks(sandbox); err != nil || (home != sandbox && home != real) {
		t.Fatalf("the login directory is %q (%v), not the sandbox %s: not going on", home, err, sandbox)
	}
	pinned := filepath.Join(dir, "host.keys")
	os.WriteFile(pinned, []byte(pinLines(t, p, peerKeys(t, p))), 0o600)
	host := p.Addr
	sftp := func(args ...string) cliRun {
		return sshpin(t, nil, append([]string{"sftp", "-F", "none", "--pinned", pinned, "-i", key}, args...)...)
	}
	want := []string{".ssh/", ".ssh/authorized_keys", "sub/", "sub/f"}

	for _, tc := range []struct {
		args   []string
		stderr []string
	}{
		{[]string{"rm", "-r", host + ":."}, []string{"sshpin: rm " + host + ":.: refusing to remove the login directory\n"}},
		{[]string{"rm", "-r", host + ":"}, []string{"sshpin: rm " + host + ":: refusing to remove the login directory\n"}},
		{[]string{"rm", "-r", host + ":../sandbox"}, []string{"sshpin: rm " + host + ":../sandbox: refusing to remove the login directory\n"}},
		{[]string{"rm", "-r", host + ":" + sandbox}, []string{"sshpin: rm " + host + ":" + sandbox + ": refusing to remove the login directory\n"}},
		{[]string{"rm", "-r", host + ":sub/.."}, []string{"sshpin: rm " + host + ":sub/..: refusing to remove the login directory\n"}},
		// One refused path keeps the others too.
		{[]string{"rm", "-r", host + ":sub", host + ":../sandbox"}, []string{
			"sshpin: rm " + host + ":../sandbox: refusing to remove the login directory\n",
			"sshpin: rm " + host + ":sub: not removed: another path of this run was refused\n",
		}},
		{[]string{"rm", "-r", host + ":sub", host + ":sub/."}, []string{"sshpin: rm " + host + ":sub/.: refusing to remove '.' or '..' directory\n"}},
	} {
		r := sftp(tc.args...)
		if r.code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", tc.args, r.code, r.stderr)
		}
		for _, s := range tc.stderr {
			if !strings.Contains(r.stderr, s) {
				t.Errorf("%q: stderr lacks %q:\n%s", tc.args, s, r.stderr)
			}
		}
		if got := tree(t, sandbox); !slices.Equal(got, want) {
			t.Fatalf("%q removed files: the sandbox holds %q", tc.args, got)
		}
	}

	r := sftp("rm", "--json", "-r", host+":.")
	recs := jsonLines(t, r.stdout)
	if r.code != 2 || len(recs) != 1 || recs[0]["remote"] != host+":." || recs[0]["error"] != "refusing to remove the login directory" {
		t.Errorf("rm --json: exit %d %v\n%s", r.code, recs, r.stderr)
	}
	if r := sftp("rm", "-r", host+":sub"); r.code != 0 || !slices.Equal(tree(t, sandbox), want[:2]) {
		t.Errorf("rm -r of a subdirectory: exit %d, sandbox %q\n%s", r.code, tree(t, sandbox), r.stderr)
	}
}

// A get killed with SIGKILL leaves .NAME.sshpin-tmp-* behind; the next get
// of that name removes it, and nothing of another name.
func TestGetRemovesStaleLocalTempFiles(t *testing.T) {
	s, c, _ := dialServer(t, serverConfig{})
	s.fs.write(t, "/f", []byte("new"))
	dir := t.TempDir()
	local := filepath.Join(dir, "out")
	stale := filepath.Join(dir, atomicfile.TempPrefix(local)+"1234567")
	other := filepath.Join(dir, atomicfile.TempPrefix(filepath.Join(dir, "other"))+"1234567")
	for _, p := range []string{stale, other} {
		writeLocal(t, p, []byte("partial"))
	}
	if r := c.GetFile(context.Background(), "/f", local); r.Err != nil {
		t.Fatal(r.Err)
	}
	if got, want := dirNames(t, dir), []string{filepath.Base(other), "out"}; !slices.Equal(got, want) {
		t.Errorf("after the get: %q, want %q", got, want)
	}
}

// A link to a directory (not followed, by design) is a deliberate skip,
// as is a FIFO (safety_unix_test.go): a Result that says so, with no
// error, and never "N of M files failed".
func TestTreeSkipsAreNotFailures(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	src, dst := twoConnections(t, p, "", key, f)
	ctx := context.Background()
	dir := t.TempDir()
	tr := filepath.Join(dir, "tr")
	writeLocal(t, filepath.Join(tr, "a"), []byte("a"))
	writeLocal(t, filepath.Join(tr, "d", "b"), []byte("b"))
	if err := os.Symlink("d", filepath.Join(tr, "dirlink")); err != nil {
		t.Fatal(err)
	}
	const reason = "a link to a directory is not followed"
	check := func(op string, rs []Result, source func(Result) string, root string) {
		t.Helper()
		var skipped []string
		for _, r := range rs {
			switch {
			case r.Err != nil:
				t.Errorf("%s: %s failed: %v", op, source(r), r.Err)
			case r.Skipped:
				skipped = append(skipped, source(r))
				if r.Reason != reason {
					t.Errorf("%s: %s skipped for %q, want %q", op, source(r), r.Reason, reason)
				}
			}
		}
		if want := []string{root + "/dirlink"}; !slices.Equal(skipped, want) {
			t.Errorf("%s: skipped %q, want %q", op, skipped, want)
		}
	}
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	rs := collect(func(each func(Result)) { dst.Get(ctx, tr, out, TransferOptions{Recursive: true}, each) })
	check("get -r", rs, func(r Result) string { return r.Remote }, tr)
	up := filepath.Join(dir, "up")
	os.Mkdir(up, 0o755)
	rs = collect(func(each func(Result)) { dst.Put(ctx, tr, up, TransferOptions{Recursive: true}, each) })
	check("put -r", rs, func(r Result) string { return r.Local }, tr)
	cp := filepath.Join(dir, "cp")
	os.Mkdir(cp, 0o755)
	rs = collect(func(each func(Result)) { dst.Copy(ctx, src, tr, cp, TransferOptions{Recursive: true}, each) })
	check("cp -r", rs, func(r Result) string { return r.Local }, tr)
	for _, d := range []string{out, up, cp} {
		if got := tree(t, filepath.Join(d, "tr")); !slices.Equal(got, []string{"a", "d/", "d/b"}) {
			t.Errorf("%s holds %q", d, got)
		}
	}
}

// The same through the binary: a line per skip, a JSON record that says
// skipped with the reason, exit 0; a skip in a run that also failed is
// not counted among the failed nor the files.
func TestCLITreeSkipsAreNotFailures(t *testing.T) {
	p, key, _ := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	dir := t.TempDir()
	pinned := filepath.Join(dir, "host.keys")
	os.WriteFile(pinned, []byte(pinLines(t, p, peerKeys(t, p))), 0o600)
	tr := filepath.Join(dir, "tr")
	writeLocal(t, filepath.Join(tr, "a"), []byte("a"))
	writeLocal(t, filepath.Join(tr, "d", "b"), []byte("b"))
	if err := os.Symlink("d", filepath.Join(tr, "dirlink")); err != nil {
		t.Fatal(err)
	}
	host := p.Addr
	sftp := func(args ...string) cliRun {
		return sshpin(t, nil, append([]string{"sftp", "-F", "none", "--pinned", pinned, "-i", key}, args...)...)
	}
	const reason = "a link to a directory is not followed"
	for _, tc := range []struct {
		args    []string
		skipped string
	}{
		{[]string{"get", "-r", host + ":" + tr, filepath.Join(dir, "get")}, "skipped: " + host + ":" + tr + "/dirlink: " + reason + "\n"},
		{[]string{"put", "-r", tr, host + ":" + filepath.Join(dir, "put")}, "skipped: " + tr + "/dirlink: " + reason + "\n"},
		{[]string{"cp", "-r", host + ":" + tr, host + ":" + filepath.Join(dir, "cp")}, "skipped: " + host + ":" + tr + "/dirlink: " + reason + "\n"},
	} {
		r := sftp(tc.args...)
		if r.code != 0 || !strings.Contains(r.stdout, tc.skipped) || strings.Count(r.stdout, "sha256:") != 2 || r.stderr != "" {
			t.Errorf("%q: exit %d, want 0 and %q\n%s%s", tc.args, r.code, tc.skipped, r.stdout, r.stderr)
		}
	}

	r := sftp("get", "-r", "--json", host+":"+tr, filepath.Join(dir, "json"))
	var skips []map[string]any
	for _, rec := range jsonLines(t, r.stdout) {
		if rec["skipped"] == true {
			skips = append(skips, rec)
		} else if rec["error"] != nil || rec["sha256"] == nil {
			t.Errorf("get -r --json: %v", rec)
		}
	}
	if r.code != 0 || len(skips) != 1 || skips[0]["remote"] != host+":"+tr+"/dirlink" || skips[0]["reason"] != reason || skips[0]["error"] != nil {
		t.Errorf("get -r --json: exit %d, skips %v\n%s%s", r.code, skips, r.stdout, r.stderr)
	}

	os.Mkdir(filepath.Join(dir, "mixed"), 0o755)
	r = sftp("get", "-r", host+":"+tr, host+":"+dir+"/nope", filepath.Join(dir, "mixed"))
	if r.code != 2 || !strings.Contains(r.stderr, "sshpin: 1 of 3 files failed") || !strings.Contains(r.stdout, "skipped: ") {
		t.Errorf("get -r with a missing file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// get --newest -r 'HOST:ap*' said "no file matches" when the newest match
// was a directory, which get -r without --newest copies. With -r, the
// newest match may be a directory; without, it is the newest file.
func TestGetNewestRecursiveMatchesDirectories(t *testing.T) {
	p, key, _ := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	dir := t.TempDir()
	pinned := filepath.Join(dir, "host.keys")
	os.WriteFile(pinned, []byte(pinLines(t, p, peerKeys(t, p))), 0o600)
	srv := filepath.Join(dir, "srv")
	writeLocal(t, filepath.Join(srv, "app-1", "old"), []byte("old"))
	writeLocal(t, filepath.Join(srv, "app-2", "new"), []byte("new"))
	writeLocal(t, filepath.Join(srv, "apple.txt"), []byte("apple"))
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for n, h := range map[string]int{"app-1": 0, "apple.txt": 1, "app-2": 2} {
		mt := base.Add(time.Duration(h) * time.Hour)
		os.Chtimes(filepath.Join(srv, n), mt, mt)
	}
	sftp := func(args ...string) cliRun {
		return sshpin(t, nil, append([]string{"sftp", "-F", "none", "--pinned", pinned, "-i", key}, args...)...)
	}
	pattern := p.Addr + ":" + srv + "/ap*"
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"get", "--newest", "-r", pattern}, []string{"app-2/", "app-2/new"}},
		{[]string{"get", "--newest", pattern}, []string{"apple.txt"}},
		{[]string{"cp", "--newest", "-r", pattern}, []string{"app-2/", "app-2/new"}},
	} {
		out := filepath.Join(t.TempDir(), "out")
		os.Mkdir(out, 0o755)
		dest := out
		if tc.args[0] == "cp" {
			dest = p.Addr + ":" + out
		}
		r := sftp(append(tc.args, dest)...)
		if got := tree(t, out); r.code != 0 || !slices.Equal(got, tc.want) {
			t.Errorf("%q: exit %d, copied %q, want %q\n%s%s", tc.args, r.code, got, tc.want, r.stdout, r.stderr)
		}
	}
}

func TestNewestEntry(t *testing.T) {
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }
	entries := []Entry{
		{Name: "dir", Mode: os.ModeDir | 0o755, ModTime: at(3)},
		{Name: "file", Mode: 0o644, ModTime: at(1)},
		{Name: "link", Mode: os.ModeSymlink | 0o777, ModTime: at(2)},
		{Name: "fifo", Mode: os.ModeNamedPipe | 0o644, ModTime: at(4)},
	}
	for _, tc := range []struct {
		entries []Entry
		dirs    bool
		want    string // "" for none
	}{
		{entries, false, "link"},
		{entries, true, "dir"},
		{entries[:1], false, ""},
		{entries[:1], true, "dir"},
		{entries[3:], true, ""},
		{nil, true, ""},
	} {
		e, ok := NewestEntry(tc.entries, tc.dirs)
		if ok != (tc.want != "") || e.Name != tc.want {
			t.Errorf("NewestEntry(%d entries, dirs %v) = %q, %v; want %q", len(tc.entries), tc.dirs, e.Name, ok, tc.want)
		}
	}
	if e, ok := Newest(entries); !ok || e.Name != "link" {
		t.Errorf("Newest = %q, %v; want the newest file (a link, as listed)", e.Name, ok)
	}
}
