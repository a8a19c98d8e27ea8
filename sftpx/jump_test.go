package sftpx

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/knownhosts"
	"github.com/sshpin/sshpin/sshdial"
)

// pinBoth writes one pinned file holding the bastion's keys (or bad
// ones) and the target's.
func pinBoth(t *testing.T, bastion, tgt *testpeer.Peer, bastionKeys []ssh.PublicKey) *knownhosts.File {
	t.Helper()
	return pinBothWith(t, bastion, bastionKeys, tgt, tgt.Keys(t))
}

// jumpPeers starts a bastion that allows TCP forwarding and a target, both
// real sshds on loopback letting the same key in.
func jumpPeers(t *testing.T, bastionExtra ...string) (bastion, tgt *testpeer.Peer, key string) {
	t.Helper()
	keyPath, pubLine := testpeer.ClientKey(t, "ed25519")
	extra := append([]string{"AllowTcpForwarding yes", "LogLevel DEBUG1"}, bastionExtra...)
	bastion = testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, AuthorizedKeys: []string{pubLine}, Extra: extra})
	tgt = testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ecdsa"}, AuthorizedKeys: []string{pubLine}, Extra: []string{"LogLevel DEBUG1"}})
	return bastion, tgt, keyPath
}

func jumpOptions(t *testing.T, bastion, tgt *testpeer.Peer, key string, f *knownhosts.File) Options {
	o := sshdOptions(t, tgt, "", key, f)
	o.Jump = []Hop{{Host: bastion.Host, Port: bastion.Port, User: o.User, Auth: o.Auth}}
	return o
}

func TestSSHDJump(t *testing.T) {
	bastion, tgt, key := jumpPeers(t)
	f := pinBoth(t, bastion, tgt, bastion.Keys(t))
	c, err := Dial(context.Background(), jumpOptions(t, bastion, tgt, key, f))
	if err != nil {
		t.Fatalf("Dial: %v\nbastion:\n%s\ntarget:\n%s", err, bastion.Log(), tgt.Log())
	}
	defer c.Close()
	if c.HostKey.Type() != ssh.KeyAlgoECDSA256 {
		t.Errorf("the key proved is %s, want the target's ecdsa", c.HostKey.Type())
	}
	if want := tgt.Addr + " via " + bastion.Addr; c.Addr != want {
		t.Errorf("Addr %q, want %q", c.Addr, want)
	}
	// A transfer through the hop.
	dir := t.TempDir()
	data := randomBytes(t, 1<<20+5)
	writeLocal(t, dir+"/src", data)
	if r := c.PutFile(context.Background(), dir+"/src", dir+"/dst"); r.Err != nil || r.SHA256 != sum(data) {
		t.Fatalf("PutFile through the jump host: %+v", r)
	}
	if tgt.Connections() != 1 {
		t.Errorf("the target saw %d connections, want 1", tgt.Connections())
	}
}

// The acceptance test of the jump: a bastion whose key does not match its
// pin gets no authentication attempt, and the target no connection at all.
func TestSSHDJumpBastionMismatch(t *testing.T) {
	bastion, tgt, key := jumpPeers(t)
	f := pinBoth(t, bastion, tgt, []ssh.PublicKey{newHostKey(t, "ed25519").PublicKey()})
	_, err := Dial(context.Background(), jumpOptions(t, bastion, tgt, key, f))
	var je *sshdial.JumpError
	var hke *sshdial.HostKeyError
	if !errors.As(err, &je) || je.Hop != bastion.Addr || !errors.As(err, &hke) || hke.Reason != sshdial.KeyMismatch {
		t.Fatalf("Dial: %v, want a host key mismatch at jump host %s", err, bastion.Addr)
	}
	bastion.Idle(t)
	for _, s := range []string{"userauth-request", "Failed ", "Accepted ", "Postponed "} {
		if strings.Contains(bastion.Log(), s) {
			t.Errorf("the bastion logged %q:\n%s", s, bastion.Log())
		}
	}
	if !strings.Contains(bastion.Log(), "[preauth]") {
		t.Errorf("the bastion did not log the refused connection:\n%s", bastion.Log())
	}
	if n := tgt.Connections(); n != 0 {
		t.Errorf("the target saw %d connections", n)
	}
}

// The target's own pin is checked too, through a good bastion.
func TestSSHDJumpTargetMismatch(t *testing.T) {
	bastion, tgt, key := jumpPeers(t)
	bad := pinBothWith(t, bastion, bastion.Keys(t), tgt, []ssh.PublicKey{newHostKey(t, "ecdsa").PublicKey()})
	o := jumpOptions(t, bastion, tgt, key, bad)
	_, err := Dial(context.Background(), o)
	var je *sshdial.JumpError
	var hke *sshdial.HostKeyError
	if errors.As(err, &je) || !errors.As(err, &hke) || hke.Reason != sshdial.KeyMismatch {
		t.Fatalf("Dial: %v, want a host key mismatch at the target", err)
	}
	tgt.Idle(t)
	if strings.Contains(tgt.Log(), "userauth-request") {
		t.Errorf("the target logged an authentication attempt:\n%s", tgt.Log())
	}
}

func pinBothWith(t *testing.T, a *testpeer.Peer, aKeys []ssh.PublicKey, b *testpeer.Peer, bKeys []ssh.PublicKey) *knownhosts.File {
	t.Helper()
	var lines []string
	for _, k := range aKeys {
		lines = append(lines, "["+a.Host+"]:"+strconv.Itoa(a.Port)+" "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))))
	}
	for _, k := range bKeys {
		lines = append(lines, "["+b.Host+"]:"+strconv.Itoa(b.Port)+" "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))))
	}
	path := t.TempDir() + "/pinned"
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := knownhosts.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A bastion that refuses to forward: the error says the jump host could
// not connect, and names it.
func TestSSHDJumpForwardingRefused(t *testing.T) {
	keyPath, pubLine := testpeer.ClientKey(t, "ed25519")
	bastion := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, AuthorizedKeys: []string{pubLine}, Extra: []string{"AllowTcpForwarding no"}})
	tgt := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ecdsa"}, AuthorizedKeys: []string{pubLine}})
	f := pinBoth(t, bastion, tgt, bastion.Keys(t))
	_, err := Dial(context.Background(), jumpOptions(t, bastion, tgt, keyPath, f))
	var je *sshdial.JumpError
	var ce *sshdial.ConnectError
	if !errors.As(err, &je) || je.Hop != bastion.Addr || !errors.As(err, &ce) || !strings.Contains(err.Error(), "could not connect") {
		t.Fatalf("Dial: %v", err)
	}
}

// A proxy command carries the stream: here the test binary as nc.
func TestSSHDProxyCommand(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	o := sshdOptions(t, p, "", key, f)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	o.ProxyCommand = "env SFTPX_TEST_RELAY=" + p.Addr + " " + self
	o.ProxyStderr = &stderr
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("Dial: %v\n%s", err, stderr.String())
	}
	if _, err := c.List(context.Background(), "/"); err != nil {
		t.Errorf("List: %v", err)
	}
	if c.Addr != "proxy-command" {
		t.Errorf("Addr %q", c.Addr)
	}
	c.Close()

	// A command that fails: its stderr is passed on, and Dial says so.
	stderr.Reset()
	o.ProxyCommand = "ls /no-such-dir-for-sshpin"
	if _, err := Dial(context.Background(), o); err == nil || !strings.Contains(stderr.String(), "no-such-dir-for-sshpin") {
		t.Errorf("Dial through a failing command: %v; stderr %q", err, stderr.String())
	}
}
