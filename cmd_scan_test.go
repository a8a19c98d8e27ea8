package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sshpin/sshpin/internal/demo"
)

// demoTarget starts the demo server on loopback and returns its host:port.
func demoTarget(t *testing.T) string {
	t.Helper()
	srv, err := demo.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.Addr().String()
}

// tarpit accepts connections and never says a word; accepted receives one
// value per connection. Its connections close when the test ends.
func tarpit(t *testing.T) (addr string, accepted <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{}, 100)
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			ch <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String(), ch
}

// port drops closedPort's host (pin_integration_test.go): always 127.0.0.1.
func port(_ string, p int) int { return p }

// onWrite is a stdout that calls fn once, at the first write.
type onWrite struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	once sync.Once
	fn   func()
}

func (w *onWrite) Write(b []byte) (int, error) {
	w.mu.Lock()
	n, err := w.buf.Write(b)
	w.mu.Unlock()
	w.once.Do(w.fn)
	return n, err
}

func (w *onWrite) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// Ctrl-C after the first JSON record: the run stops without waiting for
// the tarpits' (long) timeout, exits 130, and what was printed is the one
// finished result, not the interrupted ones dressed up as failures.
func TestInterruptStreamsResultsSoFar(t *testing.T) {
	good := demoTarget(t)
	pit1, _ := tarpit(t)
	pit2, _ := tarpit(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := &onWrite{fn: cancel}
	var stderr bytes.Buffer
	code := run(ctx, []string{"sshpin", "scan", "--json", "--timeout", "10m", pit1, good, pit2}, strings.NewReader(""), stdout, &stderr)
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, &stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"target":"`+good+`"`) || !strings.Contains(lines[0], `"sha256":"SHA256:`) {
		t.Errorf("stdout %q, want the demo server's record alone", stdout.String())
	}
	if !strings.Contains(stderr.String(), "sshpin: interrupted: 1 of 3 targets done") {
		t.Errorf("stderr %q, want the interrupt counted", &stderr)
	}
}

// The table waits for the run, so an interrupt must still print it: with
// one worker the tarpit is dialled only once the demo server's result is
// in, and its connection is the cue to interrupt.
func TestInterruptPrintsTableSoFar(t *testing.T) {
	good := demoTarget(t)
	pit, accepted := tarpit(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-accepted
		cancel()
	}()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"sshpin", "scan", "--concurrency", "1", "--timeout", "10m", good, pit}, strings.NewReader(""), &stdout, &stderr)
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, &stderr)
	}
	if !strings.Contains(stdout.String(), "ssh-ed25519") || strings.Contains(stdout.String(), pit) {
		t.Errorf("stdout:\n%s\nwant the demo server's keys and nothing of the tarpit", &stdout)
	}
}

// Targets stream in: a target on standard input is scanned and printed
// while the input is still open, before the list has an end.
func TestTargetsStreamFromStdin(t *testing.T) {
	// Two servers: a target named twice would be worked on once.
	goods := []string{demoTarget(t), demoTarget(t)}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	codeCh := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		codeCh <- run(context.Background(), []string{"sshpin", "probe", "--json", "-f", "-"}, inR, outW, &stderr)
		outW.Close()
	}()
	out := bufio.NewReader(outR)
	for i, good := range goods {
		fmt.Fprintln(inW, good)
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if !strings.Contains(line, `"banner":"SSH-2.0-sshpin_demo"`) {
			t.Errorf("record %d: %s", i, line)
		}
	}
	inW.Close()
	if rest, _ := io.ReadAll(out); len(rest) != 0 {
		t.Errorf("more output: %s", rest)
	}
	if code := <-codeCh; code != exitOK {
		t.Errorf("exit %d; stderr:\n%s", code, &stderr)
	}
}

// A malformed line on standard input, which cannot be read twice, stops
// the feed where it is: what came before is reported, and the run exits 2
// naming the line. A regular file is checked whole before anything runs.
func TestBadLineOnStdin(t *testing.T) {
	closed := "127.0.0.1:" + strconv.Itoa(port(closedPort(t)))
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"sshpin", "probe", "--json", "-f", "-"},
		strings.NewReader(closed+"\na:b:c:d\n"+closed+"\n"), &stdout, &stderr)
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	if !strings.Contains(stderr.String(), `target: stdin:2: "a:b:c:d"`) {
		t.Errorf("stderr %q, want the bad line named", &stderr)
	}
	if n := strings.Count(stdout.String(), `"target"`); n != 1 {
		t.Errorf("%d records, want the one before the bad line:\n%s", n, &stdout)
	}

	// The same list in a file: nothing runs.
	file := filepath.Join(t.TempDir(), "list")
	os.WriteFile(file, []byte(closed+"\na:b:c:d\n"), 0o644)
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"sshpin", "probe", "--json", "-f", file}, nil, &stdout, &stderr); code != exitFailure || stdout.Len() != 0 {
		t.Errorf("exit %d, stdout %q; want 2 and nothing", code, &stdout)
	}

	// An empty list is a usage error, from a file or from stdin.
	os.WriteFile(file, []byte("# nothing\n"), 0o644)
	for _, args := range [][]string{{"-f", file}, {"-f", "-"}} {
		stderr.Reset()
		code := run(context.Background(), append([]string{"sshpin", "probe"}, args...), strings.NewReader("\n"), &stdout, &stderr)
		if code != exitFailure || !strings.Contains(stderr.String(), "no target given") {
			t.Errorf("%v: exit %d, stderr %q", args, code, &stderr)
		}
	}
}

// Through the CLI: the shards' JSON Lines, concatenated, name every
// target of the list once.
func TestShardsThroughTheCLI(t *testing.T) {
	_, port := closedPort(t)
	var want []string
	for i := 1; i <= 40; i++ {
		want = append(want, fmt.Sprintf("127.0.0.%d:%d", i, port))
	}
	file := filepath.Join(t.TempDir(), "list")
	os.WriteFile(file, []byte(strings.Join(want, "\n")+"\n"), 0o644)
	var got []string
	for i := 1; i <= 3; i++ {
		var stdout, stderr bytes.Buffer
		run(context.Background(), []string{"sshpin", "probe", "--json", "--shard", fmt.Sprintf("%d/3", i), "-f", file}, nil, &stdout, &stderr)
		dec := json.NewDecoder(&stdout)
		for dec.More() {
			var rec struct{ Target string }
			if err := dec.Decode(&rec); err != nil {
				t.Fatal(err)
			}
			got = append(got, rec.Target)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("shards gave %d targets:\n%v\nwant each of %d once", len(got), got, len(want))
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"sshpin", "probe", "--shard", "4/3", "-f", file}, nil, io.Discard, &stderr); code != exitFailure || !strings.Contains(stderr.String(), "--shard") {
		t.Errorf("--shard 4/3: exit %d, stderr %q", code, &stderr)
	}
}

// The progress line is drawn only on a terminal: a run whose stderr is a
// buffer (a pipe, a log) shows none. What it draws is report's
// TestProgress.
func TestProgress(t *testing.T) {
	closed := "127.0.0.1:" + strconv.Itoa(port(closedPort(t)))
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"sshpin", "probe", closed}, nil, &stdout, &stderr)
	if strings.ContainsAny(stderr.String(), "\r\x1b") {
		t.Errorf("progress on a stderr that is no terminal: %q", &stderr)
	}
}
