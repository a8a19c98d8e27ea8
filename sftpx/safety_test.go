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
