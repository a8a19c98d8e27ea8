package testpeer

import (
	"bytes"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Keyscan runs the real ssh-keyscan against p and returns its output lines,
// without the "# host:port SSH-2.0-..." comments it prints per connection.
// args go before the host, e.g. "-t", "rsa", or "-c" for certificates.
// ssh-keyscan asks for one key per family (rsa, ecdsa, ed25519, ...), so of
// two ECDSA keys on different curves it reports the first only.
//
// ssh-keyscan's key exchange offer is fixed (it has no -o): OpenSSH 9.2's
// lacks diffie-hellman-group14-sha1, so it finds nothing on Legacy. Finding
// nothing fails the test, since a reference that saw no key proves nothing;
// use SSHAccepts with the legacy options there.
func Keyscan(t testing.TB, p *Peer, args ...string) []string {
	t.Helper()
	bin := Require(t, "ssh-keyscan")
	argv := append([]string{"-p", strconv.Itoa(p.Port), "-T", "20"}, args...)
	argv = append(argv, p.Host)
	cmd := exec.CommandContext(t.Context(), bin, argv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		t.Fatalf("ssh-keyscan %s found no key (%v)\n%s\nserver log:\n%s", strings.Join(argv, " "), err, stderr.String(), p.Log())
	}
	return lines
}

// KeygenFingerprints returns the fingerprints ssh-keygen prints for a
// public key (or certificate) file: "SHA256:..." and "MD5:aa:bb:...".
func KeygenFingerprints(t testing.TB, pubPath string) (sha256, md5 string) {
	t.Helper()
	return keygenFingerprint(t, pubPath, "sha256"), keygenFingerprint(t, pubPath, "md5")
}

func keygenFingerprint(t testing.TB, pubPath, hash string) string {
	t.Helper()
	out, err := exec.Command(Require(t, "ssh-keygen"), "-l", "-E", hash, "-f", pubPath).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen -l -E %s -f %s: %v\n%s", hash, pubPath, err, out)
	}
	// "256 SHA256:xxxx comment (ED25519)"
	f := strings.Fields(string(out))
	if len(f) < 2 {
		t.Fatalf("ssh-keygen -l -E %s -f %s: unexpected output %q", hash, pubPath, out)
	}
	return f[1]
}

// SSHAccepts connects the real OpenSSH client to p with strict host key
// checking against the known_hosts file knownHosts, and reports whether it
// accepted the server's host key; output is what ssh said. opts are more
// ssh arguments, e.g. "-o", "HostKeyAlgorithms=ssh-rsa".
//
// The client offers no credential, so no login happens: reaching "Permission
// denied" means the host key passed. Any other failure (no common
// algorithm, no connection) fails the test, so that a test expecting a
// rejection cannot pass for the wrong reason.
func SSHAccepts(t testing.TB, p *Peer, knownHosts string, opts ...string) (accepted bool, output string) {
	t.Helper()
	argv := []string{
		"-F", "/dev/null", // the user's ~/.ssh/config must not change the answer
		"-p", strconv.Itoa(p.Port),
		"-o", "BatchMode=yes",
		"-o", "ConnectTimeout=20",
		"-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile=" + knownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "CheckHostIP=no",
		"-o", "UpdateHostKeys=no",
		"-o", "PreferredAuthentications=publickey",
		"-o", "IdentitiesOnly=yes",
		"-o", "IdentityFile=none",
		"-o", "IdentityAgent=none",
	}
	argv = append(argv, opts...)
	argv = append(argv, "testpeer-nobody@"+p.Host, "true")
	out, err := exec.CommandContext(t.Context(), Require(t, "ssh"), argv...).CombinedOutput()
	output = string(out)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return true, output
	case !errors.As(err, &exit):
		t.Fatalf("ssh %s: %v", strings.Join(argv, " "), err)
	case strings.Contains(output, "Host key verification failed"):
		return false, output
	case strings.Contains(output, "Permission denied"):
		return true, output
	}
	t.Fatalf("ssh %s: neither accepted nor rejected the host key: %v\n%s\nserver log:\n%s", strings.Join(argv, " "), err, output, p.Log())
	return false, output
}
