package main

// Integration tests of "sshpin pin" and "sshpin check" against real OpenSSH
// servers (internal/testpeer), through run(), the whole CLI in-process.
// OpenSSH's own tools (ssh, ssh-keygen, ssh-keyscan) are the reference for
// what a known_hosts file means.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// The key types ("ssh" names) of testpeer.ModernKeyTypes.
const (
	typeEd25519 = "ssh-ed25519"
	typeECDSA   = "ecdsa-sha2-nistp256"
	typeRSA     = "ssh-rsa"
)

var modernTypes = []string{typeEd25519, typeECDSA, typeRSA}

// checkRecord is the part of check's JSON line the tests read.
type checkRecord struct {
	Target     string     `json:"target"`
	Host       string     `json:"host"`
	Port       int        `json:"port"`
	Error      string     `json:"error"`
	PinnedName string     `json:"pinned_name"`
	Status     string     `json:"status"`
	Checks     []keyCheck `json:"checks"`
}

type keyCheck struct {
	Status    string `json:"status"`
	Type      string `json:"type"`
	Presented string `json:"presented"`
	Pinned    string `json:"pinned"`
	Lines     []int  `json:"lines"`
	Detail    string `json:"detail"`
}

// statuses maps each key type of r to its status; it fails the test when a
// type has two rows.
func (r checkRecord) statuses(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, c := range r.Checks {
		if old, ok := m[c.Type]; ok {
			t.Errorf("%s: two rows for type %q (%s, %s)", r.Target, c.Type, old, c.Status)
		}
		m[c.Type] = c.Status
	}
	return m
}

// row returns r's row of type typ, failing the test if there is none.
func (r checkRecord) row(t *testing.T, typ string) keyCheck {
	t.Helper()
	for _, c := range r.Checks {
		if c.Type == typ {
			return c
		}
	}
	t.Fatalf("%s: no row of type %q in %+v", r.Target, typ, r.Checks)
	return keyCheck{}
}

// sshpinResult is what one run of the CLI did.
type sshpinResult struct {
	code           int
	stdout, stderr string
}

func (r sshpinResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// sshpin runs the CLI in-process. A generous --timeout keeps a slow
// machine (RSA under -race) from turning into an unverified host; it is a
// deadline, not a timing assertion.
func sshpin(args ...string) sshpinResult {
	var stdout, stderr bytes.Buffer
	argv := append([]string{"sshpin", "--timeout", "60s"}, args...)
	code := run(context.Background(), argv, nil, &stdout, &stderr)
	return sshpinResult{code, stdout.String(), stderr.String()}
}

// mustPin pins targets into file and fails the test unless pin exits 0.
func mustPin(t *testing.T, file string, args ...string) sshpinResult {
	t.Helper()
	r := sshpin(append([]string{"pin", "--pinned", file}, args...)...)
	if r.code != 0 {
		t.Fatalf("sshpin pin --pinned %s %s: %s", file, strings.Join(args, " "), r)
	}
	return r
}

// checkJSON runs check --json and decodes every line of its output.
func checkJSON(t *testing.T, file string, args ...string) (sshpinResult, []checkRecord) {
	t.Helper()
	r := sshpin(append([]string{"check", "--json", "--pinned", file}, args...)...)
	var recs []checkRecord
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec checkRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("check --json: line %q is not a JSON object: %v\n%s", sc.Text(), err, r)
		}
		recs = append(recs, rec)
	}
	return r, recs
}

// checkOne runs check --json on one target and wants exactly one record.
func checkOne(t *testing.T, file, addr string, args ...string) (sshpinResult, checkRecord) {
	t.Helper()
	r, recs := checkJSON(t, file, append(args, addr)...)
	if len(recs) != 1 {
		t.Fatalf("check %s: %d JSON lines, want 1\n%s", addr, len(recs), r)
	}
	return r, recs[0]
}

// wantAllOK fails the test unless rec says every type in types is ok, and
// nothing else.
func wantAllOK(t *testing.T, rec checkRecord, types []string) {
	t.Helper()
	wantAll(t, rec, types, "ok")
}

// wantAll checks that every row of rec, one per type, and rec itself, say
// status.
func wantAll(t *testing.T, rec checkRecord, types []string, status string) {
	t.Helper()
	want := map[string]string{}
	for _, typ := range types {
		want[typ] = status
	}
	if got := rec.statuses(t); !mapsEqual(got, want) {
		t.Errorf("%s: statuses %v, want %v\nrows: %+v", rec.Target, got, want, rec.Checks)
	}
	if rec.Status != status {
		t.Errorf("%s: host status %q, want %s", rec.Target, rec.Status, status)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// entries returns the non-blank, non-comment lines of a known_hosts file.
func entries(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(string(readFile(t, path)), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// pubKey is one .pub file of a peer: its type and base64 blob.
type pubKey struct{ typ, b64 string }

func peerKeys(t *testing.T, p *testpeer.Peer) []pubKey {
	t.Helper()
	var out []pubKey
	for _, path := range p.PubKeys {
		f := strings.Fields(string(readFile(t, path)))
		if len(f) < 2 {
			t.Fatalf("%s: not a public key file", path)
		}
		out = append(out, pubKey{f[0], f[1]})
	}
	return out
}

// hostField is how known_hosts names a peer: [127.0.0.1]:PORT.
func hostField(p *testpeer.Peer) string { return fmt.Sprintf("[%s]:%d", p.Host, p.Port) }

// wantPinned fails the test unless the known_hosts lines lines hold exactly
// p's current public keys under host, one line each.
func wantPinned(t *testing.T, lines []string, host string, p *testpeer.Peer) {
	t.Helper()
	var got []string
	for _, l := range lines {
		if f := strings.Fields(l); len(f) >= 3 && f[0] == host {
			got = append(got, f[1]+" "+f[2])
		}
	}
	var want []string
	for _, k := range peerKeys(t, p) {
		want = append(want, k.typ+" "+k.b64)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("lines for %s:\n%s\nwant one per key of the server:\n%s", host, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// closedPort returns a loopback host:port where nothing listens.
func closedPort(t *testing.T) (string, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return "127.0.0.1", port
}

func TestPinWritesOneLinePerKeyTypeAndCheckPasses(t *testing.T) {
	for _, server := range []struct {
		name  string
		start func(testing.TB) *testpeer.Peer
	}{
		{"openssh", testpeer.Modern},
		{"dropbear", func(t testing.TB) *testpeer.Peer { return testpeer.Dropbear(t) }},
	} {
		t.Run(server.name, func(t *testing.T) {
			p := server.start(t)
			for _, tc := range []struct {
				name, before string // the file before pin; "" for none
			}{
				{"new file", ""},
				{"other lines, no final newline", "# fleet pins\nexample.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEGJ5c8TfR4mVJ9pRgQ52GzM8QzMQEJmlzyP5bHJgOJQ # a comment\n\n# the end"},
				{"crlf", "# fleet pins\r\nexample.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEGJ5c8TfR4mVJ9pRgQ52GzM8QzMQEJmlzyP5bHJgOJQ\r\n"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					file := filepath.Join(t.TempDir(), "host.keys")
					if tc.before != "" {
						writeFile(t, file, tc.before)
					}

					mustPin(t, file, p.Addr)
					after := string(readFile(t, file))
					if !strings.HasPrefix(after, tc.before) {
						t.Fatalf("pin did not keep the file's lines byte for byte:\nbefore:\n%q\nafter:\n%q", tc.before, after)
					}
					rest := after[len(tc.before):]
					if tc.before != "" && !strings.HasSuffix(tc.before, "\n") {
						// The old last line lacked its line break: pin must
						// add one, not glue its first line onto that one.
						if !strings.HasPrefix(rest, "\n") && !strings.HasPrefix(rest, "\r\n") {
							t.Errorf("pin appended to an unterminated last line:\n%q", after)
						}
						rest = strings.TrimLeft(rest, "\r\n")
					}
					var added []string
					for _, l := range strings.Split(strings.TrimRight(rest, "\r\n"), "\n") {
						added = append(added, strings.TrimRight(l, "\r"))
					}
					if len(added) != len(modernTypes) {
						t.Errorf("pin added %d lines, want %d (one per key type):\n%q", len(added), len(modernTypes), after)
					}
					wantPinned(t, added, hostField(p), p)

					r, rec := checkOne(t, file, p.Addr)
					if r.code != 0 {
						t.Errorf("check: exit %d, want 0\n%s", r.code, r)
					}
					wantAllOK(t, rec, modernTypes)

					mustPin(t, file, p.Addr)
					if again := string(readFile(t, file)); again != after {
						t.Errorf("pinning again changed the file:\nbefore:\n%q\nafter:\n%q", after, again)
					}
				})
			}
		})
	}
}

func TestPinAgainWritesNoDuplicates(t *testing.T) {
	p := testpeer.Modern(t)
	for _, tc := range []struct {
		name        string
		first, then []string // pin flags; first nil: the file comes from ssh-keyscan -H
	}{
		{"plain then plain", []string{}, []string{}},
		{"hashed then hashed", []string{"--hash"}, []string{"--hash"}},
		{"hashed then plain", []string{"--hash"}, []string{}},
		{"plain then hashed", []string{}, []string{"--hash"}},
		{"ssh-keyscan -H then plain", nil, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "host.keys")
			if tc.first == nil {
				writeFile(t, file, strings.Join(testpeer.Keyscan(t, p, "-H"), "\n")+"\n")
			} else {
				mustPin(t, file, append(tc.first, p.Addr)...)
			}
			before := readFile(t, file)
			mustPin(t, file, append(tc.then, p.Addr)...)
			if after := readFile(t, file); !bytes.Equal(before, after) {
				t.Errorf("pin %s over pins it already holds changed the file:\nbefore:\n%s\nafter:\n%s", strings.Join(tc.then, " "), before, after)
			}
		})
	}
}

func TestPinUnreachableHostWritesNothing(t *testing.T) {
	p := testpeer.Modern(t)
	file := filepath.Join(t.TempDir(), "host.keys")
	mustPin(t, file, p.Addr)
	before := readFile(t, file)
	host, port := closedPort(t)
	down := net.JoinHostPort(host, strconv.Itoa(port))

	r := sshpin("pin", "--pinned", file, down)
	if r.code != 2 {
		t.Errorf("pin of a closed port: exit %d, want 2\n%s", r.code, r)
	}
	if after := readFile(t, file); !bytes.Equal(before, after) {
		t.Errorf("pin of a closed port changed the file:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestPinRefusesRotatedKeysUnlessReplace(t *testing.T) {
	p := testpeer.Modern(t)
	file := filepath.Join(t.TempDir(), "host.keys")
	mustPin(t, file, p.Addr)
	p.RotateKeys(t)

	r, rec := checkOne(t, file, p.Addr)
	if r.code != 1 {
		t.Errorf("check after rotation: exit %d, want 1\n%s", r.code, r)
	}
	want := map[string]string{typeEd25519: "changed", typeECDSA: "changed", typeRSA: "changed"}
	if got := rec.statuses(t); !mapsEqual(got, want) {
		t.Errorf("check after rotation: %v, want %v", got, want)
	}
	for _, c := range rec.Checks {
		if c.Presented == "" || c.Pinned == "" || c.Presented == c.Pinned || len(c.Lines) != 1 {
			t.Errorf("changed row %+v: want presented and pinned fingerprints that differ, and the pinned line", c)
		}
	}

	before := readFile(t, file)
	r = sshpin("pin", "--pinned", file, p.Addr)
	if r.code != 1 {
		t.Errorf("pin without --replace after rotation: exit %d, want 1\n%s", r.code, r)
	}
	if !strings.Contains(r.stdout, "REFUSED") {
		t.Errorf("pin without --replace: stdout does not say REFUSED\n%s", r)
	}
	if after := readFile(t, file); !bytes.Equal(before, after) {
		t.Errorf("a refused pin changed the file:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	mustPin(t, file, "--replace", p.Addr)
	lines := entries(t, file)
	if len(lines) != len(modernTypes) {
		t.Errorf("after --replace: %d lines, want %d:\n%s", len(lines), len(modernTypes), strings.Join(lines, "\n"))
	}
	wantPinned(t, lines, hostField(p), p)
	r, rec = checkOne(t, file, p.Addr)
	if r.code != 0 {
		t.Errorf("check after pin --replace: exit %d, want 0\n%s", r.code, r)
	}
	wantAllOK(t, rec, modernTypes)
}

func TestCheckReportsMissingKeyType(t *testing.T) {
	p := testpeer.Modern(t)
	file := filepath.Join(t.TempDir(), "host.keys")
	mustPin(t, file, p.Addr)
	p.RotateKeys(t, "ed25519", "ecdsa")

	r, rec := checkOne(t, file, p.Addr)
	if r.code != 1 {
		t.Errorf("check: exit %d, want 1\n%s", r.code, r)
	}
	// RotateKeys gives new keys to the types that stay, too.
	want := map[string]string{typeEd25519: "changed", typeECDSA: "changed", typeRSA: "missing"}
	if got := rec.statuses(t); !mapsEqual(got, want) {
		t.Errorf("check: %v, want %v\nrows: %+v", got, want, rec.Checks)
	}
	if c := rec.row(t, typeRSA); c.Presented != "" || c.Pinned == "" || len(c.Lines) != 1 {
		t.Errorf("missing row %+v: want the pinned fingerprint and line, nothing presented", c)
	}
}

func TestCheckReportsNewKeyType(t *testing.T) {
	p := testpeer.Modern(t)
	file := filepath.Join(t.TempDir(), "host.keys")
	mustPin(t, file, p.Addr)
	var kept []string
	for _, l := range entries(t, file) {
		if strings.Fields(l)[1] != typeECDSA {
			kept = append(kept, l)
		}
	}
	writeFile(t, file, strings.Join(kept, "\n")+"\n")

	r, rec := checkOne(t, file, p.Addr)
	if r.code != 1 {
		t.Errorf("check: exit %d, want 1\n%s", r.code, r)
	}
	want := map[string]string{typeEd25519: "ok", typeECDSA: "new", typeRSA: "ok"}
	if got := rec.statuses(t); !mapsEqual(got, want) {
		t.Errorf("check: %v, want %v\nrows: %+v", got, want, rec.Checks)
	}
	if rec.Status != "drift" {
		t.Errorf("host status %q, want drift", rec.Status)
	}
}

// edKey returns p's ed25519 public key.
func edKey(t *testing.T, p *testpeer.Peer) pubKey {
	t.Helper()
	for _, k := range peerKeys(t, p) {
		if k.typ == typeEd25519 {
			return k
		}
	}
	t.Fatalf("%s serves no ed25519 key", p.Addr)
	return pubKey{}
}

func TestCheckReportsRevokedKey(t *testing.T) {
	p := testpeer.Modern(t)
	ed := edKey(t, p)
	revoked := "@revoked * " + ed.typ + " " + ed.b64 + "\n"
	for _, tc := range []struct {
		name   string
		pinned bool // the host's keys are pinned above the @revoked line
		want   map[string]string
	}{
		{"pinned host", true, map[string]string{typeEd25519: "revoked", typeECDSA: "ok", typeRSA: "ok"}},
		// Nothing vouches for the host, but a revoked key must still be
		// called revoked, as ssh does, not offered for pinning.
		{"host not pinned", false, map[string]string{typeEd25519: "revoked"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "host.keys")
			content := ""
			if tc.pinned {
				mustPin(t, file, p.Addr)
				content = string(readFile(t, file))
			}
			content += revoked
			writeFile(t, file, content)
			revokedLine := strings.Count(content, "\n")

			r, rec := checkOne(t, file, p.Addr)
			if r.code != 1 {
				t.Errorf("check: exit %d, want 1\n%s", r.code, r)
			}
			got := rec.statuses(t)
			for typ, want := range tc.want {
				if got[typ] != want {
					t.Errorf("%s: status %q, want %q\nrows: %+v", typ, got[typ], want, rec.Checks)
				}
			}
			if got[typeEd25519] == "revoked" {
				if c := rec.row(t, typeEd25519); !slices.Equal(c.Lines, []int{revokedLine}) {
					t.Errorf("revoked row names lines %v, want [%d] (the @revoked line)", c.Lines, revokedLine)
				}
			}
		})
	}
}

func TestCheckHostCertificates(t *testing.T) {
	for _, tc := range []struct {
		name     string
		keyTypes []string
		opts     testpeer.CertOptions
		revokeCA bool // add @revoked * CA under the @cert-authority line
		wantCode int
		want     string // the status of every certificate row
	}{
		{"valid", []string{"ed25519"}, testpeer.CertOptions{}, false, 0, "cert-ok"},
		{"valid, every key type", testpeer.ModernKeyTypes, testpeer.CertOptions{}, false, 0, "cert-ok"},
		{"expired", []string{"ed25519"}, testpeer.CertOptions{Validity: "20200101:20210101"}, false, 1, "cert-invalid"},
		{"wrong principal", []string{"ed25519"}, testpeer.CertOptions{Principals: []string{"other.example"}}, false, 1, "cert-invalid"},
		{"revoked CA", []string{"ed25519"}, testpeer.CertOptions{}, true, 1, "revoked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			p := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: tc.keyTypes, HostCertificates: &opts})
			ca := strings.Fields(string(readFile(t, p.CA)))
			file := filepath.Join(t.TempDir(), "host.keys")
			content := "@cert-authority * " + ca[0] + " " + ca[1] + "\n"
			wantLines := []int{1}
			if tc.revokeCA {
				content += "@revoked * " + ca[0] + " " + ca[1] + "\n"
				wantLines = []int{2}
			}
			writeFile(t, file, content)

			r, rec := checkOne(t, file, p.Addr)
			if r.code != tc.wantCode {
				t.Errorf("check: exit %d, want %d\n%s", r.code, tc.wantCode, r)
			}
			certRows := 0
			for _, c := range rec.Checks {
				if !strings.HasSuffix(c.Type, "-cert-v01@openssh.com") {
					if tc.want == "cert-ok" {
						t.Errorf("row %+v beside a valid certificate: the CA vouches for the host", c)
					}
					continue
				}
				certRows++
				if c.Status != tc.want {
					t.Errorf("certificate row %+v: status %q, want %q", c, c.Status, tc.want)
				}
				if !slices.Equal(c.Lines, wantLines) {
					t.Errorf("certificate row %+v: lines %v, want %v", c, c.Lines, wantLines)
				}
			}
			if certRows != len(tc.keyTypes) {
				t.Errorf("%d certificate rows, want %d (one per certified key)\nrows: %+v\n%s", certRows, len(tc.keyTypes), rec.Checks, r)
			}
			if tc.wantCode == 0 && rec.Status != "ok" {
				t.Errorf("host status %q, want ok\nrows: %+v", rec.Status, rec.Checks)
			}
		})
	}
}

// hostKeyAlgorithm is the algorithm that makes ssh ask for a key of typ.
func hostKeyAlgorithm(typ string) string {
	if typ == typeRSA {
		return "rsa-sha2-512"
	}
	return typ
}

func TestPinFileIsReadByOpenSSH(t *testing.T) {
	testpeer.Require(t, "ssh")
	keygen := testpeer.Require(t, "ssh-keygen")
	p := testpeer.Modern(t)
	for _, hash := range []bool{false, true} {
		t.Run(fmt.Sprintf("hash=%v", hash), func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "host.keys")
			args := []string{p.Addr}
			if hash {
				args = append([]string{"--hash"}, args...)
			}
			mustPin(t, file, args...)
			for _, l := range entries(t, file) {
				if h := strings.HasPrefix(l, "|1|"); h != hash {
					t.Errorf("line %q: hashed %v, want %v", l, h, hash)
				}
			}
			for _, typ := range modernTypes {
				alg := hostKeyAlgorithm(typ)
				if ok, out := testpeer.SSHAccepts(t, p, file, "-o", "HostKeyAlgorithms="+alg); !ok {
					t.Errorf("ssh -o HostKeyAlgorithms=%s rejects the host key pinned by sshpin:\n%s\nfile:\n%s", alg, out, readFile(t, file))
				}
			}
			out, err := exec.Command(keygen, "-F", hostField(p), "-f", file).CombinedOutput()
			if err != nil {
				t.Fatalf("ssh-keygen -F %s -f %s: %v\n%s", hostField(p), file, err, out)
			}
			for _, k := range peerKeys(t, p) {
				if !strings.Contains(string(out), k.b64) {
					t.Errorf("ssh-keygen -F %s does not find the %s key:\n%s", hostField(p), k.typ, out)
				}
			}
		})
	}
}

func TestCheckReadsFilesWrittenByOpenSSH(t *testing.T) {
	keygen := testpeer.Require(t, "ssh-keygen")
	p := testpeer.Modern(t)

	for _, tc := range []struct {
		name  string
		write func(t *testing.T, file string)
		plain bool // hosts can be listed: check works without a target
	}{
		{"ssh-keyscan", func(t *testing.T, file string) {
			writeFile(t, file, strings.Join(testpeer.Keyscan(t, p), "\n")+"\n")
		}, true},
		{"ssh-keyscan -H", func(t *testing.T, file string) {
			writeFile(t, file, strings.Join(testpeer.Keyscan(t, p, "-H"), "\n")+"\n")
		}, false},
		{"ssh-keygen -H", func(t *testing.T, file string) {
			mustPin(t, file, p.Addr)
			if out, err := exec.Command(keygen, "-H", "-f", file).CombinedOutput(); err != nil {
				t.Fatalf("ssh-keygen -H -f %s: %v\n%s", file, err, out)
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "host.keys")
			tc.write(t, file)
			for _, l := range entries(t, file) {
				if hashed := strings.HasPrefix(l, "|1|"); hashed == tc.plain {
					t.Fatalf("line %q: hashed %v, want %v", l, hashed, !tc.plain)
				}
			}

			r, rec := checkOne(t, file, p.Addr)
			if r.code != 0 {
				t.Errorf("check: exit %d, want 0\n%s\nfile:\n%s", r.code, r, readFile(t, file))
			}
			wantAllOK(t, rec, modernTypes)

			r, recs := checkJSON(t, file)
			if tc.plain {
				if r.code != 0 || len(recs) != 1 {
					t.Errorf("check without target: exit %d, %d JSON lines; want 0 and 1\n%s", r.code, len(recs), r)
				} else {
					wantAllOK(t, recs[0], modernTypes)
				}
				return
			}
			// Only hashed hosts: nothing to list, which is a usage error.
			if r.code != 2 || !strings.Contains(r.stderr, "hashed") {
				t.Errorf("check without target of a hashed-only file: want exit 2 and a word on hashed entries\n%s", r)
			}
		})
	}
}

// A bad line never hides the good ones after it (x/crypto's reader stops
// at the first), yet the run still says the file needs fixing.
func TestCheckMalformedLineDoesNotHideLaterLines(t *testing.T) {
	p := testpeer.Modern(t)
	pinned := filepath.Join(t.TempDir(), "pinned")
	mustPin(t, pinned, p.Addr)
	lines := entries(t, pinned)
	hf := hostField(p)

	for _, bad := range []string{
		hf + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA", // truncated key
		hf + " ssh-ed25519 !!!not-base64!!!",
		hf + " ssh-ed25519",                                  // no key
		"@trusted " + lines[0],                               // unknown marker
		hf + " ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIEGJ5c8TfR4m", // type does not match the key
	} {
		for _, tc := range []struct {
			name    string
			targets []string
		}{
			{"explicit target", []string{p.Addr}},
			{"hosts from the file", nil},
		} {
			t.Run(fmt.Sprintf("%s/%q", tc.name, bad), func(t *testing.T) {
				file := filepath.Join(t.TempDir(), "host.keys")
				writeFile(t, file, lines[0]+"\n"+bad+"\n"+strings.Join(lines[1:], "\n")+"\n")
				// Every host still verifies, but a pinned file with lines
				// OpenSSH skips is malformed input: exit 2 (CONTRACT.md).
				r, recs := checkJSON(t, file, tc.targets...)
				if r.code != 2 {
					t.Errorf("check: exit %d, want 2\n%s", r.code, r)
				}
				if len(recs) != 1 {
					t.Fatalf("check: %d JSON lines, want 1\n%s", len(recs), r)
				}
				wantAllOK(t, recs[0], modernTypes)
				if !strings.Contains(r.stderr, "malformed") {
					t.Errorf("check does not warn of the malformed line 2 on stderr:\n%s", r)
				}
			})
		}
	}
}

func TestCheckWithoutTargetChecksEveryPinnedHost(t *testing.T) {
	a, b := testpeer.Modern(t), testpeer.Modern(t)
	file := filepath.Join(t.TempDir(), "host.keys")
	mustPin(t, file, a.Addr, b.Addr)

	r, recs := checkJSON(t, file)
	if r.code != 0 {
		t.Errorf("check: exit %d, want 0\n%s", r.code, r)
	}
	var got []string
	for _, rec := range recs {
		got = append(got, rec.addr())
		wantAllOK(t, rec, modernTypes)
	}
	want := []string{a.Addr, b.Addr}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("check without target checked %v, want %v\n%s", got, want, r)
	}
}

// addr is the host:port a record is about.
func (r checkRecord) addr() string { return net.JoinHostPort(r.Host, strconv.Itoa(r.Port)) }

func TestCheckUnreachablePinnedHostIsUnverified(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rotate   bool // the reachable host drifted
		wantCode int
	}{
		{"beside a host that matches", false, 2},
		{"beside a host that drifted", true, 1}, // drift wins
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testpeer.Modern(t)
			file := filepath.Join(t.TempDir(), "host.keys")
			mustPin(t, file, p.Addr)
			host, port := closedPort(t)
			down := fmt.Sprintf("[%s]:%d", host, port)
			var extra []string
			for _, l := range entries(t, file) {
				extra = append(extra, down+l[strings.Index(l, " "):])
			}
			writeFile(t, file, string(readFile(t, file))+strings.Join(extra, "\n")+"\n")
			if tc.rotate {
				p.RotateKeys(t)
			}

			r, recs := checkJSON(t, file)
			if r.code != tc.wantCode {
				t.Errorf("check: exit %d, want %d\n%s", r.code, tc.wantCode, r)
			}
			if len(recs) != 2 {
				t.Fatalf("check: %d JSON lines, want 2\n%s", len(recs), r)
			}
			for _, rec := range recs {
				switch rec.Port {
				case p.Port:
					if tc.rotate {
						if rec.Status != "drift" {
							t.Errorf("rotated host: status %q, want drift", rec.Status)
						}
					} else {
						wantAllOK(t, rec, modernTypes)
					}
				case port:
					if len(rec.Checks) != 1 || rec.Checks[0].Status != "unverified" || rec.Status != "unverified" {
						t.Errorf("down host: status %q, rows %+v; want one unverified row", rec.Status, rec.Checks)
					}
					if rec.Error == "" {
						t.Errorf("down host: no error field in %+v", rec)
					}
				default:
					t.Errorf("unexpected record for %s", rec.Target)
				}
			}
		})
	}
}

func TestCheckUnknownHostIsUnpinned(t *testing.T) {
	a, b := testpeer.Modern(t), testpeer.Modern(t)
	file := filepath.Join(t.TempDir(), "host.keys")
	mustPin(t, file, a.Addr)
	before := readFile(t, file)

	r, rec := checkOne(t, file, b.Addr)
	if r.code != 1 {
		t.Errorf("check of an unknown host: exit %d, want 1\n%s", r.code, r)
	}
	if len(rec.Checks) != 1 || rec.Checks[0].Status != "unpinned-host" {
		t.Errorf("unknown host: rows %+v, want one unpinned-host", rec.Checks)
	}
	if after := readFile(t, file); !bytes.Equal(before, after) {
		t.Errorf("check without --trust-on-first-use changed the file:\n%s", after)
	}
}

func TestCheckTrustOnFirstUsePinsUnknownHost(t *testing.T) {
	a, b := testpeer.Modern(t), testpeer.Modern(t)
	file := filepath.Join(t.TempDir(), "host.keys")
	mustPin(t, file, a.Addr)
	before := readFile(t, file)

	r, rec := checkOne(t, file, b.Addr, "--trust-on-first-use")
	if r.code != 0 {
		t.Errorf("check --trust-on-first-use: exit %d, want 0\n%s", r.code, r)
	}
	// Pinned by this run, so not verified: never reported as ok.
	wantAll(t, rec, modernTypes, "trusted-first-use")
	if !strings.Contains(r.stderr, "trusted") || !strings.Contains(r.stderr, b.Addr) {
		t.Errorf("check --trust-on-first-use does not warn on stderr that it trusted %s:\n%s", b.Addr, r)
	}
	after := readFile(t, file)
	if !bytes.HasPrefix(after, before) {
		t.Errorf("trust on first use did not keep the file's lines:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	lines := entries(t, file)
	wantPinned(t, lines, hostField(a), a)
	wantPinned(t, lines, hostField(b), b)

	r, rec = checkOne(t, file, b.Addr)
	if r.code != 0 {
		t.Errorf("check after trust on first use: exit %d, want 0\n%s", r.code, r)
	}
	wantAllOK(t, rec, modernTypes)
}

func TestCheckTrustOnFirstUseNeverPinsOnMismatch(t *testing.T) {
	t.Run("rotated keys", func(t *testing.T) {
		p := testpeer.Modern(t)
		file := filepath.Join(t.TempDir(), "host.keys")
		mustPin(t, file, p.Addr)
		before := readFile(t, file)
		p.RotateKeys(t)

		r, rec := checkOne(t, file, p.Addr, "--trust-on-first-use")
		if r.code != 1 {
			t.Errorf("check --trust-on-first-use on rotated keys: exit %d, want 1\n%s", r.code, r)
		}
		want := map[string]string{typeEd25519: "changed", typeECDSA: "changed", typeRSA: "changed"}
		if got := rec.statuses(t); !mapsEqual(got, want) {
			t.Errorf("check: %v, want %v", got, want)
		}
		if after := readFile(t, file); !bytes.Equal(before, after) {
			t.Errorf("--trust-on-first-use changed the file on a mismatch:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})

	// A host nothing vouches for presents a revoked key: nothing is
	// trusted, the revocation is a finding (exit 1, not "could not check"),
	// and the other targets of the run are still checked and reported.
	t.Run("revoked key", func(t *testing.T) {
		bad, good := testpeer.Modern(t), testpeer.Modern(t)
		file := filepath.Join(t.TempDir(), "host.keys")
		mustPin(t, file, good.Addr)
		ed := edKey(t, bad)
		writeFile(t, file, string(readFile(t, file))+"@revoked * "+ed.typ+" "+ed.b64+"\n")
		before := readFile(t, file)

		r, recs := checkJSON(t, file, "--trust-on-first-use", bad.Addr, good.Addr)
		if r.code != 1 {
			t.Errorf("check --trust-on-first-use on a revoked key: exit %d, want 1\n%s", r.code, r)
		}
		if after := readFile(t, file); !bytes.Equal(before, after) {
			t.Errorf("--trust-on-first-use changed the file for a host presenting a revoked key:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		if strings.Contains(r.stderr, "trusted") {
			t.Errorf("stderr says a host presenting a revoked key was trusted:\n%s", r)
		}
		var got []string
		for _, rec := range recs {
			got = append(got, rec.addr())
			if rec.Port == good.Port {
				wantAllOK(t, rec, modernTypes)
			}
		}
		if want := []string{bad.Addr, good.Addr}; !slices.Equal(got, want) {
			t.Errorf("check reported %v, want a JSON line for each of %v\n%s", got, want, r)
		}
	})
}

func TestCheckMarkdownHasARowPerKeyType(t *testing.T) {
	p := testpeer.Modern(t)
	file := filepath.Join(t.TempDir(), "host.keys")
	mustPin(t, file, p.Addr)

	r := sshpin("check", "--format", "markdown", "--pinned", file, p.Addr)
	if r.code != 0 {
		t.Errorf("check --format markdown: exit %d, want 0\n%s", r.code, r)
	}
	if !strings.HasPrefix(r.stdout, "### ") {
		t.Errorf("markdown does not start with a ### heading:\n%s", r.stdout)
	}
	rows := map[string]int{}
	for _, l := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(l, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "`")
		}
		if len(cells) >= 3 && slices.Contains(modernTypes, cells[2]) {
			rows[cells[2]]++
			if !strings.Contains(cells[1], "ok") {
				t.Errorf("row %q: status %q, want ok", l, cells[1])
			}
		}
	}
	for _, typ := range modernTypes {
		if rows[typ] != 1 {
			t.Errorf("markdown has %d table rows for %s, want 1:\n%s", rows[typ], typ, r.stdout)
		}
	}
}

func TestPinConcurrentRunsOnOneFileKeepBothHosts(t *testing.T) {
	a, b := testpeer.Modern(t), testpeer.Modern(t)
	file := filepath.Join(t.TempDir(), "host.keys")

	results := make([]sshpinResult, 2)
	var wg sync.WaitGroup
	for i, p := range []*testpeer.Peer{a, b} {
		wg.Go(func() { results[i] = sshpin("pin", "--pinned", file, p.Addr) })
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("pin %d: %s", i, r)
		}
	}
	lines := entries(t, file)
	if len(lines) != 2*len(modernTypes) {
		t.Errorf("%d lines after two concurrent pins, want %d:\n%s", len(lines), 2*len(modernTypes), strings.Join(lines, "\n"))
	}
	wantPinned(t, lines, hostField(a), a)
	wantPinned(t, lines, hostField(b), b)
}
