package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/demo"
)

// sshpinIn is sshpin (pin_integration_test.go) with standard input.
func sshpinIn(stdin io.Reader, args ...string) sshpinResult {
	var stdout, stderr bytes.Buffer
	argv := append([]string{"sshpin", "--timeout", "60s"}, args...)
	code := run(context.Background(), argv, stdin, &stdout, &stderr)
	return sshpinResult{code, stdout.String(), stderr.String()}
}

// fleet is what the --from tests judge: two demo servers with the same
// keys (a cloned image, which audit flags) and a closed port, scanned to
// JSON Lines, and the demo servers pinned.
type fleet struct {
	dir, jsonl, pinned string
	targets            []string
	servers            []*demo.Server
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	f := &fleet{dir: t.TempDir()}
	for range 2 {
		srv, err := demo.Start("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		f.servers = append(f.servers, srv)
		f.targets = append(f.targets, srv.Addr().String())
	}
	f.targets = append(f.targets, "127.0.0.1:"+strconv.Itoa(port(closedPort(t))))
	r := sshpin(append([]string{"scan", "--json"}, f.targets...)...)
	if r.code != exitFailure || strings.Count(r.stdout, "\n") != 3 {
		t.Fatalf("scan: %s", r)
	}
	f.jsonl = filepath.Join(f.dir, "fleet.jsonl")
	writeFile(t, f.jsonl, r.stdout)
	f.pinned = filepath.Join(f.dir, "host.keys")
	mustPin(t, f.pinned, f.targets[:2]...)
	return f
}

// stop closes the demo servers: from then on a run that reached for the
// network would find nothing there.
func (f *fleet) stop() {
	for _, s := range f.servers {
		s.Close()
	}
}

// check and audit --from judge a scan's records exactly as the live runs
// judge the servers: the same stdout, byte for byte, the same stderr, the
// same exit status, in every output format. The --from runs happen after
// the servers are gone: they touch no network.
func TestFromJudgesAsTheLiveRunDoes(t *testing.T) {
	f := newFleet(t)
	runs := [][]string{
		{"check", "--pinned", f.pinned},
		{"check", "--pinned", f.pinned, "--json"},
		{"check", "--pinned", f.pinned, "--format", "markdown"},
		{"audit"},
		{"audit", "--json"},
		{"audit", "--no-keys", "--json"},
		{"audit", "--policy", "strict"},
	}
	live := make([]sshpinResult, len(runs))
	for i, args := range runs {
		live[i] = sshpin(append(slices.Clone(args), f.targets...)...)
	}
	f.stop()
	for i, args := range runs {
		// The targets named, in the live run's order: the same output.
		got := sshpin(slices.Concat(args, []string{"--from", f.jsonl}, f.targets)...)
		if got.code != live[i].code || got.stdout != live[i].stdout || got.stderr != live[i].stderr {
			t.Errorf("%v --from differs from the live run.\nlive: %s\nfrom: %s", args, live[i], got)
		}
		// No target named: every record, in the order the scan finished
		// them, which is not the list's.
		got = sshpin(slices.Concat(args, []string{"--from", f.jsonl})...)
		if got.code != live[i].code || sortedLines(got.stdout) != sortedLines(live[i].stdout) || got.stderr != live[i].stderr {
			t.Errorf("%v --from, every record, differs from the live run.\nlive: %s\nfrom: %s", args, live[i], got)
		}
	}
	// Spot checks that the runs compared said something.
	if live[0].code != exitFailure || !strings.Contains(live[0].stdout, "matches the pin") || !strings.Contains(live[0].stdout, "connection refused") {
		t.Errorf("live check: %s", live[0])
	}
	if live[3].code != exitFindings || !strings.Contains(live[3].stdout, "same host key as: "+f.targets[1]) {
		t.Errorf("live audit: %s", live[3])
	}
}

func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// JSON Lines from shards concatenate: judged from the shards' files (one
// --from each, or cat'ed on stdin), a fleet is judged as from one run's.
func TestFromShardsConcatenate(t *testing.T) {
	f := newFleet(t)
	list := filepath.Join(f.dir, "list")
	writeFile(t, list, strings.Join(f.targets, "\n")+"\n")
	var shards []string
	var all bytes.Buffer
	for i := 1; i <= 3; i++ {
		r := sshpin("scan", "--json", "--shard", strconv.Itoa(i)+"/3", "-f", list)
		name := filepath.Join(f.dir, "shard"+strconv.Itoa(i)+".jsonl")
		writeFile(t, name, r.stdout)
		shards = append(shards, "--from", name)
		all.WriteString(r.stdout)
	}
	f.stop()
	for _, cmd := range [][]string{{"check", "--json", "--pinned", f.pinned}, {"audit", "--json"}} {
		whole := sshpin(append(slices.Clone(cmd), "--from", f.jsonl)...)
		parts := sshpin(append(slices.Clone(cmd), shards...)...)
		piped := sshpinIn(strings.NewReader(all.String()), append(slices.Clone(cmd), "--from", "-")...)
		if strings.Count(whole.stdout, "\n") != 3 {
			t.Fatalf("%v: %s", cmd, whole)
		}
		for _, r := range []sshpinResult{parts, piped} {
			if r.code != whole.code || sortedLines(r.stdout) != sortedLines(whole.stdout) {
				t.Errorf("%v from the shards:\n%s\nwant, in any order:\n%s", cmd, r, whole)
			}
		}
	}
}

// retype rewrites every record of a JSON Lines file through edit.
func retype(t *testing.T, in, out string, edit func(rec map[string]any)) {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(readFile(t, in))), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		edit(rec)
		j, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	writeFile(t, out, b.String())
}

// A record whose key was swapped is a changed key, whatever fingerprints
// the record still shows: they are worked out again from the key. A
// record whose fingerprints alone were edited still matches its pins.
func TestFromTamperedRecord(t *testing.T) {
	f := newFleet(t)
	f.stop()
	other := otherEd25519(t)
	forEd := func(fn func(k map[string]any)) func(map[string]any) {
		return func(rec map[string]any) {
			keys, _ := rec["keys"].([]any)
			for _, k := range keys {
				if k := k.(map[string]any); k["type"] == "ssh-ed25519" {
					fn(k)
				}
			}
		}
	}
	swapped := filepath.Join(f.dir, "swapped.jsonl")
	retype(t, f.jsonl, swapped, forEd(func(k map[string]any) { k["public_key"] = other }))
	r, recs := checkJSON(t, f.pinned, "--from", swapped, f.targets[0])
	if r.code != exitFindings || len(recs) != 1 || recs[0].row(t, "ssh-ed25519").Status != "changed" {
		t.Errorf("a swapped key: %s", r)
	}
	if !strings.Contains(r.stderr, "1 of 1 host drifted") {
		t.Errorf("stderr %q", r.stderr)
	}

	forged := filepath.Join(f.dir, "forged.jsonl")
	retype(t, f.jsonl, forged, forEd(func(k map[string]any) { k["sha256"], k["md5"] = "SHA256:forged", "MD5:forged" }))
	r, recs = checkJSON(t, f.pinned, "--from", forged, f.targets[0])
	if r.code != exitOK || len(recs) != 1 || recs[0].row(t, "ssh-ed25519").Status != "ok" {
		t.Errorf("forged fingerprints taken from the file: %s", r)
	}
}

// otherEd25519 is an ed25519 key no server of the tests has.
func otherEd25519(t *testing.T) string {
	t.Helper()
	k, _, _, _, err := ssh.ParseAuthorizedKey(readFile(t, "testdata/knownhosts/keys/other_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

// TARGETs pick the records judged; one without a record cannot be
// verified. A malformed line fails the run before anything is judged,
// naming file:line. Probe records hold no keys: check cannot verify them,
// audit rates their hello and says so.
func TestFromFiltersAndBadInput(t *testing.T) {
	f := newFleet(t)
	f.stop()

	r, recs := checkJSON(t, f.pinned, "--from", f.jsonl, f.targets[1], "127.0.0.1:9")
	if r.code != exitFailure || len(recs) != 2 {
		t.Fatalf("%s", r)
	}
	if recs[0].Target != f.targets[1] || recs[0].Status != "ok" {
		t.Errorf("first record %+v, want the named target's, ok", recs[0])
	}
	if recs[1].Target != "127.0.0.1:9" || recs[1].Status != "unverified" || !strings.Contains(recs[1].Checks[0].Detail, "no record of it in "+f.jsonl) {
		t.Errorf("second record %+v, want the target without a record, unverified", recs[1])
	}

	// The same targets from a list, in another spelling.
	list := filepath.Join(f.dir, "list")
	writeFile(t, list, "["+strings.Replace(f.targets[1], ":", "]:", 1)+"\n")
	if r, recs := checkJSON(t, f.pinned, "--from", f.jsonl, "-f", list); r.code != exitOK || len(recs) != 1 {
		t.Errorf("-f as a filter: %s", r)
	}

	bad := filepath.Join(f.dir, "bad.jsonl")
	lines := strings.SplitAfter(string(readFile(t, f.jsonl)), "\n")
	writeFile(t, bad, lines[0]+"\n"+`{"target":"`+f.targets[1]+`","keys":[{"public_key":"ssh-ed25519 AAAA"}]}`+"\n")
	for _, cmd := range [][]string{{"check", "--pinned", f.pinned}, {"audit"}} {
		r := sshpin(append(slices.Clone(cmd), "--from", f.jsonl, "--from", bad)...)
		if r.code != exitFailure || r.stdout != "" || !strings.Contains(r.stderr, "sshpin: "+bad+":3: keys[0].public_key: ") {
			t.Errorf("%v with a bad line: %s", cmd, r)
		}
	}
	if r := sshpin("audit", "--from", filepath.Join(f.dir, "nosuch")); r.code != exitFailure || !strings.Contains(r.stderr, "cannot read results") {
		t.Errorf("a missing file: %s", r)
	}
	empty := filepath.Join(f.dir, "empty.jsonl")
	writeFile(t, empty, "\n")
	if r := sshpin("audit", "--from", empty); r.code != exitFailure || !strings.Contains(r.stderr, "no record to judge in "+empty) {
		t.Errorf("an empty file: %s", r)
	}
	if r := sshpinIn(strings.NewReader(""), "audit", "--from", "-", "-f", "-"); r.code != exitFailure || !strings.Contains(r.stderr, "more than once") {
		t.Errorf("stdin twice: %s", r)
	}

	probes := filepath.Join(f.dir, "probe.jsonl")
	retype(t, f.jsonl, probes, func(rec map[string]any) { delete(rec, "keys"); delete(rec, "not_retrieved") })
	r, recs = checkJSON(t, f.pinned, "--from", probes, f.targets[0])
	if r.code != exitFailure || len(recs) != 1 || recs[0].Status != "unverified" || !strings.Contains(recs[0].Checks[0].Detail, "holds no keys") {
		t.Errorf("check of a probe record: %s", r)
	}
	r = sshpin("audit", "--from", probes, f.targets[0])
	if r.code != exitFindings || !strings.Contains(r.stderr, "1 record holds no keys") || !strings.Contains(r.stdout, "diffie-hellman-group14-sha1") {
		t.Errorf("audit of a probe record: %s", r)
	}
}

// Ctrl-C while --from - waits on a pipe that does not end: the records
// read so far are judged and the run exits 130, as a scan interrupted
// midway does.
func TestFromInterruptedStdin(t *testing.T) {
	f := newFleet(t)
	f.stop()
	first, _, _ := strings.Cut(string(readFile(t, f.jsonl)), "\n")
	inR, inW := io.Pipe()
	t.Cleanup(func() { inW.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	codeCh := make(chan int, 1)
	var stdout, stderr bytes.Buffer
	go func() {
		codeCh <- run(ctx, []string{"sshpin", "audit", "--json", "--from", "-"}, inR, &stdout, &stderr)
	}()
	io.WriteString(inW, first+"\n")
	// Taken once the first record is in: the reader asks for more only
	// after it has kept the line before.
	io.WriteString(inW, "{")
	cancel()
	if code := <-codeCh; code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, &stderr)
	}
	if n := strings.Count(stdout.String(), "\n"); n != 1 || !strings.Contains(stdout.String(), `"worst"`) && !strings.Contains(stdout.String(), `"error"`) {
		t.Errorf("stdout %q, want the one record read, rated", &stdout)
	}
	if !strings.Contains(stderr.String(), "interrupted: 1 of 1 target done") {
		t.Errorf("stderr %q", &stderr)
	}
}
