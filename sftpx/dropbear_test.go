package sftpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/knownhosts"
	"github.com/sshpin/sshpin/sshdial"
)

// Tests against a real dropbear. dropbear has no SFTP server of its own:
// for the sftp subsystem it runs OpenSSH's sftp-server (Debian's
// /usr/lib/sftp-server) as the logged-in user, so these tests see
// OpenSSH's SFTP behind dropbear's SSH: its window sizes, its channel
// handling, its logging.

// dropbearPeer starts a real dropbear that lets the user running the test
// in with a fresh ed25519 key and logs to stderr, and returns it with the
// key's path and a pinned file holding its host keys. A missing dropbear
// or sftp-server, or a machine that refuses the namespaces testpeer runs
// dropbear in (testpeer.DropbearConfig), skips the test, except under
// CI=true, where it fails.
func dropbearPeer(t *testing.T) (*testpeer.Peer, string, *knownhosts.File) {
	t.Helper()
	testpeer.DropbearSFTPServer(t)
	keyPath, pubLine := testpeer.ClientKey(t, "ed25519")
	p := testpeer.DropbearWith(t, testpeer.DropbearConfig{AuthorizedKeys: []string{pubLine}, Log: true})
	f, _ := pinFile(t, p.Host, p.Port, p.Keys(t)...)
	return p, keyPath, f
}

// dialDropbear dials p as the user running the test, checks that dropbear
// answered, and closes the client with the test.
func dialDropbear(t *testing.T, p *testpeer.Peer, key string, f *knownhosts.File, events func(Event)) *Client {
	t.Helper()
	o := sshdOptions(t, p, "", key, f)
	o.Events = events
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("Dial: %v\nserver log:\n%s", err, p.Log())
	}
	t.Cleanup(func() { c.Close() })
	if v := string(c.conn.ServerVersion()); !strings.HasPrefix(v, "SSH-2.0-dropbear") {
		t.Fatalf("the server is %q, not dropbear", v)
	}
	return c
}

// connLog returns what the peer logged for its n-th connection.
func connLog(p *testpeer.Peer, n int) string {
	prefix := fmt.Sprintf("[%d] ", n)
	var b strings.Builder
	for _, l := range strings.SplitAfter(p.Log(), "\n") {
		if strings.HasPrefix(l, prefix) {
			b.WriteString(l)
		}
	}
	return b.String()
}

// OpenSSH's sftp-server serves reads and writes of up to 261120 bytes
// (SFTP_MAX_MSG_LENGTH 256 KiB less 1 KiB of headers) and says so in its
// limits@openssh.com reply, behind dropbear as behind sshd.
const opensshChunk = 261120

// Files of every size that matters to the chunking, each put, verified as
// it goes and got back: the bytes on the server, the bytes downloaded and
// the SHA-256 of both Results are the file's.
func TestDropbearRoundTrip(t *testing.T) {
	p, key, f := dropbearPeer(t)
	ev := &events{}
	c := dialDropbear(t, p, key, f, ev.add)

	// dropbear runs OpenSSH's sftp-server, so the session has its limits
	// and its posix-rename.
	t.Logf("dropbear's sftp-server: limits %+v, chunk %d", c.ses.limits, c.ses.chunk)
	if c.ses.limits.Read == 0 || c.ses.limits.Write == 0 {
		t.Errorf("no %s reply from dropbear's sftp-server: limits %+v", limitsExtension, c.ses.limits)
	}
	if c.ses.chunk != opensshChunk || c.ses.chunk != c.ses.limits.chunk() {
		t.Errorf("chunk %d, want OpenSSH's %d (limits %+v)", c.ses.chunk, opensshChunk, c.ses.limits)
	}
	if _, ok := c.SFTP().HasExtension(posixRename); !ok {
		t.Errorf("dropbear's sftp-server does not announce %s", posixRename)
	}

	ctx := context.Background()
	local := t.TempDir()
	remote := t.TempDir() // dropbear's user is this one, on this machine
	sizes := []int{0, 1, opensshChunk - 1, opensshChunk, opensshChunk + 1, 3<<20 + 7}
	for _, size := range sizes {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := randomBytes(t, size)
			name := fmt.Sprintf("f%d", size)
			src := filepath.Join(local, name+".up")
			writeLocal(t, src, data)
			os.Chmod(src, 0o600)
			ev.mu.Lock()
			ev.all = nil
			ev.mu.Unlock()

			r := c.PutFile(ctx, src, remote+"/"+name, TransferOptions{Verify: true})
			if r.Err != nil {
				t.Fatalf("PutFile: %v\nserver log:\n%s", r.Err, p.Log())
			}
			onServer, err := os.ReadFile(filepath.Join(remote, name))
			if err != nil || !bytes.Equal(onServer, data) {
				t.Fatalf("the server holds %d bytes (%v), want the %d put", len(onServer), err, size)
			}
			if r.SHA256 != sum(data) || r.Bytes != int64(size) || r.NotAtomic {
				t.Errorf("PutFile = %+v, want %d bytes, SHA-256 %s, atomic", r, size, sum(data))
			}
			if st, err := os.Stat(filepath.Join(remote, name)); err != nil {
				t.Error(err)
			} else if st.Mode().Perm() != 0o600 {
				t.Errorf("the upload has mode %v, want the local file's 0600", st.Mode().Perm())
			}
			// Every chunk was read back while it went: sftp-server serves
			// reads on a file open for writing, so there is no read-back
			// after the upload.
			var lastPut, lastVerified int64
			for _, e := range ev.all {
				switch {
				case e.Kind == EventProgress && e.Verify:
					t.Errorf("a read-back after the upload: %+v", e)
				case e.Kind == EventProgress:
					lastPut, lastVerified = e.Bytes, e.Verified
				case e.Kind == EventWarning:
					t.Errorf("warning: %s", e.Message)
				}
			}
			if lastPut != int64(size) || lastVerified != int64(size) {
				t.Errorf("last progress: %d put, %d verified; want %d each", lastPut, lastVerified, size)
			}

			dst := filepath.Join(local, name+".down")
			r = c.GetFile(ctx, remote+"/"+name, dst)
			if r.Err != nil {
				t.Fatalf("GetFile: %v\nserver log:\n%s", r.Err, p.Log())
			}
			got, err := os.ReadFile(dst)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("downloaded %d bytes (%v), want the %d put", len(got), err, size)
			}
			if r.SHA256 != sum(data) || r.Bytes != int64(size) {
				t.Errorf("GetFile = %+v, want %d bytes, SHA-256 %s", r, size, sum(data))
			}
		})
	}
	if names := dirNames(t, remote); len(names) != len(sizes) || slices.ContainsFunc(names, isTempName) {
		t.Errorf("remote directory %q: want the %d files and no temporary one", names, len(sizes))
	}
}

// A server that fails the pin sees no user name and no credential: on
// dropbear's log, the refused connection ends "Exit before auth from
// <addr>: ...", where a connection that sent any user-auth request (the
// "none" probe included) ends "Exit before auth from <addr>: (user 'NAME',
// N fails): ...", or logs in. The controls at the end show both on the
// same server, so that the assertion cannot pass for want of a log.
func TestDropbearMismatchNoAuthAttempt(t *testing.T) {
	p, key, good := dropbearPeer(t)
	keys := map[string]ssh.PublicKey{}
	for _, k := range p.Keys(t) {
		keys[k.Type()] = k
	}
	name := fmt.Sprintf("[%s]:%d", p.Host, p.Port)
	line := func(k ssh.PublicKey) string { return xknownhosts.Line([]string{name}, k) }
	for _, tc := range []struct {
		name   string
		pins   []string
		reason sshdial.HostKeyReason
		proved string // the key type the error names
	}{
		{"other ed25519", []string{line(newHostKey(t, "ed25519").PublicKey())}, sshdial.KeyMismatch, ssh.KeyAlgoED25519},
		{"other ecdsa", []string{line(newHostKey(t, "ecdsa").PublicKey())}, sshdial.KeyMismatch, ssh.KeyAlgoECDSA256},
		{"nothing pinned", nil, sshdial.KeyUnknown, ssh.KeyAlgoED25519},
		{"revoked", []string{line(keys[ssh.KeyAlgoED25519]), "@revoked * " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(keys[ssh.KeyAlgoED25519])))}, sshdial.KeyRevoked, ssh.KeyAlgoED25519},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := pinText(t, strings.Join(append([]string{"# pinned by a test"}, tc.pins...), "\n")+"\n")
			o := sshdOptions(t, p, "", key, f)
			asked := 0
			o.Auth.Password = func(string, string, int) (string, error) { asked++; return "secret", nil }
			before := p.Connections()
			_, err := Dial(context.Background(), o)
			var hke *sshdial.HostKeyError
			if !errors.As(err, &hke) || hke.Reason != tc.reason {
				t.Fatalf("Dial: %v, want a *sshdial.HostKeyError %v\nserver log:\n%s", err, tc.reason, p.Log())
			}
			if hke.Key == nil || !bytes.Equal(hke.Key.Marshal(), keys[tc.proved].Marshal()) {
				t.Errorf("the error names %v, want dropbear's %s key", hke.Key, tc.proved)
			}
			if asked != 0 {
				t.Errorf("the password was asked for %d times", asked)
			}
			p.Idle(t)
			n := p.Connections()
			if n != before+1 {
				t.Fatalf("%d connections for one Dial", n-before)
			}
			log := connLog(p, n)
			for _, s := range []string{"(user '", "auth succeeded", "Pubkey auth", "Password auth", "Bad password", "Login attempt", "auth attempt", "Exit ("} {
				if strings.Contains(log, s) {
					t.Errorf("dropbear logged %q for a refused host:\n%s", s, log)
				}
			}
			if !strings.Contains(log, "Exit before auth from <127.0.0.1:") {
				t.Errorf("dropbear did not log the refused connection's end:\n%s", log)
			}
		})
	}

	// The controls, with the right pin: a key dropbear does not accept
	// ends before auth with the user named, the accepted key logs in.
	t.Run("controls", func(t *testing.T) {
		otherKey, _ := testpeer.ClientKey(t, "ed25519")
		u := testpeer.CurrentUser()
		for _, tc := range []struct {
			name, key string
			ok        bool
			want      []string
		}{
			{"unauthorized key", otherKey, false, []string{"Exit before auth from <127.0.0.1:", "(user '" + u + "'"}},
			{"authorized key", key, true, []string{"Pubkey auth succeeded for '" + u + "'"}},
		} {
			c, err := Dial(context.Background(), sshdOptions(t, p, "", tc.key, good))
			if (err == nil) != tc.ok {
				t.Fatalf("%s: Dial with the right pin: %v\nserver log:\n%s", tc.name, err, p.Log())
			}
			if c != nil {
				c.Close()
			}
			p.Idle(t)
			log := connLog(p, p.Connections())
			for _, want := range tc.want {
				if !strings.Contains(log, want) {
					t.Errorf("%s: the control connection did not log %q; the assertions above prove nothing:\n%s", tc.name, want, log)
				}
			}
		}
	})
}

// pinText writes a known_hosts file and reads it back.
func pinText(t *testing.T, text string) *knownhosts.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := knownhosts.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// put -r and get -r of a tree through dropbear: nested directories, an
// empty one, an empty file and one of more than a chunk arrive whole, and
// nothing else does.
func TestDropbearRecursiveRoundTrip(t *testing.T) {
	p, key, f := dropbearPeer(t)
	c := dialDropbear(t, p, key, f, nil)
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "tree")
	files := map[string][]byte{
		"a":          randomBytes(t, 10),
		"empty":      nil,
		"d/big":      randomBytes(t, 2*opensshChunk+3),
		"d/e/f/deep": randomBytes(t, 3),
	}
	for n, b := range files {
		writeLocal(t, filepath.Join(src, n), b)
	}
	if err := os.Mkdir(filepath.Join(src, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	want := tree(t, src)
	check := func(t *testing.T, what, root string) {
		t.Helper()
		if got := tree(t, root); !slices.Equal(got, want) {
			t.Errorf("%s: %q\nwant %q", what, got, want)
		}
		for n, b := range files {
			if got, err := os.ReadFile(filepath.Join(root, n)); err != nil || !bytes.Equal(got, b) {
				t.Errorf("%s: %s: %d bytes (%v), want %d", what, n, len(got), err, len(b))
			}
		}
	}
	results := func(t *testing.T, what string, rs []Result) {
		t.Helper()
		if len(rs) != len(files) {
			t.Errorf("%s: %d results, want one per file (%d)", what, len(rs), len(files))
		}
		for _, r := range rs {
			if r.Err != nil {
				t.Errorf("%s: %v", what, r.Err)
			}
		}
	}

	remote := t.TempDir() // an existing directory: the tree goes inside
	rs := collect(func(each func(Result)) { c.Put(ctx, src, remote, TransferOptions{Recursive: true}, each) })
	results(t, "put -r", rs)
	check(t, "put -r", filepath.Join(remote, "tree"))

	back := t.TempDir()
	rs = collect(func(each func(Result)) { c.Get(ctx, remote+"/tree", back, TransferOptions{Recursive: true}, each) })
	results(t, "get -r", rs)
	check(t, "get -r", filepath.Join(back, "tree"))
}

// An upload cancelled after its first progress event leaves nothing at
// the destination: no file where there was none, the old file where there
// was one, and no temporary file: it is removed on the live connection
// before the cancellation closes it.
func TestDropbearCancelledUploadLeavesNoFile(t *testing.T) {
	p, key, f := dropbearPeer(t)
	data := randomBytes(t, 3<<20+7)
	src := filepath.Join(t.TempDir(), "src")
	writeLocal(t, src, data)
	for _, tc := range []struct {
		name string
		old  []byte // the destination's content before; nil: none
	}{
		{"new file", nil},
		{"replacing", []byte("precious")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			dst := filepath.Join(dir, "dst")
			if tc.old != nil {
				writeLocal(t, dst, tc.old)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var once sync.Once
			progressed := false
			c := dialDropbear(t, p, key, f, func(e Event) {
				if e.Kind == EventProgress && e.Op == "put" {
					once.Do(func() { progressed = true; cancel() })
				}
			})
			r := c.PutFile(ctx, src, dst)
			if !progressed {
				t.Fatalf("no progress event, so no cancellation: %+v", r)
			}
			if !errors.Is(r.Err, context.Canceled) || r.SHA256 != "" {
				t.Fatalf("PutFile = %+v, want context.Canceled", r)
			}
			got, err := os.ReadFile(dst)
			switch {
			case tc.old == nil && !errors.Is(err, fs.ErrNotExist):
				t.Errorf("the destination exists after a cancelled upload: %d bytes, %v", len(got), err)
			case tc.old != nil && !bytes.Equal(got, tc.old):
				t.Errorf("the destination holds %d bytes (%v) after a cancelled upload, want its old %q", len(got), err, tc.old)
			}
			for _, n := range dirNames(t, dir) {
				if n != "dst" {
					t.Errorf("%q is left after a cancelled upload: the temporary file is removed before the connection goes", n)
				}
			}
			// After the cleanup, the cancellation killed the connection.
			if _, err := c.List(context.Background(), dir); !errors.Is(err, context.Canceled) {
				t.Errorf("List after the cancellation: %v, want context.Canceled", err)
			}
		})
	}
}
