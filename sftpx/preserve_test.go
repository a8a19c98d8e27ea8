package sftpx

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// The backup script's case: copy the newest backup from one server to a
// server of another implementation (sshd to dropbear), keeping its date,
// and find the newest backup on the copy by the dates the backups were
// made, not the times they were copied. Then get -p and put -r -p keep
// dates and modes too. Without -p a copy's date is the copy's time.
func TestCLIPreserveBackups(t *testing.T) {
	keyPath, pubLine := testpeer.ClientKey(t, "ed25519")
	testpeer.DropbearSFTPServer(t)
	backup := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, AuthorizedKeys: []string{pubLine}})
	web := testpeer.DropbearWith(t, testpeer.DropbearConfig{AuthorizedKeys: []string{pubLine}})
	dir := t.TempDir()
	pinned := filepath.Join(dir, "pinned")
	os.WriteFile(pinned, []byte(pinLines(t, backup, peerKeys(t, backup))+pinLines(t, web, peerKeys(t, web))), 0o600)
	sftp := func(args ...string) cliRun {
		return sshpin(t, nil, append([]string{"sftp", "-F", "none", "--pinned", pinned, "-i", keyPath}, args...)...)
	}

	// b is the newest by date; a pattern copies a, b, c in name order,
	// so that c is the newest by copy time and the last by name.
	backups := filepath.Join(dir, "backups")
	base := time.Date(2024, 5, 1, 3, 4, 5, 0, time.UTC)
	dates := map[string]time.Time{"c.tar": base, "b.tar": base.Add(48 * time.Hour), "a.tar": base.Add(24 * time.Hour)}
	content := map[string][]byte{}
	for _, n := range []string{"b.tar", "c.tar", "a.tar"} {
		content[n] = randomBytes(t, 50000)
		p := filepath.Join(backups, n)
		writeLocal(t, p, content[n])
		os.Chmod(p, 0o640)
		os.Chtimes(p, dates[n], dates[n])
	}
	copies := filepath.Join(dir, "copies")
	os.Mkdir(copies, 0o755)

	r := sftp("cp", "-p", backup.Addr+":"+backups+"/*.tar", web.Addr+":"+copies+"/")
	if r.code != 0 {
		t.Fatalf("cp -p: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for n, want := range dates {
		st, err := os.Stat(filepath.Join(copies, n))
		if err != nil {
			t.Fatal(err)
		}
		if !st.ModTime().Equal(want) || st.Mode().Perm() != 0o640 {
			t.Errorf("cp -p: %s has date %v, mode %v; want %v, 0640", n, st.ModTime().UTC(), st.Mode().Perm(), want)
		}
		if got, _ := os.ReadFile(filepath.Join(copies, n)); !bytes.Equal(got, content[n]) {
			t.Errorf("cp -p: %s holds other bytes", n)
		}
	}
	// ls shows the seconds (and --time-style full-iso the zone).
	r = sftp("ls", web.Addr+":"+copies)
	if want := dates["b.tar"].Local().Format("2006-01-02 15:04:05") + " b.tar\n"; r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("ls: exit %d, %q, want a line ending %q\n%s", r.code, r.stdout, want, r.stderr)
	}
	r = sftp("ls", "--time-style", "full-iso", web.Addr+":"+copies)
	if want := dates["b.tar"].Local().Format("2006-01-02 15:04:05.000000000 -0700") + " b.tar\n"; r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("ls --time-style full-iso: exit %d, %q, want a line ending %q\n%s", r.code, r.stdout, want, r.stderr)
	}
	out := t.TempDir()
	r = sftp("get", "-p", "--newest", "--json", web.Addr+":"+copies+"/*.tar", out)
	recs := jsonLines(t, r.stdout)
	if r.code != 0 || len(recs) != 1 || recs[0]["remote"] != web.Addr+":"+copies+"/b.tar" {
		t.Fatalf("get -p --newest on the copies: exit %d %v\n%s", r.code, recs, r.stderr)
	}
	// It says what it chose, among what, on stderr and in the JSON.
	if nw, _ := recs[0]["newest"].(map[string]any); nw["name"] != "b.tar" || nw["mtime"] != "2024-05-03T03:04:05Z" ||
		nw["size"] != float64(50000) || nw["matched"] != float64(3) || nw["candidates"] != float64(3) || nw["tied"] != float64(1) {
		t.Errorf("get --newest --json: newest %v", recs[0]["newest"])
	}
	if want := "sshpin: newest: b.tar (2024-05-03T03:04:05Z, 50000 bytes), the latest of 3 candidates among 3 matching " + web.Addr + ":" + copies + "/*.tar\n"; r.stderr != want {
		t.Errorf("get --newest: stderr %q, want %q", r.stderr, want)
	}
	if st, err := os.Stat(filepath.Join(out, "b.tar")); err != nil || !st.ModTime().Equal(dates["b.tar"]) || st.Mode().Perm() != 0o640 {
		t.Errorf("get -p: %v, want date %v and mode 0640", err, dates["b.tar"])
	}

	// Without -p, the copy's date is the copy's time.
	plain := filepath.Join(dir, "plain")
	os.Mkdir(plain, 0o755)
	if r := sftp("cp", backup.Addr+":"+backups+"/b.tar", web.Addr+":"+plain+"/"); r.code != 0 {
		t.Fatalf("cp: exit %d\n%s", r.code, r.stderr)
	}
	if st, _ := os.Stat(filepath.Join(plain, "b.tar")); st.ModTime().Equal(dates["b.tar"]) {
		t.Errorf("cp without -p kept the date")
	}

	// put -r -p: files and directories keep their dates and modes.
	tree := filepath.Join(dir, "tree")
	writeLocal(t, filepath.Join(tree, "sub", "f"), []byte("f"))
	os.Chmod(filepath.Join(tree, "sub", "f"), 0o604)
	old := base.Add(-time.Hour)
	os.Chtimes(filepath.Join(tree, "sub", "f"), old, old)
	os.Chtimes(filepath.Join(tree, "sub"), old.Add(time.Minute), old.Add(time.Minute))
	up := filepath.Join(dir, "up")
	os.Mkdir(up, 0o755)
	if r := sftp("put", "-r", "-p", tree, web.Addr+":"+up+"/"); r.code != 0 {
		t.Fatalf("put -r -p: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if st, err := os.Stat(filepath.Join(up, "tree", "sub", "f")); err != nil || !st.ModTime().Equal(old) || st.Mode().Perm() != 0o604 {
		t.Errorf("put -r -p: the file: %v, want date %v, mode 0604", err, old)
	}
	if st, err := os.Stat(filepath.Join(up, "tree", "sub")); err != nil || !st.ModTime().Equal(old.Add(time.Minute)) {
		t.Errorf("put -r -p: the directory: %v, want date %v", err, old.Add(time.Minute))
	}
}
