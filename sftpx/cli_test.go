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

func pinLines(t *testing.T, p *testpeer.Peer, keys []ssh.PublicKey) string {
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("[" + p.Host + "]:" + strconv.Itoa(p.Port) + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + "\n")
	}
	return b.String()
}
