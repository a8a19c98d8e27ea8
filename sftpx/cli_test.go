package sftpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/testpeer"
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
	if addr := os.Getenv("SFTPX_TEST_RELAY"); addr != "" {
		// The test binary as a proxy command: stdin and stdout to addr.
		os.Exit(relay(addr))
	}
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
		cmd := exec.Command(goBin, "build", "-o", cliBuild.path, ".")
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
	_, wait := startCLI(t, t.TempDir(), nil, env, args...)
	return wait()
}

// startCLI starts the binary in the background with a clean environment:
// no agent, no secrets, HOME=home; prepare, when not nil, adjusts the
// command before it starts. wait waits for it and collects what it said.
func startCLI(t *testing.T, home string, prepare func(*exec.Cmd), env []string, args ...string) (cmd *exec.Cmd, wait func() cliRun) {
	t.Helper()
	cmd = exec.Command(sshpinBinary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}, env...)
	if prepare != nil {
		prepare(cmd)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatalf("sshpin %s: %v", strings.Join(args, " "), err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, func() cliRun {
		err := cmd.Wait()
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
	// sshd has no check-file: the default proves the size, --verify the
	// bytes read back.
	if r.code != 0 || len(recs) != 1 || recs[0]["sha256"] != sum(data) || recs[0]["bytes"] != float64(len(data)) ||
		recs[0]["remote"] != host+":"+remoteDir+"/src.bin" || recs[0]["local"] != src || recs[0]["verified"] != "size" {
		t.Fatalf("put: exit %d, %v\n%s", r.code, recs, r.stderr)
	}
	r = sftp("put", "--json", "--verify", src, host+":"+remoteDir+"/")
	if recs := jsonLines(t, r.stdout); r.code != 0 || len(recs) != 1 || recs[0]["verified"] != "sha256-readback" {
		t.Fatalf("put --verify: exit %d, %v\n%s", r.code, recs, r.stderr)
	}
	if _, ok := recs[0]["seconds"].(float64); !ok {
		t.Errorf("no seconds in %v", recs[0])
	}

	out := filepath.Join(dir, "back.bin")
	r = sftp("get", host+":"+remoteDir+"/src.bin", out)
	if got, _ := os.ReadFile(out); r.code != 0 || !bytes.Equal(got, data) || !strings.Contains(r.stdout, "  verified:size\n  sha256:"+sum(data)+"\n") {
		t.Fatalf("get: exit %d, %d bytes\n%s%s", r.code, len(got), r.stdout, r.stderr)
	}
	r = sftp("get", "--verify", host+":"+remoteDir+"/src.bin", out)
	if r.code != 0 || !strings.Contains(r.stdout, "  verified:sha256-readback\n  sha256:"+sum(data)+"\n") {
		t.Fatalf("get --verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
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
	if r.code != 1 || !strings.Contains(r.stderr, "refused before authentication") || !strings.Contains(r.stderr, "host key mismatch") {
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

// relay is what a proxy command does (nc HOST PORT): it carries its
// standard input and output to a TCP connection until either side ends.
func relay(addr string) int {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		return 1
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(c, os.Stdin); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(os.Stdout, c); done <- struct{}{} }()
	<-done
	return 0
}

// ~/.ssh/config resolution through the binary: an alias with HostName,
// Port, User, IdentityFile and UserKnownHostsFile, and no --pinned, -i or
// port on the command line; and the same host through ProxyJump from the
// configuration, the jump host an alias too.
func TestCLISSHConfig(t *testing.T) {
	bastion, tgt, key := jumpPeers(t)
	dir := t.TempDir()
	pinned := filepath.Join(dir, "pinned")
	var lines []string
	for _, p := range []*testpeer.Peer{bastion, tgt} {
		for _, k := range peerKeys(t, p) {
			lines = append(lines, "["+p.Host+"]:"+strconv.Itoa(p.Port)+" "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))))
		}
	}
	os.WriteFile(pinned, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`
Host web
  HostName %s
  Port %d
  User %s
Host web-via-jump
  HostName %s
  Port %d
  ProxyJump hop
Host hop
  HostName %s
  Port %d
Host *
  IdentityFile %s
  UserKnownHostsFile %s
`, tgt.Host, tgt.Port, currentUser(t), tgt.Host, tgt.Port, bastion.Host, bastion.Port, key, pinned)), 0o600)
	src := filepath.Join(dir, "src.bin")
	data := randomBytes(t, 300000)
	writeLocal(t, src, data)

	r := sshpin(t, nil, "sftp", "-F", cfg, "put", "--json", src, "web:"+dir+"/up.bin")
	if recs := jsonLines(t, r.stdout); r.code != 0 || len(recs) != 1 || recs[0]["sha256"] != sum(data) || recs[0]["remote"] != "web:"+dir+"/up.bin" {
		t.Fatalf("put to the alias: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if tgt.Connections() != 1 || bastion.Connections() != 0 {
		t.Errorf("connections: target %d, bastion %d; want 1, 0", tgt.Connections(), bastion.Connections())
	}
	r = sshpin(t, nil, "sftp", "-F", cfg, "get", "web-via-jump:"+dir+"/up.bin", dir+"/back.bin")
	if got, _ := os.ReadFile(dir + "/back.bin"); r.code != 0 || !bytes.Equal(got, data) {
		t.Fatalf("get through ProxyJump: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if tgt.Connections() != 2 || bastion.Connections() != 1 {
		t.Errorf("connections: target %d, bastion %d; want 2, 1", tgt.Connections(), bastion.Connections())
	}
	// -F with a file that does not exist: exit 2, as ssh refuses it.
	r = sshpin(t, nil, "sftp", "-F", filepath.Join(dir, "nope"), "ls", "web:")
	if r.code != 2 || !strings.Contains(r.stderr, "ssh config:") {
		t.Errorf("-F missing: exit %d\n%s", r.code, r.stderr)
	}
}

// -J through the binary: the transfer goes through the bastion; a bastion
// whose pin does not match is refused (exit 1) before any credential, and
// the target never sees a connection.
func TestCLIJump(t *testing.T) {
	bastion, tgt, key := jumpPeers(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	bad := filepath.Join(dir, "bad")
	write := func(path string, bastionKeys []ssh.PublicKey) {
		var lines []string
		for _, k := range bastionKeys {
			lines = append(lines, "["+bastion.Host+"]:"+strconv.Itoa(bastion.Port)+" "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))))
		}
		for _, k := range peerKeys(t, tgt) {
			lines = append(lines, "["+tgt.Host+"]:"+strconv.Itoa(tgt.Port)+" "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))))
		}
		os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	}
	write(good, peerKeys(t, bastion))
	write(bad, []ssh.PublicKey{newHostKey(t, "ed25519").PublicKey()})
	src := filepath.Join(dir, "src")
	writeLocal(t, src, []byte("through the bastion"))
	// -i is the target's: the bastion gets its key from the configuration.
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte("Host "+bastion.Host+"\n  IdentityFile "+key+"\n"), 0o600)

	r := sshpin(t, nil, "sftp", "-F", cfg, "--pinned", good, "-i", key, "-J", bastion.Addr, "put", src, tgt.Addr+":"+dir+"/dst")
	if got, _ := os.ReadFile(dir + "/dst"); r.code != 0 || string(got) != "through the bastion" {
		t.Fatalf("put -J: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = sshpin(t, []string{"SSHPIN_PASSWORD=hunter2"}, "sftp", "-F", cfg, "--pinned", bad, "-i", key, "-J", bastion.Addr, "put", src, tgt.Addr+":"+dir+"/dst2")
	if r.code != 1 || !strings.Contains(r.stderr, "sshpin: jump host "+bastion.Addr+": refused before authentication, nothing was sent: host key mismatch") {
		t.Fatalf("put -J with a bad bastion pin: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(dir + "/dst2"); err == nil {
		t.Errorf("the file was transferred")
	}
	bastion.Idle(t)
	if tgt.Connections() != 1 {
		t.Errorf("target connections %d, want 1 (the good run's)", tgt.Connections())
	}
	// The refused connection is the bastion's second; its log lines carry
	// the connection number.
	for _, l := range strings.Split(bastion.Log(), "\n") {
		if strings.HasPrefix(l, "[2] ") && strings.Contains(l, "userauth-request") {
			t.Errorf("the refused bastion connection saw an authentication attempt: %s", l)
		}
	}

	// -J and --proxy-command together: a usage error.
	r = sshpin(t, nil, "sftp", "-J", bastion.Addr, "--proxy-command", "x", "ls", tgt.Addr+":")
	if r.code != 2 || !strings.Contains(r.stderr, "exclude each other") {
		t.Errorf("-J with --proxy-command: exit %d\n%s", r.code, r.stderr)
	}
}

// --proxy-command with %h and %p expanded: the test binary relays.
func TestCLIProxyCommand(t *testing.T) {
	p, key, _ := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	pinned := filepath.Join(t.TempDir(), "pinned")
	var lines []string
	for _, k := range peerKeys(t, p) {
		lines = append(lines, "["+p.Host+"]:"+strconv.Itoa(p.Port)+" "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))))
	}
	os.WriteFile(pinned, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r := sshpin(t, nil, "sftp", "-F", "none", "--pinned", pinned, "-i", key, "--proxy-command", "env SFTPX_TEST_RELAY=%h:%p "+self, "ls", "--json", p.Addr+":/")
	if r.code != 0 || len(jsonLines(t, r.stdout)) == 0 {
		t.Fatalf("ls through --proxy-command: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// cp from a backup server to a web server through the binary, the source
// a quoted pattern with --newest; then a destination whose pin does not
// match: exit 1, nothing written there.
func TestCLICopyNewest(t *testing.T) {
	keyPath, pubLine := testpeer.ClientKey(t, "ed25519")
	backup := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, AuthorizedKeys: []string{pubLine}})
	web := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ecdsa"}, AuthorizedKeys: []string{pubLine}, Extra: []string{"LogLevel DEBUG1"}})
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte(pinLines(t, backup, peerKeys(t, backup))+pinLines(t, web, peerKeys(t, web))), 0o600)
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte(pinLines(t, backup, peerKeys(t, backup))+pinLines(t, web, []ssh.PublicKey{newHostKey(t, "ecdsa").PublicKey()})), 0o600)

	backups := filepath.Join(dir, "backups")
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	var newest []byte
	for i, n := range []string{"site-2.tar.gz", "site-3.tar.gz", "site-1.tar.gz"} {
		data := randomBytes(t, 100000+i)
		writeLocal(t, filepath.Join(backups, n), data)
		mt := base.Add(time.Duration(i) * time.Hour)
		if n == "site-1.tar.gz" {
			mt = base.Add(time.Hour / 2) // not the last written, not the newest
		}
		if n == "site-3.tar.gz" {
			newest = data
		}
		os.Chtimes(filepath.Join(backups, n), mt, mt)
	}
	www := filepath.Join(dir, "www")
	os.Mkdir(www, 0o755)

	sftp := func(env []string, pinned string, args ...string) cliRun {
		return sshpin(t, env, append([]string{"sftp", "-F", "none", "--pinned", pinned, "-i", keyPath}, args...)...)
	}
	r := sftp(nil, good, "cp", "--json", "--newest", backup.Addr+":"+backups+"/*.tar.gz", web.Addr+":"+www+"/")
	recs := jsonLines(t, r.stdout)
	if r.code != 0 || len(recs) != 1 || recs[0]["source"] != backup.Addr+":"+backups+"/site-3.tar.gz" ||
		recs[0]["remote"] != web.Addr+":"+www+"/site-3.tar.gz" || recs[0]["sha256"] != sum(newest) {
		t.Fatalf("cp --newest: exit %d %v\n%s", r.code, recs, r.stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(www, "site-3.tar.gz")); !bytes.Equal(got, newest) {
		t.Fatalf("the web server holds %d bytes", len(got))
	}
	// Without --newest, every match; a pattern matching nothing is named.
	r = sftp(nil, good, "cp", backup.Addr+":"+backups+"/*.tar.gz", backup.Addr+":"+backups+"/*.zip", web.Addr+":"+www)
	if r.code != 2 || strings.Count(r.stdout, "sha256:") != 3 || !strings.Contains(r.stderr, "*.zip: no file matches") {
		t.Fatalf("cp of a pattern: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// get --newest too.
	out := t.TempDir()
	r = sftp(nil, good, "get", "--newest", backup.Addr+":"+backups+"/site-*", out)
	if got, _ := os.ReadFile(filepath.Join(out, "site-3.tar.gz")); r.code != 0 || !bytes.Equal(got, newest) || len(dirNames(t, out)) != 1 {
		t.Fatalf("get --newest: exit %d %q\n%s", r.code, dirNames(t, out), r.stderr)
	}

	before := web.Connections()
	r = sftp([]string{"SSHPIN_PASSWORD=hunter2"}, bad, "cp", backup.Addr+":"+backups+"/site-1.tar.gz", web.Addr+":"+www+"/x")
	if r.code != 1 || !strings.Contains(r.stderr, "refused before authentication") {
		t.Fatalf("cp to a mismatched destination: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(www, "x")); err == nil {
		t.Errorf("the file was copied")
	}
	web.Idle(t)
	for _, l := range strings.Split(web.Log(), "\n") {
		if strings.HasPrefix(l, "["+strconv.Itoa(before+1)+"] ") && strings.Contains(l, "userauth-request") {
			t.Errorf("the refused destination saw an authentication attempt: %s", l)
		}
	}
}

func pinLines(t *testing.T, p *testpeer.Peer, keys []ssh.PublicKey) string {
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("[" + p.Host + "]:" + strconv.Itoa(p.Port) + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + "\n")
	}
	return b.String()
}
