package sftpx

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/knownhosts"
)

// sshdPeer starts a real OpenSSH sshd (internal-sftp) that lets user in
// with a fresh ed25519 key, and returns it with the key's path and a
// pinned file holding its host keys.
func sshdPeer(t testing.TB, user string, cfg testpeer.SSHDConfig) (*testpeer.Peer, string, *knownhosts.File) {
	t.Helper()
	p, keyPath := testpeer.SSHDUser(t, user, cfg)
	f, _ := pinFile(t, p.Host, p.Port, p.Keys(t)...)
	return p, keyPath, f
}

func sshdOptions(t testing.TB, p *testpeer.Peer, user, key string, f *knownhosts.File) Options {
	if user == "" {
		user = testpeer.CurrentUser()
	}
	return Options{Host: p.Host, Port: p.Port, User: user, Pinned: knownhosts.NewSet(f), Timeout: 20 * time.Second, Auth: Auth{KeyFiles: []string{key}}}
}

func TestSSHDRoundTrip(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{})
	c, err := Dial(context.Background(), sshdOptions(t, p, "", key, f))
	if err != nil {
		t.Fatalf("Dial: %v\n%s", err, p.Log())
	}
	defer c.Close()
	if _, ok := c.SFTP().HasExtension(posixRename); !ok {
		t.Errorf("OpenSSH's internal-sftp does not announce %s", posixRename)
	}
	ctx := context.Background()
	dir := t.TempDir()
	data := randomBytes(t, 3<<20+7)
	src := filepath.Join(dir, "src.bin")
	writeLocal(t, src, data)
	os.Chmod(src, 0o600)
	// sshd runs as this user on this machine: the remote file system is
	// the local one.
	remoteDir := filepath.Join(dir, "remote")
	os.Mkdir(remoteDir, 0o755)

	r := c.PutFile(ctx, src, remoteDir+"/up.bin")
	if r.Err != nil {
		t.Fatalf("PutFile: %v", r.Err)
	}
	onServer, _ := os.ReadFile(filepath.Join(remoteDir, "up.bin"))
	if !bytes.Equal(onServer, data) || r.SHA256 != sum(data) {
		t.Fatalf("the server holds %d bytes (%s), want %d (%s)", len(onServer), r.SHA256, len(data), sum(data))
	}
	if st, _ := os.Stat(filepath.Join(remoteDir, "up.bin")); st.Mode().Perm() != 0o600 {
		t.Errorf("a new upload has mode %v, want the local file's 0600", st.Mode().Perm())
	}
	if names := dirNames(t, remoteDir); !slices.Equal(names, []string{"up.bin"}) {
		t.Errorf("remote directory %q: a temporary file remains", names)
	}

	// Replacing keeps the replaced file's mode.
	os.Chmod(filepath.Join(remoteDir, "up.bin"), 0o640)
	data2 := randomBytes(t, 1000)
	writeLocal(t, src, data2)
	if r := c.PutFile(ctx, src, remoteDir+"/up.bin"); r.Err != nil || r.NotAtomic {
		t.Fatalf("PutFile over an existing file: %+v", r)
	}
	if st, _ := os.Stat(filepath.Join(remoteDir, "up.bin")); st.Mode().Perm() != 0o640 {
		t.Errorf("a replaced file has mode %v, want its old 0640", st.Mode().Perm())
	}

	// Through a symbolic link: its target is replaced, the link stays.
	os.Symlink("up.bin", filepath.Join(remoteDir, "link"))
	data3 := []byte("through the link")
	writeLocal(t, src, data3)
	if r := c.PutFile(ctx, src, remoteDir+"/link"); r.Err != nil {
		t.Fatalf("PutFile through a link: %v", r.Err)
	}
	if target, err := os.Readlink(filepath.Join(remoteDir, "link")); err != nil || target != "up.bin" {
		t.Errorf("the link became %q, %v", target, err)
	}
	if b, _ := os.ReadFile(filepath.Join(remoteDir, "up.bin")); !bytes.Equal(b, data3) {
		t.Errorf("the link's target holds %q", b)
	}
	writeLocal(t, src, data2)
	if r := c.PutFile(ctx, src, remoteDir+"/up.bin"); r.Err != nil {
		t.Fatal(r.Err)
	}

	r = c.GetFile(ctx, remoteDir+"/up.bin", filepath.Join(dir, "down.bin"))
	got, _ := os.ReadFile(filepath.Join(dir, "down.bin"))
	if r.Err != nil || !bytes.Equal(got, data2) || r.SHA256 != sum(data2) {
		t.Fatalf("GetFile = %+v; %d bytes", r, len(got))
	}
}

func TestSSHDGetMissing(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{})
	c, err := Dial(context.Background(), sshdOptions(t, p, "", key, f))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-file")
	rs := collect(func(each func(Result)) {
		c.Get(context.Background(), missing, filepath.Join(dir, "out"), TransferOptions{}, each)
	})
	if len(rs) != 1 || !errors.Is(rs[0].Err, fs.ErrNotExist) || !strings.Contains(rs[0].Err.Error(), missing) {
		t.Fatalf("Get = %+v, want one not-found naming the file", rs)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("local files %q after a failed get", names)
	}
}

// Real permissions: a file the account cannot read, a directory it cannot
// write. Root reads everything, so as root the account is nobody, which
// needs the key files and the paths to it readable.
func TestSSHDPermissionDeniedPerFile(t *testing.T) {
	login := testpeer.CurrentUser()
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("nobody"); err != nil {
			t.Skip("running as root and there is no user nobody to log in as")
		}
		login = "nobody"
	}
	p, key, f := sshdPeer(t, login, testpeer.SSHDConfig{})
	if login == "nobody" {
		// sshd reads authorized_keys as the user logging in.
		openUp(t, filepath.Join(p.Dir, "authorized_keys"))
	}
	dir := t.TempDir()
	openUp(t, dir)
	tree := filepath.Join(dir, "tree")
	writeLocal(t, filepath.Join(tree, "a"), []byte("a"))
	writeLocal(t, filepath.Join(tree, "secret"), []byte("s"))
	writeLocal(t, filepath.Join(tree, "z"), []byte("z"))
	os.Chmod(filepath.Join(tree, "secret"), 0o000)
	if login == "nobody" {
		os.Chmod(filepath.Join(tree, "secret"), 0o600) // root's, not nobody's
	}
	os.Chmod(tree, 0o755)
	ro := filepath.Join(dir, "ro")
	os.Mkdir(ro, 0o555)
	rw := filepath.Join(dir, "rw")
	os.Mkdir(rw, 0o777)
	os.Chmod(rw, 0o777)

	c, err := Dial(context.Background(), sshdOptions(t, p, login, key, f))
	if err != nil {
		t.Fatalf("Dial: %v\n%s", err, p.Log())
	}
	defer c.Close()
	ctx := context.Background()

	out := t.TempDir()
	rs := collect(func(each func(Result)) { c.Get(ctx, tree, out, TransferOptions{Recursive: true}, each) })
	errs := map[string]error{}
	for _, r := range rs {
		errs[filepath.Base(r.Remote)] = r.Err
	}
	if len(rs) != 3 || errs["a"] != nil || errs["z"] != nil || !errors.Is(errs["secret"], fs.ErrPermission) {
		t.Fatalf("Get -r: %v", errs)
	}
	if names := dirNames(t, filepath.Join(out, "tree")); !slices.Equal(names, []string{"a", "z"}) {
		t.Errorf("downloaded %q, want a and z only", names)
	}

	local := filepath.Join(t.TempDir(), "f")
	writeLocal(t, local, []byte("x"))
	rs = nil
	for _, dst := range []string{ro + "/f", rw + "/f"} {
		rs = append(rs, c.PutFile(ctx, local, dst))
	}
	if !errors.Is(rs[0].Err, fs.ErrPermission) || !strings.Contains(rs[0].Err.Error(), ro) || rs[1].Err != nil {
		t.Fatalf("PutFile: %v; %v", rs[0].Err, rs[1].Err)
	}
}

// openUp lets any user reach path: the directories above it searchable,
// the file or directory itself readable (and, for a directory, writable).
func openUp(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	mode := os.FileMode(0o644)
	if st.IsDir() {
		mode = 0o777
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	for d := filepath.Dir(path); d != "/" && d != filepath.Dir(os.TempDir()); d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, st.Mode().Perm()|0o011); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// An SHA-1-only server (ssh-rsa, group14-sha1, CBC, hmac-sha1): refused
// without Legacy, served with it.
func TestSSHDLegacy(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"rsa-2048"}, Extra: testpeer.LegacyExtra})
	o := sshdOptions(t, p, "", key, f)
	_, err := Dial(context.Background(), o)
	var ane *ssh.AlgorithmNegotiationError
	if !errors.As(err, &ane) {
		t.Fatalf("Dial without Legacy: %v, want a negotiation failure", err)
	}
	o.Legacy = true
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("Dial with Legacy: %v\n%s", err, p.Log())
	}
	defer c.Close()
	if c.HostKey.Type() != ssh.KeyAlgoRSA {
		t.Errorf("host key %s", c.HostKey.Type())
	}
	if _, err := c.List(context.Background(), "/"); err != nil {
		t.Errorf("List: %v", err)
	}
}

// What an interrupted upload left behind is removed by the next upload of
// the same name: only files named as its temporary files are, only those
// older than the run, and only of that name.
func TestSSHDRemovesLeftovers(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	files := map[string]time.Time{
		".f.sshpin-tmp-0123456789abcdef": old,        // f's, old: removed
		".f.sshpin-tmp-fedcba9876543210": old,        // f's, old: removed
		".f.sshpin-tmp-00112233aabbccdd": time.Now(), // f's, but young: another run's upload in progress
		".g.sshpin-tmp-0123456789abcdef": old,        // g's: not this upload's business
		".f.sshpin-tmp-notHEXnotHEXnotH": old,        // not a name sshpin makes
		".f.sshpin-tmp-0123":             old,        // nor this
		"f.sshpin-tmp-0123456789abcdef":  old,        // nor this
	}
	for n, mt := range files {
		writeLocal(t, filepath.Join(dir, n), []byte(n))
		os.Chtimes(filepath.Join(dir, n), mt, mt)
	}
	ev := &events{}
	o := sshdOptions(t, p, "", key, f)
	o.Events = ev.add
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src := filepath.Join(t.TempDir(), "src")
	writeLocal(t, src, []byte("new"))
	if r := c.PutFile(context.Background(), src, dir+"/f"); r.Err != nil {
		t.Fatal(r.Err)
	}
	want := []string{".f.sshpin-tmp-00112233aabbccdd", ".f.sshpin-tmp-0123", ".f.sshpin-tmp-notHEXnotHEXnotH", ".g.sshpin-tmp-0123456789abcdef", "f", "f.sshpin-tmp-0123456789abcdef"}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("after the put: %q\nwant %q", got, want)
	}
	var removed []string
	for _, e := range ev.all {
		if e.Kind == EventLeftover {
			removed = append(removed, filepath.Base(e.Remote))
		}
	}
	slices.Sort(removed)
	if !slices.Equal(removed, []string{".f.sshpin-tmp-0123456789abcdef", ".f.sshpin-tmp-fedcba9876543210"}) {
		t.Errorf("reported removed %q", removed)
	}
	// A second put to the same directory lists it no more, and removes
	// nothing more.
	if r := c.PutFile(context.Background(), src, dir+"/g2"); r.Err != nil {
		t.Fatal(r.Err)
	}
	if got := dirNames(t, dir); len(got) != len(want)+1 {
		t.Errorf("after the second put: %q", got)
	}
}
