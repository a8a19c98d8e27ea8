package sftpx

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// TestModSFTPTreeUsesOneSession: put -r and get -r to a server whose
// version line is ProFTPD's move every file over the one SFTP session,
// because mod_sftp mixes up the requests of several (lanes.go); other
// servers get more sessions. Before the fix, put -r to a real ProFTPD
// stalled in 4 runs of 60 (testdata/script/sftp_proftpd.txtar).
func TestModSFTPTreeUsesOneSession(t *testing.T) {
	for _, tc := range []struct {
		version string
		want    func(sessions int64) bool
		say     string
	}{
		{"SSH-2.0-mod_sftp/1.1.1", func(n int64) bool { return n == 1 }, "1"},
		{"SSH-2.0-mod_sftp", func(n int64) bool { return n == 1 }, "1"},
		{"SSH-2.0-OpenSSH_9.2p1", func(n int64) bool { return n > 1 }, "more than 1"},
	} {
		t.Run(tc.version, func(t *testing.T) {
			s, c, _ := dialServer(t, serverConfig{version: tc.version})
			src := filepath.Join(t.TempDir(), "src")
			for i := range 20 {
				writeLocal(t, filepath.Join(src, fmt.Sprintf("f%02d", i)), randomBytes(t, 40000+i))
			}
			rs := collect(func(each func(Result)) {
				c.Put(context.Background(), src, "/dst", TransferOptions{Recursive: true}, each)
			})
			for _, r := range rs {
				if r.Err != nil {
					t.Fatalf("put -r: %s: %v", r.Local, r.Err)
				}
			}
			if n := s.Sessions.Load(); !tc.want(n) {
				t.Errorf("put -r opened %d sessions, want %s", n, tc.say)
			}
			before := s.Sessions.Load()
			rs = collect(func(each func(Result)) {
				c.Get(context.Background(), "/dst", filepath.Join(t.TempDir(), "got"), TransferOptions{Recursive: true}, each)
			})
			if len(rs) != 20 {
				t.Fatalf("get -r: %d results, want 20", len(rs))
			}
			for _, r := range rs {
				if r.Err != nil {
					t.Fatalf("get -r: %s: %v", r.Remote, r.Err)
				}
			}
			if n := s.Sessions.Load() - before + 1; !tc.want(n) {
				t.Errorf("get -r used %d sessions, want %s", n, tc.say)
			}
		})
	}
}
