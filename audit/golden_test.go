package audit_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/sshpin/sshpin/audit"
	"github.com/sshpin/sshpin/internal/recorded"
	"github.com/sshpin/sshpin/kexinit"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/audit")

const goldenDir = "../testdata/audit"

func keysOf(s recorded.Server) []audit.HostKey {
	var out []audit.HostKey
	for _, k := range s.Keys {
		out = append(out, audit.HostKey{Type: k.Type, Bits: k.Bits})
	}
	return out
}

// golden compares v, as indented JSON, with testdata/audit/name; -update
// rewrites the file instead.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./audit/ -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./audit/ -update and review the diff\ngot:\n%s", path, got)
	}
}

func withoutStrictKex(k *kexinit.KexInit) *kexinit.KexInit {
	var kex []string
	for _, n := range k.KexAlgos {
		if n != audit.StrictKexServer {
			kex = append(kex, n)
		}
	}
	k.KexAlgos = kex
	return k
}

func TestGoldenAudits(t *testing.T) {
	for _, s := range recorded.All() {
		t.Run(s.Name, func(t *testing.T) {
			golden(t, s.Name+".json", audit.Audit(s.KexInit, keysOf(s), audit.Options{}))
		})
	}
	// The same servers as they were before the strict-kex backport.
	for _, s := range recorded.All() {
		t.Run(s.Name+"-no-strict-kex", func(t *testing.T) {
			golden(t, s.Name+".no-strict-kex.json", audit.Audit(withoutStrictKex(s.KexInit), keysOf(s), audit.Options{}))
		})
	}
	s := recorded.OpenSSH92()
	golden(t, s.Name+".nist-fail.json", audit.Audit(s.KexInit, keysOf(s), audit.Options{NISTCurvesFail: true, RequirePostQuantum: true}))
}

func TestGoldenPolicies(t *testing.T) {
	for _, name := range audit.BuiltinPolicies() {
		p, err := audit.BuiltinPolicy(name)
		if err != nil {
			t.Fatal(err)
		}
		results := map[string][]audit.Finding{}
		for _, s := range recorded.All() {
			results[s.Name] = p.Check(s.KexInit, keysOf(s))
		}
		golden(t, "policy-"+name+".json", results)
	}
}

// The recorded literals must be what the servers sent: the captures are
// kept next to the goldens as the servers' own words.
func TestRecordedMatchesCaptures(t *testing.T) {
	for _, s := range recorded.All() {
		b, err := os.ReadFile(filepath.Join(goldenDir, "captured", "server-"+s.Name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Banner  struct{ Raw string } `json:"banner"`
			KexInit kexinit.KexInit      `json:"kexinit"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		if c.Banner.Raw != s.Banner {
			t.Errorf("%s: banner %q, captured %q", s.Name, s.Banner, c.Banner.Raw)
		}
		got, _ := json.Marshal(s.KexInit)
		want, _ := json.Marshal(&c.KexInit)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: recorded KEXINIT differs from the capture\n got %s\nwant %s", s.Name, got, want)
		}
	}
}
