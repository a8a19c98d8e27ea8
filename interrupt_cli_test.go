package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// Ctrl-C during an upload, through the CLI. These are Go tests, not
// scripts: the signal has to land while the upload is held mid-way, and
// testscript's kill cannot wait for a moment in another process's traffic
// (nor send SIGTERM, nor tell exit 130 from another failure). The upload
// goes through a forwarder that holds the traffic from the moment the
// client sent 2 MiB until the signal has been sent, so the interruption
// is mid-upload whatever the machine's speed: what is left (at least
// 60 MiB) cannot cross before sshpin acts on the signal.

// interruptSetup starts an sshd behind a holding forwarder that reaches
// after 2 MiB, and returns the client key, the forwarder, a directory the
// sshd writes to and a file pinning the sshd's keys at the forwarder's
// address.
func interruptSetup(t *testing.T) (key string, fw *testpeer.Forwarder, dir, pinned string) {
	t.Helper()
	key, pub := testpeer.ClientKey(t, "ed25519")
	p := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, AuthorizedKeys: []string{pub}})
	fw = testpeer.Forward(t, p.Addr, 2<<20)
	dir = t.TempDir()
	var b strings.Builder
	for _, k := range p.Keys(t) {
		fmt.Fprintf(&b, "[%s]:%d %s\n", fw.Host, fw.Port, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))))
	}
	pinned = filepath.Join(dir, "pinned")
	if err := os.WriteFile(pinned, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return key, fw, dir, pinned
}

// sparseFile makes a file of size zeros that takes no disk.
func sparseFile(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

type cliResult struct {
	code   int
	stderr string
}

// startSshpin runs the CLI as TestMain registered it for the scripts
// (main itself, with its signal handling), in the background, with no
// agent, no secrets and a HOME of its own: the test binary, called
// sshpin, which is the name testscript.Main runs main for.
func startSshpin(t *testing.T, args ...string) (*os.Process, func() cliResult) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Args[0] = "sshpin"
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd.Process, func() cliResult {
		err := cmd.Wait()
		r := cliResult{stderr: stderr.String()}
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			r.code = ee.ExitCode()
		case err != nil:
			t.Fatal(err)
		}
		return r
	}
}

// noneSays fails when stderr holds one of bad: the words the CLI used to
// show for an interruption.
func noneSays(t *testing.T, stderr string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(stderr, b) {
			t.Errorf("stderr says %q:\n%s", b, stderr)
		}
	}
}

// Ctrl-C during put: the line said "put new100m -> 127.0.0.1:22201:in/big:
// context canceled", and the server kept the temporary file. Now it says
// "interrupted", exits 130, and the server's directory holds nothing.
func TestInterruptCLIPutSaysInterrupted(t *testing.T) {
	key, fw, dir, pinned := interruptSetup(t)
	src := filepath.Join(dir, "new100m")
	sparseFile(t, src, 256<<20)
	remote := filepath.Join(dir, "in")
	if err := os.Mkdir(remote, 0o755); err != nil {
		t.Fatal(err)
	}
	dst := fw.Addr + ":" + remote + "/big"
	proc, wait := startSshpin(t, "sftp", "-F", "none", "--pinned", pinned, "-i", key, "put", src, dst)
	<-fw.Reached()
	fw.Hold()
	proc.Signal(os.Interrupt)
	fw.Release()
	r := wait()
	if r.code != 130 {
		t.Errorf("exit %d, want 130\n%s", r.code, r.stderr)
	}
	if want := "sshpin: put " + src + " -> " + dst + ": interrupted\n"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	noneSays(t, r.stderr, "context canceled", "did not serve a read", "sftpx:")
	if names := dirNames(t, remote); len(names) != 0 {
		t.Errorf("the server's directory holds %q after the interrupted put", names)
	}
}

// Ctrl-C during put -r, several files in flight: it exits 130, says every
// interrupted file was interrupted, and the server keeps no temporary
// file, only whole files.
func TestInterruptCLIPutTreeLeavesNoTempFiles(t *testing.T) {
	key, fw, dir, pinned := interruptSetup(t)
	src := filepath.Join(dir, "tree")
	for i := range 4 {
		sparseFile(t, filepath.Join(src, fmt.Sprint("big", i)), 64<<20)
	}
	if err := os.WriteFile(filepath.Join(src, "small"), []byte("small"), 0o644); err != nil {
		t.Fatal(err)
	}
	remote := filepath.Join(dir, "in")
	if err := os.Mkdir(remote, 0o755); err != nil {
		t.Fatal(err)
	}
	proc, wait := startSshpin(t, "sftp", "-F", "none", "--pinned", pinned, "-i", key, "put", "-r", src, fw.Addr+":"+remote)
	<-fw.Reached()
	fw.Hold()
	proc.Signal(os.Interrupt)
	fw.Release()
	r := wait()
	if r.code != 130 {
		t.Errorf("exit %d, want 130\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, ": interrupted\n") {
		t.Errorf("stderr names no interrupted file:\n%s", r.stderr)
	}
	noneSays(t, r.stderr, "context canceled", "did not serve a read", "sftpx:", "timed out")
	// Every file the server holds is a whole copy of its source: a
	// temporary file has no source of its name, a cut one other bytes.
	err := filepath.WalkDir(remote, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") {
			t.Errorf("the server kept the temporary file %s", p)
			return nil
		}
		rel, err := filepath.Rel(filepath.Join(remote, "tree"), p)
		if err != nil {
			return err
		}
		want, err := os.ReadFile(filepath.Join(src, rel))
		if err != nil {
			t.Errorf("the server holds %s, which has no source: %v", p, err)
			return nil
		}
		if got, _ := os.ReadFile(p); !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, want the whole file's %d", rel, len(got), len(want))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A second Ctrl-C (or SIGTERM) exits at once, whatever the first one is
// still waiting for: here an interrupted upload waiting for a server that
// stopped answering to acknowledge its last writes. Signal handling used
// to ignore every signal after the first.
func TestInterruptCLISecondExitsAtOnce(t *testing.T) {
	key, fw, dir, pinned := interruptSetup(t)
	src := filepath.Join(dir, "src")
	sparseFile(t, src, 256<<20)
	proc, wait := startSshpin(t, "sftp", "-F", "none", "--pinned", pinned, "-i", key, "--timeout", "10m", "put", src, fw.Addr+":"+dir+"/dst")
	<-fw.Reached()
	fw.Hold() // the server stops answering, for good
	proc.Signal(os.Interrupt)
	proc.Signal(syscall.SIGTERM)
	r := wait()
	if r.code != 130 || !strings.Contains(r.stderr, "sshpin: interrupted again: exiting at once") {
		t.Errorf("exit %d, want 130 and a word about it\n%s", r.code, r.stderr)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}
