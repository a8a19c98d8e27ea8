package sftpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"sshpin/internal/testpeer"
)

// The CLI's exit codes and output against a real sshd: the testscripts in
// the main package have only the demo server, which refuses every login.
// These tests build the sshpin binary once and run it.

var cliBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cliBuild.dir != "" {
		os.RemoveAll(cliBuild.dir)
	}
	os.Exit(code)
}

func sshpinBinary(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build sshpin with")
	}
	cliBuild.once.Do(func() {
		cliBuild.dir, cliBuild.err = os.MkdirTemp("", "sshpin-cli-")
		if cliBuild.err != nil {
			return
		}
		cliBuild.path = filepath.Join(cliBuild.dir, "sshpin")
		cmd := exec.Command(goBin, "build", "-o", cliBuild.path, "sshpin")
		cmd.Dir = ".."
		cliBuild.out, cliBuild.err = cmd.CombinedOutput()
	})
	if cliBuild.err != nil {
		t.Fatalf("go build sshpin: %v\n%s", cliBuild.err, cliBuild.out)
	}
	return cliBuild.path
}

type cliRun struct {
	code           int
	stdout, stderr string
}

// sshpin runs the binary with a clean environment: no agent, no secrets,
// a HOME of its own.
func sshpin(t *testing.T, env []string, args ...string) cliRun {
	t.Helper()
	cmd := exec.Command(sshpinBinary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := cliRun{stdout: out.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("sshpin %s: %v", strings.Join(args, " "), err)
	}
	return r
}

func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

func TestCLIRoundTrip(t *testing.T) {
	p, key, _ := sshdPeer(t, "", testpeer.SSHDConfig{})
	pinned := filepath.Join(t.TempDir(), "host.keys")
	if r := sshpin(t, nil, "pin", "--pinned", pinned, p.Addr); r.code != 0 {
		t.Fatalf("pin: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	dir := t.TempDir()
	remoteDir := filepath.Join(dir, "remote")
	os.Mkdir(remoteDir, 0o755)
	data := randomBytes(t, 2<<20+1)
	src := filepath.Join(dir, "src.bin")
	writeLocal(t, src, data)
	host := p.Addr // 127.0.0.1:PORT, so REMOTE is 127.0.0.1:PORT:/path
	sftp := func(args ...string) cliRun {
		return sshpin(t, nil, append([]string{"sftp", "--pinned", pinned, "-i", key}, args...)...)
	}

	r := sftp("put", "--json", src, host+":"+remoteDir+"/")
	recs := jsonLines(t, r.stdout)
	if r.code != 0 || len(recs) != 1 || recs[0]["sha256"] != sum(data) || recs[0]["bytes"] != float64(len(data)) ||
		recs[0]["remote"] != host+":"+remoteDir+"/src.bin" || recs[0]["local"] != src {
		t.Fatalf("put: exit %d, %v\n%s", r.code, recs, r.stderr)
	}
	if _, ok := recs[0]["seconds"].(float64); !ok {
		t.Errorf("no seconds in %v", recs[0])
	}

	out := filepath.Join(dir, "back.bin")
	r = sftp("get", host+":"+remoteDir+"/src.bin", out)
	if got, _ := os.ReadFile(out); r.code != 0 || !bytes.Equal(got, data) || !strings.Contains(r.stdout, "sha256:"+sum(data)) {
		t.Fatalf("get: exit %d, %d bytes\n%s%s", r.code, len(got), r.stdout, r.stderr)
	}

	r = sftp("mkdir", "-p", host+":"+remoteDir+"/a/b")
	if r.code != 0 {
		t.Fatalf("mkdir -p: %d %s", r.code, r.stderr)
	}
	r = sftp("ls", "--json", "sftp://"+host+"/"+remoteDir)
	recs = jsonLines(t, r.stdout)
	if r.code != 0 || len(recs) != 2 || recs[0]["name"] != "a" || recs[0]["type"] != "dir" || recs[1]["name"] != "src.bin" || recs[1]["size"] != float64(len(data)) {
		t.Fatalf("ls: exit %d, %v\n%s", r.code, recs, r.stderr)
	}

	// A missing file among others: named, the rest done, exit 2.
	getDir := t.TempDir()
	r = sftp("get", host+":"+remoteDir+"/nope", host+":"+remoteDir+"/src.bin", getDir)
	if r.code != 2 || !strings.Contains(r.stderr, "sshpin: get "+host+":"+remoteDir+"/nope -> "+getDir+": not found\n") ||
		!strings.Contains(r.stderr, "sshpin: 1 of 2 files failed") {
		t.Fatalf("get with a missing file: exit %d\n%s", r.code, r.stderr)
	}
	if names := dirNames(t, getDir); len(names) != 1 || names[0] != "src.bin" {
		t.Errorf("local files %q, want src.bin only", names)
	}

	r = sftp("rm", "-r", host+":"+remoteDir+"/a", host+":"+remoteDir+"/src.bin")
	if r.code != 0 || len(dirNames(t, remoteDir)) != 0 {
		t.Fatalf("rm: exit %d %q\n%s", r.code, dirNames(t, remoteDir), r.stderr)
	}
}

// The acceptance test through the binary: a mismatched pin exits 1,
// transfers nothing, and sshd saw no authentication attempt.
func TestCLIMismatchNoAuthAttempt(t *testing.T) {
	p, key, _ := sshdPeer(t, "", testpeer.SSHDConfig{Extra: []string{"LogLevel DEBUG1"}})
	pinned := filepath.Join(t.TempDir(), "host.keys")
	os.WriteFile(pinned, []byte("["+p.Host+"]:"+strconv.Itoa(p.Port)+" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGd4cKnYcV0r3nS2HjXN3tA2gO0jHm+v7x0E1m5Kx2Zr\n"), 0o644)
	dir := t.TempDir()
	src := filepath.Join(dir, "secret.txt")
	writeLocal(t, src, []byte("do not send"))
	r := sshpin(t, []string{"SSHPIN_PASSWORD=hunter2"}, "sftp", "--pinned", pinned, "-i", key, "put", src, p.Addr+":"+dir+"/uploaded.txt")
	if r.code != 1 || !strings.Contains(r.stderr, "REFUSED before authentication") || !strings.Contains(r.stderr, "host key mismatch") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "uploaded.txt")); err == nil {
		t.Errorf("the file was transferred")
	}
	p.Idle(t)
	for _, s := range []string{"userauth-request", "Failed ", "Accepted ", "Postponed "} {
		if strings.Contains(p.Log(), s) {
			t.Errorf("sshd logged %q:\n%s", s, p.Log())
		}
	}
}
