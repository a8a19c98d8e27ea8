package sftpx

import (
	"encoding/json"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/report"
)

// hostileNames are file names a server may send that a terminal would act
// on or that would mislead a reader: each must reach the terminal escaped.
var hostileNames = []string{
	"esc\x1b]0;pwned\x07\x1b[2J",    // retitle, clear the screen
	"line\nsha256:forged",           // a forged output line
	"cr\rover",                      // overwrite the line
	"c1\u009b31m\u0085",             // C1 controls, as UTF-8
	"raw\x9b31m",                    // 8-bit CSI, not UTF-8
	"bidi\u202egnp.exe\u2066\u200f", // reordering
	"bad\xff\xfe",                   // not UTF-8
	`back\slash`,
}

// suspectNames are listed names that are not a single path element: each
// must be reported as sent and skipped.
var suspectNames = []string{"../escape", "a/b", "", "x\x00y"}

// hostileLister plays a hostile server: its listing of /d also names the
// suspectNames, and it resolves the login directory (REALPATH ".") to
// loginDir, a name of the same kind.
type hostileLister struct {
	sftp.FileLister
}

const loginDir = "/home\x1b[1;31m\u202eevil\xff"

func (l hostileLister) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	la, err := l.FileLister.Filelist(r)
	if err != nil || r.Method != "List" || r.Filepath != "/d" {
		return la, err
	}
	fis := make([]fs.FileInfo, 64)
	n, _ := la.ListAt(fis, 0)
	fis = fis[:n]
	for _, s := range suspectNames {
		fis = append(fis, renamed{fis[0], s})
	}
	return listerAt(fis), nil
}

func (l hostileLister) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	return l.FileLister.(sftp.LstatFileLister).Lstat(r)
}

func (l hostileLister) RealPath(p string) (string, error) {
	if p == "." || p == "" {
		return loginDir, nil
	}
	if !strings.HasPrefix(p, "/") {
		p = loginDir + "/" + p
	}
	return path.Clean(p), nil
}

// noRawControl fails when a line of out holds anything report.Safe
// escapes.
func noRawControl(t *testing.T, what, out string) {
	t.Helper()
	for _, l := range strings.SplitAfter(out, "\n") {
		l = strings.TrimSuffix(l, "\n")
		if i := report.RawControl(l); i >= 0 {
			t.Errorf("%s: a raw control at byte %d of %q", what, i, l)
		}
	}
}

// Names from READDIR, REALPATH and globs reach stdout and stderr only
// escaped, in ls, get -r, cp -r, globs and --newest, and in their --json;
// names that are not one path element are reported and skipped.
func TestCLIHostileNames(t *testing.T) {
	keyPath, pub := userKey(t, "")
	s := startServer(t, serverConfig{userKeys: []ssh.PublicKey{pub}, wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
		h.FileList = hostileLister{h.FileList}
		return h
	}})
	_, pinned := pinFile(t, s.Host, s.Port, s.cfg.hostKeys[0].PublicKey())
	for i, n := range hostileNames {
		s.fs.write(t, "/d/"+n, []byte(strconv.Itoa(i)))
	}
	s.fs.write(t, loginDir+"/in-login", []byte("login"))
	host := s.Host + ":" + strconv.Itoa(s.Port) + ":"
	sftpCmd := func(args ...string) cliRun {
		return sshpin(t, nil, append([]string{"sftp", "-F", "none", "--pinned", pinned, "-i", keyPath}, args...)...)
	}
	out := t.TempDir()
	for _, d := range []string{"get", "glob", "newest", "login", "json"} {
		os.Mkdir(filepath.Join(out, d), 0o755)
	}
	// --json names the files as they are on disk: a script finds each
	// one by "local", or, where a name is not UTF-8, by "local_escaped".
	r := sftpCmd("get", "-r", "--json", host+"/d", filepath.Join(out, "json"))
	noRawControl(t, "get -r --json", r.stdout)
	found := 0
	for _, rec := range jsonLines(t, r.stdout) {
		if rec["skipped"] == true {
			continue
		}
		local, _ := rec["local"].(string)
		if esc, ok := rec["local_escaped"].(string); ok {
			l, err := strconv.Unquote(`"` + strings.ReplaceAll(esc, `"`, `\"`) + `"`)
			if err != nil {
				t.Fatalf("local_escaped %q: %v", esc, err)
			}
			local = l
		}
		if _, err := os.Stat(local); err != nil {
			t.Errorf("get -r --json: %v names no file: %v", rec, err)
		}
		found++
	}
	if found != len(hostileNames) {
		t.Errorf("get -r --json: %d files found by their records, want %d\n%s", found, len(hostileNames), r.stdout)
	}
	var sawEscaped bool
	for _, l := range strings.Split(r.stdout, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["local_escaped"] != nil {
			sawEscaped = true
		}
	}
	if !sawEscaped {
		t.Errorf("no local_escaped for the names that are not UTF-8:\n%s", r.stdout)
	}

	for _, tc := range []struct {
		name string
		args []string
		// want are lines (or parts of lines) stdout must hold; wantErr
		// the same of stderr.
		want, wantErr []string
		code          int
	}{
		{"ls", []string{"ls", host + "/d"}, []string{
			` esc\x1b]0;pwned\a\x1b[2J` + "\n", ` line\nsha256:forged` + "\n", ` raw\x9b31m` + "\n",
			` bidi\u202egnp.exe\u2066\u200f` + "\n", ` back\\slash` + "\n",
		}, []string{
			`sshpin: warning: the server sent a file name that is a path (it holds a '/') in the listing of /d: "../escape" left out` + "\n",
			`sshpin: warning: the server sent a file name with a NUL byte in the listing of /d: "x\x00y" left out` + "\n",
		}, 0},
		{"get -r", []string{"get", "-r", host + "/d", filepath.Join(out, "get")}, []string{
			`/d/c1\u009b31m\u0085 -> ` + out + `/get/d/c1\u009b31m\u0085  `,
			`skipped: ` + host + `/d/../escape: the server sent a file name that is a path (it holds a '/')` + "\n",
			`skipped: ` + host + `/d/a/b: the server sent a file name that is a path (it holds a '/')` + "\n",
			`skipped: ` + host + `/d/x\x00y: the server sent a file name with a NUL byte` + "\n",
			`skipped: ` + host + `/d/: the server sent an empty file name` + "\n",
		}, nil, 0},
		{"get glob", []string{"get", host + "/d/*", filepath.Join(out, "glob")}, []string{
			`/d/bad\xff\xfe -> ` + out + `/glob/bad\xff\xfe  `,
		}, []string{`"../escape" left out`}, 0},
		{"get --newest", []string{"get", "--newest", host + "/d/b*", filepath.Join(out, "newest")}, []string{" -> " + out + "/newest/b"}, nil, 0},
		{"get -r login directory", []string{"get", "-r", host, filepath.Join(out, "login")}, []string{
			` -> ` + out + `/login/home\x1b[1;31m\u202eevil\xff/`,
		}, nil, 0},
		{"cp -r", []string{"cp", "-r", host + "/d", host + "/copy"}, []string{
			`/d/cr\rover -> ` + host + `/copy/cr\rover  `,
			`skipped: ` + host + `/d/../escape: the server sent a file name that is a path (it holds a '/')` + "\n",
		}, nil, 0},
		{"ls --json", []string{"ls", "--json", host + "/d"}, []string{`"name":"bad\ufffd\ufffd","name_escaped":"bad\\xff\\xfe"`, `"name":"c1\u009b31m\u0085"`}, nil, 0},
		{"rm -r", []string{"rm", "-r", host + "/d"}, nil, []string{
			`sshpin: rm ` + host + `/d/../escape: the server sent a file name that is a path (it holds a '/'): not removed` + "\n",
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sftpCmd(tc.args...)
			noRawControl(t, "stdout", r.stdout)
			noRawControl(t, "stderr", r.stderr)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}

}
