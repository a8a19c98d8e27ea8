package knownhosts

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

var update = flag.Bool("update", false, "rewrite golden files")

func renderProblems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(string(p.Severity) + " " + p.String() + "\n")
	}
	return b.String()
}

// TestLintGolden lints a fixture holding every kind of problem.
func TestLintGolden(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testdata, "lint.known_hosts"))
	if err != nil {
		t.Fatal(err)
	}
	f := mustParse(t, string(raw))
	f.Name = "lint.known_hosts"
	got := renderProblems(f.Lint())
	golden := filepath.Join(testdata, "lint.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("lint output differs from %s (go test -update to accept):\n%s", golden, got)
	}
}

func TestLintClean(t *testing.T) {
	for _, content := range []string{
		"",
		"# only a comment\n\n",
		expand(t, "a.example.com,192.0.2.1 {server_ed25519}\na.example.com {server_rsa}\n[a.example.com]:2222 {other_ed25519}\n"),
		expand(t, "*.example.com,!b.example.com {server_ed25519}\na.example.com {other_ed25519}\n@cert-authority * {ca}\n@revoked * {other_ca}\n"),
		expand(t, "2001:db8::1,[2001:db8::1]:2200,[*]:2?00 {server_ed25519}\r\n"),
	} {
		if p := mustParse(t, content).Lint(); len(p) != 0 {
			t.Errorf("%q:\n%s", content, renderProblems(p))
		}
	}
}

func TestProblemString(t *testing.T) {
	p := Problem{File: "f", Line: 3, Severity: SeverityWarning, Msg: "m"}
	if p.String() != "f:3: m" {
		t.Errorf("%q", p.String())
	}
}

// A large file mixing plain and hashed entries made lint (and check, which
// lints the pinned file) take minutes: one HMAC per plain name and hashed
// line. Past a budget the comparison is skipped, and lint says so.
func TestLintBoundsHashedComparisons(t *testing.T) {
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGd4cKnYcV0r3nS2HjXN3tA2gO0jHm+v7x0E1m5Kx2Zr"
	var b strings.Builder
	for i := range 500 {
		fmt.Fprintf(&b, "host%d.example.com %s\n", i, key)
	}
	for i := range 500 {
		fmt.Fprintf(&b, "%s %s\n", xknownhosts.HashHostname(fmt.Sprintf("other%d.example.com", i)), key)
	}
	f, err := Parse(strings.NewReader(b.String()), "big")
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, p := range f.Lint() {
		found = found || strings.Contains(p.Msg, "not compared for conflicts")
	}
	if !found {
		t.Error("lint compared 250000 pairs instead of saying it skipped them")
	}
}
