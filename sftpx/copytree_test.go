package sftpx

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pkg/sftp"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/knownhosts"
)

// copyLogin is the account the copy tests log in as: one that cannot read
// a file of mode 0 (or, as root, a file of root's with mode 0600), so
// that "permission denied" is the server's real answer. Root reads
// everything, so as root it is nobody, which needs the key files and the
// paths to them readable (openUp).
func copyLogin(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		return testpeer.CurrentUser()
	}
	if _, err := user.Lookup("nobody"); err != nil {
		t.Skip("running as root and there is no user nobody to log in as")
	}
	return "nobody"
}

// makeUnreadable makes the file at p one that login cannot read.
func makeUnreadable(t *testing.T, p, login string) {
	t.Helper()
	mode := os.FileMode(0o000)
	if login == "nobody" {
		mode = 0o600 // root's, not nobody's
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

// twoConnections dials the same sshd twice as login: the source and the
// destination of a copy, each verified against the pin.
func twoConnections(t *testing.T, p *testpeer.Peer, login, key string, f *knownhosts.File) (src, dst *Client) {
	t.Helper()
	for _, c := range []**Client{&src, &dst} {
		var err error
		*c, err = Dial(context.Background(), sshdOptions(t, p, login, key, f))
		if err != nil {
			t.Fatalf("Dial: %v\n%s", err, p.Log())
		}
		t.Cleanup(func() { (*c).Close() })
	}
	return src, dst
}

// tree lists every path under root, relative to it, directories with a
// trailing slash, sorted: the whole state of a directory, for comparisons.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// A tree copied server to server over two connections to one real sshd:
// nested directories and an empty one are made, a link to a file is
// copied as the file, a link to a directory is not followed, and the file
// the account cannot read is named with its reason while every other file
// is copied.
func TestCopyTreeNamesUnreadableFileCopiesTheRest(t *testing.T) {
	login := copyLogin(t)
	p, key, f := sshdPeer(t, login, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	if login == "nobody" {
		openUp(t, filepath.Join(p.Dir, "authorized_keys"))
	}
	dir := t.TempDir()
	openUp(t, dir)
	srcDir := filepath.Join(dir, "src")
	files := map[string][]byte{
		"a":          randomBytes(t, 10),
		"empty":      nil,
		"d/b":        randomBytes(t, 300000),
		"d/e/f/deep": randomBytes(t, 3),
		"secret":     []byte("s"),
	}
	for n, b := range files {
		writeLocal(t, filepath.Join(srcDir, n), b)
	}
	os.Mkdir(filepath.Join(srcDir, "emptydir"), 0o755)
	os.Symlink("a", filepath.Join(srcDir, "filelink"))
	os.Symlink("d", filepath.Join(srcDir, "dirlink"))
	makeUnreadable(t, filepath.Join(srcDir, "secret"), login)
	dstDir := filepath.Join(dir, "dst")
	os.Mkdir(dstDir, 0o777)
	os.Chmod(dstDir, 0o777)

	src, dst := twoConnections(t, p, login, key, f)
	rs := collect(func(each func(Result)) {
		dst.Copy(context.Background(), src, srcDir, dstDir, TransferOptions{Recursive: true}, each)
	})

	errs := map[string]error{}
	skips := map[string]string{}
	for _, r := range rs {
		rel := strings.TrimPrefix(r.Local, srcDir+"/")
		if r.Op != "cp" || r.Remote != dstDir+"/src/"+rel {
			t.Errorf("result %+v: want op cp, from %s to %s", r, r.Local, dstDir+"/src/"+rel)
		}
		errs[rel] = r.Err
		if r.Skipped {
			skips[rel] = r.Reason
		}
	}
	for _, ok := range []string{"a", "empty", "d/b", "d/e/f/deep", "filelink"} {
		if err, seen := errs[ok]; !seen || err != nil {
			t.Errorf("%s: seen %v, error %v; want it copied", ok, seen, err)
		}
	}
	if err := errs["secret"]; !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), srcDir+"/secret") {
		t.Errorf("secret: %v; want permission denied, naming the file", err)
	}
	if err, why := errs["dirlink"], skips["dirlink"]; err != nil || !strings.Contains(why, "not followed") {
		t.Errorf("dirlink: %v, skipped for %q; want skipped, not followed", err, why)
	}
	if len(rs) != 7 {
		t.Errorf("%d results, want 7: %v", len(rs), errs)
	}

	want := []string{"a", "d/", "d/b", "d/e/", "d/e/f/", "d/e/f/deep", "empty", "emptydir/", "filelink"}
	if got := tree(t, filepath.Join(dstDir, "src")); !slices.Equal(got, want) {
		t.Errorf("the copy holds %q\nwant %q (no secret, no dirlink, no temporary file)", got, want)
	}
	files["filelink"] = files["a"]
	for n, b := range files {
		if n == "secret" {
			continue
		}
		got, err := os.ReadFile(filepath.Join(dstDir, "src", n))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s: %d bytes, %v; want %d bytes", n, len(got), err, len(b))
		}
	}
	if st, err := os.Lstat(filepath.Join(dstDir, "src", "filelink")); err != nil || !st.Mode().IsRegular() {
		t.Errorf("filelink was not copied as a file: %v", err)
	}
}

// Where the copy of a directory goes, as cp -r and put -r decide it, and
// what is refused before anything is written.
func TestCopyPlacesTheCopyAsCpDoes(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	src, dst := twoConnections(t, p, "", key, f)
	for _, tc := range []struct {
		name      string
		src, dst  string
		recursive bool
		made      []string // the paths under base the copy adds
		err       string   // or the one failure, with nothing written
	}{
		{name: "into an existing directory, under the source's name", src: "tree", dst: "out", recursive: true,
			made: []string{"out/tree/", "out/tree/a", "out/tree/sub/", "out/tree/sub/b"}},
		{name: "to a new name", src: "tree", dst: "out/copy", recursive: true,
			made: []string{"out/copy/", "out/copy/a", "out/copy/sub/", "out/copy/sub/b"}},
		{name: "a subdirectory into an existing directory", src: "tree/sub", dst: "out/", recursive: true,
			made: []string{"out/sub/", "out/sub/b"}},
		{name: "a file into an existing directory", src: "tree/a", dst: "out",
			made: []string{"out/a"}},
		{name: "a missing directory with a trailing slash", src: "tree", dst: "out/nope/", recursive: true,
			err: "no such directory"},
		{name: "a directory without recursion", src: "tree", dst: "out",
			err: "source is a directory"},
		{name: "a missing source", src: "nope", dst: "out", recursive: true,
			err: "source: not found"},
		{name: "into itself", src: "tree", dst: "tree/sub", recursive: true,
			err: "cannot copy a directory into itself"},
		{name: "onto itself", src: "tree", dst: ".", recursive: true,
			err: "cannot copy a directory into itself"},
		{name: "onto a file", src: "tree", dst: "out/file", recursive: true,
			err: "exists and is not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			writeLocal(t, filepath.Join(base, "tree", "a"), []byte("a"))
			writeLocal(t, filepath.Join(base, "tree", "sub", "b"), []byte("b"))
			writeLocal(t, filepath.Join(base, "out", "file"), []byte("f"))
			before := tree(t, base)
			join := func(p string) string {
				if p == "." {
					return base
				}
				return base + "/" + p
			}
			rs := collect(func(each func(Result)) {
				dst.Copy(context.Background(), src, join(tc.src), join(tc.dst), TransferOptions{Recursive: tc.recursive}, each)
			})
			after := tree(t, base)
			if tc.err != "" {
				if len(rs) != 1 || rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), tc.err) {
					t.Fatalf("results %+v; want one failure saying %q", rs, tc.err)
				}
				if !slices.Equal(after, before) {
					t.Errorf("the tree changed to %q", after)
				}
				return
			}
			for _, r := range rs {
				if r.Err != nil {
					t.Errorf("%v", r.Err)
				}
			}
			var added []string
			for _, p := range after {
				if !slices.Contains(before, p) {
					added = append(added, p)
				}
			}
			if !slices.Equal(added, tc.made) {
				t.Errorf("the copy made %q, want %q", added, tc.made)
			}
		})
	}
}

// The source server names a file "../escape" in a listing: the copy must
// not write outside the destination directory on the other server, and
// the name is reported as sent, skipped (pkg/sftp alone would cut it to
// "escape", and the copy would fail on a file that does not exist).
func TestCopyTreeRefusesUnsafeNames(t *testing.T) {
	srcSrv, src, _ := dialServer(t, serverConfig{wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
		h.FileList = evilLister{h.FileList}
		return h
	}})
	dstSrv, dst, _ := dialServer(t, serverConfig{})
	srcSrv.fs.write(t, "/d/ok", []byte("ok"))
	srcSrv.fs.write(t, "/escape", []byte("evil"))
	dstSrv.fs.write(t, "/out/keep", []byte("keep"))
	rs := collect(func(each func(Result)) {
		dst.Copy(context.Background(), src, "/d", "/out/inner", TransferOptions{Recursive: true}, each)
	})
	// The skip of the hostile name may come before or after the file.
	slices.SortFunc(rs, func(a, b Result) int { return cmp.Compare(b.Remote, a.Remote) })
	if len(rs) != 2 || rs[0].Err != nil || rs[0].Remote != "/out/inner/ok" ||
		!rs[1].Skipped || rs[1].Err != nil || rs[1].Local != "/d/../escape" || !strings.Contains(rs[1].Reason, "it holds a '/'") {
		t.Errorf("results %+v, want /out/inner/ok and /d/../escape skipped", rs)
	}
	if dstSrv.fs.exists("/escape") || dstSrv.fs.exists("/out/escape") {
		t.Fatal("a file was written outside the destination")
	}
	if got := dstSrv.fs.read(t, "/out/inner/ok"); string(got) != "ok" {
		t.Errorf("/out/inner/ok holds %q", got)
	}
}
