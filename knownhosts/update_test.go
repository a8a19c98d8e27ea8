package knownhosts

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/atomicfile"
)

// addHost is the Update function the tests run: pin key for host.
func addHost(host string, key ssh.PublicKey) func(*File) error {
	return func(f *File) error {
		c, err := f.Plan(host, 22, []ssh.PublicKey{key}, MergeOptions{})
		if err != nil {
			return err
		}
		return f.Apply(c)
	}
}

func TestUpdate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "known_hosts")
	key := fixtureKey(t, "server_ed25519")

	// Nothing to write: no file appears.
	if err := Update(path, func(*File) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a no-op Update created the file: %v", err)
	}
	if err := Update(path, addHost("a.example.com", key)); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, "a.example.com "+authorized(key)+"\n", 0o644)
	before, _ := os.Stat(path)

	// Already pinned, or fn fails: the file is not rewritten.
	if err := Update(path, addHost("a.example.com", key)); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := Update(path, func(f *File) error { _ = addHost("b.example.com", key)(f); return boom }); !errors.Is(err, boom) {
		t.Fatalf("fn's error: %v", err)
	}
	after, _ := os.Stat(path)
	if !os.SameFile(before, after) {
		t.Error("the file was replaced without a change")
	}

	// A killed writer's temporary file is cleaned up under the lock.
	stale := filepath.Join(dir, ".known_hosts.sshpin-tmp-123456")
	other := filepath.Join(dir, ".other.sshpin-tmp-123456")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := Update(path, func(*File) error { return nil }); err != nil {
		t.Fatal(err)
	}
	assertNoTemps(t, path)
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another file's temporary file was removed: %v", err)
	}
	if _, err := os.Stat(path + ".lock"); err != nil {
		t.Errorf("lock file: %v", err)
	}
}

// TestUpdateConcurrent: goroutines and processes each pin their own hosts
// in one file at the same time; every entry must survive.
func TestUpdateConcurrent(t *testing.T) {
	const goroutines, procs, each = 8, 4, 10
	path := filepath.Join(t.TempDir(), "known_hosts")
	key := fixtureKey(t, "server_ed25519")

	var wg sync.WaitGroup
	errs := make(chan error, goroutines+procs)
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				if err := Update(path, addHost(fmt.Sprintf("g%d-%d.example.com", g, i), key)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for p := range procs {
		cmd := child(t, "add", path, fmt.Sprintf("p%d", p), strconv.Itoa(each))
		wg.Go(func() {
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("child: %v\n%s", err, out)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hosts, _, err := f.Hosts()
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != (goroutines+procs)*each || len(f.Lines) != len(hosts) {
		t.Errorf("%d hosts on %d lines, want %d", len(hosts), len(f.Lines), (goroutines+procs)*each)
	}
	if p := f.Lint(); len(p) != 0 {
		t.Errorf("lint: %s", renderProblems(p))
	}
	assertNoTemps(t, path)
}

// child starts this test binary as a helper process (see TestHelperProcess).
func child(t *testing.T, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SSHPIN_KNOWNHOSTS_HELPER=1")
	for i, a := range args {
		cmd.Env = append(cmd.Env, fmt.Sprintf("SSHPIN_KNOWNHOSTS_ARG%d=%s", i, a))
	}
	return cmd
}

// TestHelperProcess is the child's side of child(): it only runs there.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("SSHPIN_KNOWNHOSTS_HELPER") != "1" {
		t.Skip("helper process")
	}
	arg := func(i int) string { return os.Getenv(fmt.Sprintf("SSHPIN_KNOWNHOSTS_ARG%d", i)) }
	key := fixtureKey(t, "server_ed25519")
	path := arg(1)
	out := bufio.NewWriter(os.Stdout)
	report := func(format string, a ...any) {
		fmt.Fprintf(out, "kh: "+format+"\n", a...)
		out.Flush()
	}
	switch arg(0) {
	case "add": // prefix count
		n, _ := strconv.Atoi(arg(3))
		for i := range n {
			if err := Update(path, addHost(fmt.Sprintf("%s-%d.example.com", arg(2), i), key)); err != nil {
				t.Fatal(err)
			}
		}
	case "loop": // stop-stage stop-after: pin new hosts until told to hang
		// Counting starts after the entries already in the file, so that
		// every iteration writes.
		base := 0
		if f, err := ReadFile(path); err == nil {
			base = len(f.Lines)
		}
		stopAt, _ := strconv.Atoi(arg(3))
		i := 0
		atomicfile.Stage = func(name string) {
			report("%d %s", i, name)
			if name == arg(2) && i == stopAt {
				report("stopped")
				select {} // wait for SIGKILL
			}
		}
		for ; i < stopAt+100; i++ { // bounded, in case the parent misses its cue
			if err := Update(path, addHost(crashHost(base+i), key)); err != nil {
				t.Fatal(err)
			}
			report("%d done", i)
		}
		t.Fatal("never killed")
	default:
		t.Fatalf("unknown helper %q", arg(0))
	}
}

func crashHost(i int) string { return fmt.Sprintf("h%04d.example.com", i) }
