package sftpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	xknownhosts "golang.org/x/crypto/ssh/knownhosts"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/knownhosts"
	"github.com/sshpin/sshpin/sshdial"
)

// Tests against a real ProFTPD with mod_sftp: an SSH and SFTP server of
// its own, not OpenSSH's sftp-server behind another SSH server, and one
// that answers several requests differently (see proftpdDifferences).

// proftpdPeer starts a real ProFTPD that lets the user running the test
// in with a fresh ed25519 key, and returns it with the key's path and a
// pinned file holding its host keys.
func proftpdPeer(t *testing.T, extra string) (*testpeer.Peer, string, *knownhosts.File) {
	t.Helper()
	keyPath, pubLine := testpeer.ClientKey(t, "ed25519")
	p := testpeer.ProFTPD(t, testpeer.ProFTPDConfig{AuthorizedKeys: []string{pubLine}, Extra: extra})
	f, _ := pinFile(t, p.Host, p.Port, p.Keys(t)...)
	return p, keyPath, f
}

func dialProFTPD(t *testing.T, p *testpeer.Peer, key string, f *knownhosts.File, events func(Event)) *Client {
	t.Helper()
	o := sshdOptions(t, p, "", key, f)
	o.Events = events
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("Dial: %v\nserver log:\n%s", err, p.Log())
	}
	t.Cleanup(func() { c.Close() })
	if !isModSFTP(c.conn.ServerVersion()) {
		t.Fatalf("the server is %q, not ProFTPD's mod_sftp by its version line", c.conn.ServerVersion())
	}
	return c
}

// ProFTPD's mod_sftp serves 32 KiB reads whole and has no
// limits@openssh.com: the chunk is the safe size, and the sizes around it
// are the ones that matter.
func TestProFTPDRoundTrip(t *testing.T) {
	p, key, f := proftpdPeer(t, "")
	ev := &events{}
	c := dialProFTPD(t, p, key, f, ev.add)
	var exts []string
	for _, e := range []string{posixRename, fsyncExtension, statvfsExtension, limitsExtension, "hardlink@openssh.com", "check-file", "check-file-name", "check-file-handle", "copy-file", "versions", "home-directory"} {
		if _, ok := c.SFTP().HasExtension(e); ok {
			exts = append(exts, e)
		}
	}
	t.Logf("%s announces %q", c.conn.ServerVersion(), exts)
	if c.ses.chunk != safeChunk || c.ses.limits != (serverLimits{}) {
		t.Errorf("chunk %d, limits %+v: want the safe size, ProFTPD has no %s", c.ses.chunk, c.ses.limits, limitsExtension)
	}
	if _, ok := c.SFTP().HasExtension(posixRename); !ok {
		t.Errorf("ProFTPD does not announce %s", posixRename)
	}
	ctx := context.Background()
	local, remote := t.TempDir(), t.TempDir()
	sizes := []int{0, 1, safeChunk - 1, safeChunk, safeChunk + 1, 3<<20 + 7}
	for _, size := range sizes {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := randomBytes(t, size)
			name := fmt.Sprintf("f%d", size)
			src := filepath.Join(local, name+".up")
			writeLocal(t, src, data)
			os.Chmod(src, 0o600)
			dst := remote + "/" + name
			for _, what := range []string{"new", "replacing"} {
				r := c.PutFile(ctx, src, dst)
				if r.Err != nil {
					t.Fatalf("PutFile (%s): %v\nserver log:\n%s", what, r.Err, p.Log())
				}
				if r.SHA256 != sum(data) || r.Bytes != int64(size) || r.NotAtomic {
					t.Errorf("PutFile (%s) = %+v, want %d bytes, SHA-256 %s, atomic", what, r, size, sum(data))
				}
				if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, data) {
					t.Fatalf("the server holds %d bytes (%v), want the %d put", len(got), err, size)
				}
			}
			if st, err := os.Stat(dst); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("the upload has mode %v (%v), want the local file's 0600", st.Mode().Perm(), err)
			}
			back := filepath.Join(local, name+".down")
			r := c.GetFile(ctx, dst, back)
			if r.Err != nil {
				t.Fatalf("GetFile: %v\nserver log:\n%s", r.Err, p.Log())
			}
			if got, err := os.ReadFile(back); err != nil || !bytes.Equal(got, data) || r.SHA256 != sum(data) {
				t.Fatalf("downloaded %d bytes (%v), SHA-256 %s, want the %d put", len(got), err, r.SHA256, size)
			}
		})
	}
	for _, e := range ev.all {
		if e.Kind == EventWarning || e.Kind == EventNotAtomic {
			t.Errorf("%v: %s", e.Kind, e.Message)
		}
	}
	if names := dirNames(t, remote); len(names) != len(sizes) || slices.ContainsFunc(names, isTempName) {
		t.Errorf("remote directory %q: want the %d files and no temporary one", names, len(sizes))
	}
}

// ProFTPD configured as servers that lack what sshpin prefers: without
// posix-rename its SFTPv3 rename refuses an existing target (even with
// AllowOverwrite on), and the replace goes through a backup; with
// IgnoreSFTPSetPerms it answers SETSTAT with OK and ignores it, which
// the size check's stat catches and a warning reports. It still honours
// the mode an OPEN asks for, so a replaced file's mode that is fit for a
// file being written (0600) is the temporary file's from the start and
// needs no SETSTAT; one that is not (0664: group may write) is set at
// the end, ignored, and reported. The upload succeeds in every case.
func TestProFTPDUnusualConfigurations(t *testing.T) {
	for _, tt := range []struct {
		name, extra string
		notAtomic   bool
		warn        string
		old, mode   os.FileMode // the replaced file's mode, the one the server leaves
	}{
		{"without posix-rename and fsync", "SFTPExtensions -posixRename -fsync", true, "", 0o600, 0o600},
		{"ignoring SETSTAT, mode given at OPEN", "SFTPOptions IgnoreSFTPSetPerms", false, "", 0o600, 0o600},
		{"ignoring SETSTAT", "SFTPOptions IgnoreSFTPSetPerms", false, "has mode 0600, want 0664", 0o664, 0o600},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, key, f := proftpdPeer(t, tt.extra)
			ev := &events{}
			c := dialProFTPD(t, p, key, f, ev.add)
			dir := t.TempDir()
			src := filepath.Join(t.TempDir(), "src")
			dst := filepath.Join(dir, "dst")
			writeLocal(t, dst, []byte("old"))
			os.Chmod(dst, tt.old)
			data := randomBytes(t, 100000)
			writeLocal(t, src, data)
			r := c.PutFile(context.Background(), src, dst)
			if r.Err != nil || r.NotAtomic != tt.notAtomic || r.SHA256 != sum(data) {
				t.Fatalf("PutFile = %+v, want NotAtomic %v\nserver log:\n%s", r, tt.notAtomic, p.Log())
			}
			if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
				t.Fatalf("the server holds %d bytes, want the %d put", len(got), len(data))
			}
			if st, _ := os.Stat(dst); st.Mode().Perm() != tt.mode {
				t.Errorf("mode %04o, want %04o", st.Mode().Perm(), tt.mode)
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"dst"}) {
				t.Errorf("remote directory %q: a temporary file or backup is left", names)
			}
			var warnings []string
			for _, e := range ev.all {
				if e.Kind == EventWarning {
					warnings = append(warnings, e.Message)
				}
			}
			if (tt.warn == "") != (len(warnings) == 0) || !strings.Contains(strings.Join(warnings, "\n"), tt.warn) {
				t.Errorf("warnings %q, want %q", warnings, tt.warn)
			}
		})
	}
}

// A server that fails the pin sees no user name and no credential:
// mod_sftp logs every user-auth request it gets ("USERAUTH_REQUEST",
// "public key", "authenticated via"); the control shows the log has them
// for a connection that logs in.
func TestProFTPDMismatchNoAuthAttempt(t *testing.T) {
	p, key, good := proftpdPeer(t, "")
	bad := pinText(t, xknownhosts.Line([]string{fmt.Sprintf("[%s]:%d", p.Host, p.Port)}, newHostKey(t, "ed25519").PublicKey())+"\n")
	o := sshdOptions(t, p, "", key, bad)
	asked := 0
	o.Auth.Password = func(string, string, int) (string, error) { asked++; return "secret", nil }
	_, err := Dial(context.Background(), o)
	var hke *sshdial.HostKeyError
	if !errors.As(err, &hke) || hke.Reason != sshdial.KeyMismatch {
		t.Fatalf("Dial: %v, want a host key mismatch\nserver log:\n%s", err, p.Log())
	}
	if asked != 0 {
		t.Errorf("the password was asked for %d times", asked)
	}
	p.Idle(t)
	refused := p.Log()
	if !strings.Contains(refused, "handling connection from SSH2 client") {
		t.Fatalf("ProFTPD did not log the refused connection:\n%s", refused)
	}
	for _, s := range []string{"userauth", "USERAUTH", "public key", "authenticated via", "password"} {
		if strings.Contains(refused, s) {
			t.Errorf("ProFTPD logged %q for a refused host:\n%s", s, refused)
		}
	}
	c := dialProFTPD(t, p, key, good, nil)
	c.Close()
	p.Idle(t)
	if control := strings.TrimPrefix(p.Log(), refused); !strings.Contains(control, "authenticated via 'publickey' method") {
		t.Errorf("the control connection did not log its login; the assertions above prove nothing:\n%s", control)
	}
}
