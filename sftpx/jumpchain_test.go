package sftpx

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// Two bastions and a target, real sshds on loopback, driven by an ssh
// configuration through the binary: the target's ProxyJump names
// bastion2, whose own ProxyJump names bastion1. Each server sees exactly
// one connection and the file arrives. -J bastion2 for a host without a
// ProxyJump takes the same way (bastion2's own still applies); the first
// bastion's ProxyCommand carries the connection to it; and a loop is
// refused before any connection.
func TestCLIJumpChainFromConfig(t *testing.T) {
	keyPath, pubLine := testpeer.ClientKey(t, "ed25519")
	forward := []string{"AllowTcpForwarding yes", "LogLevel DEBUG1"}
	b1 := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, AuthorizedKeys: []string{pubLine}, Extra: forward})
	b2 := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ecdsa"}, AuthorizedKeys: []string{pubLine}, Extra: forward})
	tgt := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, AuthorizedKeys: []string{pubLine}})
	dir := t.TempDir()
	pinned := filepath.Join(dir, "pinned")
	os.WriteFile(pinned, []byte(pinLines(t, b1, peerKeys(t, b1))+pinLines(t, b2, peerKeys(t, b2))+pinLines(t, tgt, peerKeys(t, tgt))), 0o600)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`
Host target
  HostName %[1]s
  Port %[2]d
  ProxyJump bastion2
Host direct
  HostName %[1]s
  Port %[2]d
Host bastion2
  HostName %[3]s
  Port %[4]d
  ProxyJump bastion1
Host bastion1
  HostName %[5]s
  Port %[6]d
Host target-pc
  HostName %[1]s
  Port %[2]d
  ProxyJump bastion-pc
Host bastion-pc
  HostName %[5]s
  Port %[6]d
  ProxyCommand env SFTPX_TEST_RELAY=%%h:%%p %[9]s
Host loop-a
  HostName %[1]s
  Port %[2]d
  ProxyJump loop-b
Host loop-b
  HostName %[3]s
  Port %[4]d
  ProxyJump loop-a
Host *
  User %[7]s
  IdentityFile %[8]s
  UserKnownHostsFile %[10]s
`, tgt.Host, tgt.Port, b2.Host, b2.Port, b1.Host, b1.Port, currentUser(t), keyPath, self, pinned)), 0o600)
	data := randomBytes(t, 300001)
	src := filepath.Join(dir, "src.bin")
	writeLocal(t, src, data)
	conns := func() []int { return []int{b1.Connections(), b2.Connections(), tgt.Connections()} }

	r := sshpin(t, nil, "sftp", "-F", cfg, "put", "--json", src, "target:"+dir+"/up.bin")
	if recs := jsonLines(t, r.stdout); r.code != 0 || len(recs) != 1 || recs[0]["sha256"] != sum(data) {
		t.Fatalf("put through bastion1 and bastion2: exit %d\n%s%s\nbastion1:\n%s\nbastion2:\n%s", r.code, r.stdout, r.stderr, b1.Log(), b2.Log())
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "up.bin")); !bytes.Equal(got, data) {
		t.Fatalf("the target holds %d bytes", len(got))
	}
	if got := conns(); !slices.Equal(got, []int{1, 1, 1}) {
		t.Errorf("connections to bastion1, bastion2, target: %v, want one each", got)
	}
	// bastion2 was reached through bastion1: it saw bastion1's forwarded
	// connection, from loopback, and bastion1 logged the forwarding.
	b1.Idle(t)
	if !strings.Contains(b1.Log(), "direct-tcpip") {
		t.Errorf("bastion1 logged no forwarding:\n%s", b1.Log())
	}

	r = sshpin(t, nil, "sftp", "-F", cfg, "-J", "bastion2", "get", "direct:"+dir+"/up.bin", filepath.Join(dir, "back.bin"))
	if got, _ := os.ReadFile(filepath.Join(dir, "back.bin")); r.code != 0 || !bytes.Equal(got, data) {
		t.Fatalf("get -J bastion2: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := conns(); !slices.Equal(got, []int{2, 2, 2}) {
		t.Errorf("connections after -J bastion2: %v, want two each", got)
	}

	r = sshpin(t, nil, "sftp", "-F", cfg, "ls", "target-pc:"+dir)
	if r.code != 0 || !strings.Contains(r.stdout, "up.bin") {
		t.Fatalf("ls through bastion-pc's ProxyCommand: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := conns(); !slices.Equal(got, []int{3, 2, 3}) {
		t.Errorf("connections after the ProxyCommand run: %v, want 3, 2, 3", got)
	}

	r = sshpin(t, nil, "sftp", "-F", cfg, "ls", "loop-a:"+dir)
	if r.code != 2 || r.stderr != "sshpin: ssh config: ProxyJump loop: loop-a -> loop-b -> loop-a\n" {
		t.Errorf("a ProxyJump loop: exit %d\n%s", r.code, r.stderr)
	}
	if got := conns(); !slices.Equal(got, []int{3, 2, 3}) {
		t.Errorf("connections after the loop: %v, want none more", got)
	}
}
