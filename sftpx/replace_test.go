package sftpx

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
)

// cmdFilter is a FileCmder that refuses the requests fail names, with
// the error it returns, and passes every other one on: a server built to
// fail one step of an operation.
type cmdFilter struct {
	sftp.FileCmder
	fail func(r *sftp.Request) error
}

func (f cmdFilter) Filecmd(r *sftp.Request) error {
	if err := f.fail(r); err != nil {
		return err
	}
	return f.FileCmder.Filecmd(r)
}

// renameRefused is the SSH_FX_FAILURE OpenSSH's server answers a failed rename
// with.
var renameRefused = sftp.ErrSSHFxFailure

// What a replace on a server without posix-rename, whose rename refuses
// an existing target, leaves when each of its steps fails, for put and
// for cp: the old file is never lost, and the error says where each file
// is.
func TestReplaceWithoutPosixRenameEveryStepFails(t *testing.T) {
	isTemp := func(p string) bool { return strings.Contains(p, tempInfix) }
	isBackup := func(p string) bool { return strings.Contains(p, backupInfix) }
	tests := []struct {
		name string
		fail func(r *sftp.Request) bool
		// want: the step of the *ReplaceError; 0 for a success.
		want ReplaceStep
		// dst: what /d/f holds after ("" for missing); backup and temp:
		// whether a backup (with the old content) and the temporary
		// file (with the new) remain.
		dst          string
		backup, temp bool
	}{
		{name: "all steps work", dst: "new"},
		{
			name: "rename aside fails",
			fail: func(r *sftp.Request) bool { return r.Method == "Rename" && r.Filepath == "/d/f" && isBackup(r.Target) },
			want: StepAside, dst: "old",
		},
		{
			name: "rename into place fails",
			fail: func(r *sftp.Request) bool { return r.Method == "Rename" && isTemp(r.Filepath) },
			want: StepIntoPlace, dst: "old",
		},
		{
			name: "restore fails",
			fail: func(r *sftp.Request) bool {
				return r.Method == "Rename" && (isTemp(r.Filepath) || isBackup(r.Filepath))
			},
			want: StepRestore, backup: true, temp: true,
		},
		{
			name: "remove backup fails",
			fail: func(r *sftp.Request) bool { return r.Method == "Remove" && isBackup(r.Filepath) },
			dst:  "new", backup: true,
		},
	}
	for _, op := range []string{"put", "cp"} {
		for _, tt := range tests {
			t.Run(op+"/"+tt.name, func(t *testing.T) {
				s, c, ev := dialServer(t, serverConfig{
					wrapStream: hideExtensions(posixRename),
					wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
						h.FileCmd = cmdFilter{h.FileCmd, func(r *sftp.Request) error {
							if tt.fail != nil && tt.fail(r) {
								return renameRefused
							}
							return nil
						}}
						return h
					},
				})
				s.fs.write(t, "/d/f", []byte("old"))
				var r Result
				switch op {
				case "put":
					local := t.TempDir() + "/src"
					writeLocal(t, local, []byte("new"))
					r = c.PutFile(context.Background(), local, "/d/f")
				case "cp":
					srcSrv, src, _ := dialServer(t, serverConfig{})
					srcSrv.fs.write(t, "/s", []byte("new"))
					r = c.CopyFile(context.Background(), src, "/s", "/d/f")
				}

				var re *ReplaceError
				switch {
				case tt.want == 0 && r.Err != nil:
					t.Fatalf("%s: %v", op, r.Err)
				case tt.want == 0:
					if !r.NotAtomic || r.SHA256 != sum([]byte("new")) {
						t.Errorf("result %+v, want NotAtomic and the SHA-256", r)
					}
					if !ev.has(EventNotAtomic) {
						t.Error("no EventNotAtomic")
					}
				case !errors.As(r.Err, &re):
					t.Fatalf("%s: %v, want a *ReplaceError", op, r.Err)
				case re.Step != tt.want:
					t.Fatalf("step %d, want %d: %v", re.Step, tt.want, re)
				}

				// The server's state, file by file.
				got := "" // what /d/f holds
				if s.fs.exists("/d/f") {
					got = string(s.fs.read(t, "/d/f"))
				}
				if got != tt.dst {
					t.Errorf("/d/f holds %q, want %q", got, tt.dst)
				}
				var backups, temps []string
				for _, n := range s.fs.names(t, "/d") {
					switch p := "/d/" + n; {
					case isBackup(p):
						backups = append(backups, p)
						if b := s.fs.read(t, p); string(b) != "old" {
							t.Errorf("backup %s holds %q, want the old file", p, b)
						}
					case isTemp(p):
						temps = append(temps, p)
						if b := s.fs.read(t, p); string(b) != "new" {
							t.Errorf("temporary file %s holds %q, want the new file", p, b)
						}
					case n != "f":
						t.Errorf("unexpected file %s", p)
					}
				}
				if (len(backups) == 1) != tt.backup || len(backups) > 1 {
					t.Errorf("backups %q, want one: %v", backups, tt.backup)
				}
				if (len(temps) == 1) != tt.temp || len(temps) > 1 {
					t.Errorf("temporary files %q, want one: %v", temps, tt.temp)
				}

				// The message says where each file is.
				if re != nil {
					msg := r.Err.Error()
					want := []string{"/d/f", re.Backup}
					if tt.temp {
						want = append(want, re.Temp, "does not exist", "the old file is at")
						if !slices.Contains(temps, re.Temp) || !slices.Contains(backups, re.Backup) {
							t.Errorf("the error names %s and %s; the server has %q and %q", re.Temp, re.Backup, temps, backups)
						}
					} else {
						want = append(want, "/d/f is unchanged", "the upload was removed")
					}
					for _, w := range want {
						if !strings.Contains(msg, w) {
							t.Errorf("error %q does not say %q", msg, w)
						}
					}
				}
				if tt.want == 0 && tt.backup {
					if !slices.ContainsFunc(ev.all, func(e Event) bool {
						return e.Kind == EventWarning && len(backups) == 1 && strings.Contains(e.Message, backups[0])
					}) {
						t.Errorf("no warning names the backup that stays: %+v", ev.all)
					}
				}
			})
		}
	}
}

// A backup left behind is never taken for an interrupted upload's
// leftover: it may be the only copy of the old file.
func TestLeftoverScanKeepsBackups(t *testing.T) {
	s, c, _ := dialServer(t, serverConfig{})
	backup := backupName("/d/f")
	s.fs.write(t, backup, []byte("old"))
	s.fs.write(t, "/d/f", []byte("old"))
	c.started = c.started.Add(time.Hour) // every file is older than the run
	local := t.TempDir() + "/src"
	writeLocal(t, local, []byte("new"))
	if r := c.PutFile(context.Background(), local, "/d/f"); r.Err != nil {
		t.Fatal(r.Err)
	}
	if !s.fs.exists(backup) {
		t.Errorf("the leftover scan removed the backup %s", backup)
	}
}

// A server that stalls at the rename into place, after the old file was
// moved aside: the deadline closes the connection, the old file cannot
// be moved back, and the error says so, and where both files are,
// although Client.do reports the deadline.
func TestReplaceStalledIntoPlaceSaysWhereTheFilesAre(t *testing.T) {
	stall := make(chan struct{})
	var mu sync.Mutex
	renames := 0
	s, c, _ := dialServer(t, serverConfig{
		wrapStream: hideExtensions(posixRename),
		wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
			h.FileCmd = cmdFilter{h.FileCmd, func(r *sftp.Request) error {
				if r.Method != "Rename" || !strings.Contains(r.Filepath, tempInfix) {
					return nil
				}
				mu.Lock()
				renames++
				second := renames == 2
				mu.Unlock()
				if second {
					<-stall // until the test ends
					return renameRefused
				}
				return nil
			}}
			return h
		},
	})
	t.Cleanup(func() { close(stall) }) // before the server's own cleanup
	s.fs.write(t, "/d/f", []byte("old"))
	c.g.SetTimeout(time.Second)
	local := t.TempDir() + "/src"
	writeLocal(t, local, []byte("new"))
	r := c.PutFile(context.Background(), local, "/d/f")
	var re *ReplaceError
	if !errors.As(r.Err, &re) || re.Step != StepRestore || !errors.Is(r.Err, ErrTimeout) {
		t.Fatalf("PutFile: %v, want a *ReplaceError at StepRestore that wraps ErrTimeout", r.Err)
	}
	msg := r.Err.Error()
	for _, w := range []string{"timed out", "/d/f does not exist", "the old file is at " + re.Backup, "the new one (verified) at " + re.Temp} {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not say %q", msg, w)
		}
	}
	if s.fs.exists("/d/f") || string(s.fs.read(t, re.Backup)) != "old" || string(s.fs.read(t, re.Temp)) != "new" {
		t.Errorf("the server does not hold what the error says: %q", s.fs.names(t, "/d"))
	}
}
