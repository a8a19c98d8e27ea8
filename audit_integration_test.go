package main

// Integration tests of "sshpin audit" against real servers: group-exchange
// moduli measured from OpenSSH with its ModuliFile set, and policies that
// ssh-audit itself wrote (testdata/audit/ssh-audit), which must pass and
// fail exactly where ssh-audit's own -P run did.

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// auditRecord is the part of audit's JSON line the tests read.
type auditRecord struct {
	Target      string `json:"target"`
	Error       string `json:"error"`
	Connections int    `json:"connections"`
	Audit       struct {
		Findings []auditFinding `json:"findings"`
		GEX      *struct {
			Modern   *struct{ Bits int } `json:"modern"`
			Smallest *struct{ Bits int } `json:"smallest"`
			Skipped  string              `json:"skipped"`
		} `json:"gex"`
	} `json:"audit"`
	Policy  []auditFinding `json:"policy"`
	Verdict *struct {
		Policy   string `json:"policy"`
		Result   string `json:"result"`
		Failures int    `json:"failures"`
	} `json:"policy_verdict"`
}

type auditFinding struct {
	Severity  string `json:"severity"`
	Category  string `json:"category"`
	Algorithm string `json:"algorithm"`
	Reason    string `json:"reason"`
}

func auditJSON(t *testing.T, args ...string) (sshpinResult, auditRecord) {
	t.Helper()
	res := sshpin(append([]string{"audit", "--json"}, args...)...)
	var rec auditRecord
	if err := json.Unmarshal([]byte(strings.TrimSpace(res.stdout)), &rec); err != nil {
		t.Fatalf("%v\n%s", err, res)
	}
	return res, rec
}

func moduliFile(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("kexinit", "testdata", "moduli", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAuditMeasuresGroupExchange(t *testing.T) {
	tests := []struct {
		name             string
		extra            []string
		args             []string
		modern, smallest int
		conns            int
		sev              []string // the gex_modulus findings' severities
	}{
		// OpenSSH clamps every request to 2048 bits: a client asking for
		// 1024 gets a 2048-bit group from Debian's moduli file.
		{"debian moduli, probe only", nil, []string{"--no-keys"}, 3072, 2048, 2, []string{"ok", "warn"}},
		{"2048-bit groups only", []string{"ModuliFile " + moduliFile(t, "2048-only")}, []string{"--no-keys"}, 2048, 2048, 2, []string{"warn", "warn"}},
		// A 1024-bit group in the file is never handed out: sshd's floor.
		{"a 1024-bit group in the file", []string{"ModuliFile " + moduliFile(t, "with-1024")}, []string{"--no-keys"}, 2048, 2048, 2, []string{"warn", "warn"}},
		// With keys: the scan's three handshakes, then two for the groups.
		{"scan mode", nil, nil, 3072, 2048, 5, []string{"ok", "warn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testpeer.SSHD(t, testpeer.SSHDConfig{Extra: tt.extra})
			_, rec := auditJSON(t, append(tt.args, p.Addr)...)
			gx := rec.Audit.GEX
			if rec.Error != "" || gx == nil || gx.Modern == nil || gx.Smallest == nil {
				t.Fatalf("no measures: %+v", rec)
			}
			if gx.Modern.Bits != tt.modern || gx.Smallest.Bits != tt.smallest {
				t.Errorf("modern %d smallest %d, want %d and %d", gx.Modern.Bits, gx.Smallest.Bits, tt.modern, tt.smallest)
			}
			if rec.Connections != tt.conns {
				t.Errorf("connections %d, want %d", rec.Connections, tt.conns)
			}
			var sev []string
			for _, f := range rec.Audit.Findings {
				if f.Category == "gex_modulus" {
					sev = append(sev, f.Severity)
				}
			}
			if !slices.Equal(sev, tt.sev) {
				t.Errorf("gex findings %v, want %v: %+v", sev, tt.sev, rec.Audit.Findings)
			}
		})
	}
	t.Run("no-gex", func(t *testing.T) {
		p := testpeer.Modern(t)
		_, rec := auditJSON(t, "--no-keys", "--no-gex", p.Addr)
		if rec.Connections != 1 || rec.Audit.GEX == nil || rec.Audit.GEX.Skipped == "" {
			t.Errorf("--no-gex: %d connections, gex %+v", rec.Connections, rec.Audit.GEX)
		}
	})
}

// TestAuditSSHAuditPolicies runs every policy ssh-audit wrote against every
// server it was written from, and compares the verdicts with ssh-audit's.
func TestAuditSSHAuditPolicies(t *testing.T) {
	dir := filepath.Join("testdata", "audit", "ssh-audit")
	raw, err := os.ReadFile(filepath.Join(dir, "verdicts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]map[string][]string
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	servers := map[string]*testpeer.Peer{
		"openssh-9.2":            testpeer.Modern(t),
		"openssh-9.2-moduli2048": testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: testpeer.ModernKeyTypes, Extra: []string{"ModuliFile " + moduliFile(t, "2048-only")}}),
		"dropbear-2022.83":       testpeer.Dropbear(t),
		"openssh-9.2-legacy":     testpeer.Legacy(t),
	}
	// ssh-audit collects the legacy server's one ssh-rsa key over
	// diffie-hellman-group14-sha1; sshpin does only with --legacy
	// (TestAuditSSHAuditPolicyNeedsLegacy: without it the sizes are "not
	// checked", never passed).
	extra := map[string][]string{"openssh-9.2-legacy": {"--legacy"}}
	for policy, bySrv := range want {
		for srv, fields := range bySrv {
			t.Run(policy+"/"+srv, func(t *testing.T) {
				args := append(slices.Clone(extra[srv]), "--policy", filepath.Join(dir, policy), servers[srv].Addr)
				res, rec := auditJSON(t, args...)
				if rec.Verdict == nil {
					t.Fatalf("no verdict: %s", res)
				}
				var got []string
				for _, f := range rec.Policy {
					if f.Severity != "fail" {
						t.Errorf("policy item %+v not checked", f)
						continue
					}
					got = append(got, sshAuditField(f))
				}
				slices.Sort(got)
				got = slices.Compact(got)
				if !slices.Equal(got, fields) {
					t.Errorf("mismatched fields\n got %q\nwant %q (ssh-audit)\n%+v", got, fields, rec.Policy)
				}
				wantResult := "passed"
				if len(fields) > 0 {
					wantResult = "failed"
				}
				if rec.Verdict.Result != wantResult {
					t.Errorf("verdict %+v, want %s", rec.Verdict, wantResult)
				}
				if wantResult == "failed" && res.code != 1 {
					t.Errorf("exit %d on a failed policy", res.code)
				}
			})
		}
	}
}

// TestAuditSSHAuditPolicyNeedsLegacy: the policy ssh-audit wrote from the
// legacy server lists its RSA key's size; without --legacy sshpin does not
// collect that key, so the verdict is "not checked" and the run exits 1
// (the server's algorithms are rated fail), never "passed".
func TestAuditSSHAuditPolicyNeedsLegacy(t *testing.T) {
	p := testpeer.Legacy(t)
	policy := filepath.Join("testdata", "audit", "ssh-audit", "openssh-9.2-legacy.policy")
	res, rec := auditJSON(t, "--policy", policy, p.Addr)
	if rec.Verdict == nil || rec.Verdict.Result != "not checked" || res.code == 0 {
		t.Errorf("without --legacy: verdict %+v\n%s", rec.Verdict, res)
	}
	res, rec = auditJSON(t, "--legacy", "--policy", policy, p.Addr)
	if rec.Verdict == nil || rec.Verdict.Result != "passed" || res.code != 1 {
		t.Errorf("with --legacy: verdict %+v\n%s", rec.Verdict, res)
	}
}

// sshAuditField names a policy finding the way ssh-audit's report does.
func sshAuditField(f auditFinding) string {
	cat, _, _ := strings.Cut(f.Reason, ":")
	switch cat {
	case "kex":
		return "Key exchanges"
	case "hostkey":
		return "Host keys"
	case "cipher":
		return "Ciphers"
	case "mac":
		return "MACs"
	case "compression":
		return "Compression"
	case "banner":
		return "Banner"
	case "key":
		return "Host key (" + f.Algorithm + ") sizes"
	case "gex_modulus":
		return "Group exchange (" + f.Algorithm + ") modulus sizes"
	}
	return cat
}

// bigExponentHostKey writes an RSA host key with a 31-bit public exponent
// (the kind GNU lsh makes; OpenSSH serves it, x/crypto refuses it).
func bigExponentHostKey(t *testing.T) string {
	t.Helper()
	e := big.NewInt(1<<30 + 3)
	one := big.NewInt(1)
	var k *rsa.PrivateKey
	for k == nil {
		p, _ := rand.Prime(rand.Reader, 1024)
		q, _ := rand.Prime(rand.Reader, 1024)
		phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
		d := new(big.Int).ModInverse(e, phi)
		if d == nil || p.Cmp(q) == 0 {
			continue
		}
		k = &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: int(e.Int64())}, D: d, Primes: []*big.Int{p, q}}
		k.Precompute()
	}
	block, err := ssh.MarshalPrivateKey(k, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ssh_host_rsa_bigexp_key")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRSAExponentOver24Bits(t *testing.T) {
	p := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, Extra: []string{"HostKey " + bigExponentHostKey(t)}})

	// scan: listed as not retrieved, with the reason; the Ed25519 key is collected.
	res := sshpin("scan", "--json", p.Addr)
	var rec struct {
		Keys         []struct{ Type string } `json:"keys"`
		NotRetrieved []struct {
			Type, Reason, PublicKey string
		} `json:"not_retrieved"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(res.stdout)), &rec); err != nil {
		t.Fatalf("%v\n%s", err, res)
	}
	if len(rec.Keys) != 1 || rec.Keys[0].Type != "ssh-ed25519" || len(rec.NotRetrieved) != 1 ||
		!strings.Contains(rec.NotRetrieved[0].Reason, "exponents over 24 bits") {
		t.Errorf("scan: %s", res)
	}

	// audit: the RSA key is rated from its blob.
	_, arec := auditJSON(t, "--no-gex", p.Addr)
	found := false
	for _, f := range arec.Audit.Findings {
		if f.Category == "key" && strings.Contains(f.Reason, "RSA key of 2048 bits") && strings.Contains(f.Reason, "not proved") {
			found = true
		}
	}
	if !found {
		t.Errorf("audit findings %+v", arec.Audit.Findings)
	}

	// diagnose: the x/crypto profiles would fail on it, OpenSSH's would not.
	res = sshpin("diagnose", "--json", "--client", "xcrypto", "--client", "openssh-10", p.Addr)
	if res.code != 1 || !strings.Contains(res.stdout, "exponents over 24 bits") {
		t.Errorf("diagnose: %s", res)
	}
}

// TestAuditPolicyNotChecked: an item that could not be checked is never
// counted as passed: keys not collected (--no-keys), a modulus not
// measured (--no-gex). The verdict says so, stderr too, and the run does
// not exit 0 (1 here: stock OpenSSH 9.2 offers hmac-sha1, rated fail;
// findings win over 2, as everywhere).
func TestAuditPolicyNotChecked(t *testing.T) {
	p := testpeer.Modern(t)
	policy := filepath.Join("testdata", "audit", "ssh-audit", "openssh-9.2.policy")
	for _, args := range [][]string{{"--no-keys"}, {"--no-gex"}} {
		res, rec := auditJSON(t, append(args, "--policy", policy, p.Addr)...)
		if rec.Verdict == nil || rec.Verdict.Result != "not checked" || res.code != 1 || !strings.Contains(res.stderr, "could not be checked in full") {
			t.Errorf("%v: verdict %+v\n%s", args, rec.Verdict, res)
		}
	}
	res := sshpin("audit", "--no-gex", "--policy", policy, p.Addr)
	// The line may be wrapped to the width.
	if !strings.Contains(strings.Join(strings.Fields(res.stdout), " "), "policy Custom Policy (based on 127.0.0.1 on 2026/12/03) (version 1): not checked (1 item could not be checked)") {
		t.Errorf("verdict line:\n%s", res)
	}
	// Exit 1 all the same: stock OpenSSH 9.2 offers hmac-sha1, rated fail.
	res = sshpin("audit", "--policy", policy, p.Addr)
	if res.code != 1 || !strings.Contains(strings.Join(strings.Fields(res.stdout), " "), "(version 1): passed") {
		t.Errorf("own policy:\n%s", res)
	}
}

// TestAuditPolicyNotCheckedExits2: with nothing rated fail, a policy that
// could not be checked in full ends the run with exit 2.
func TestAuditPolicyNotCheckedExits2(t *testing.T) {
	p := testpeer.SSHD(t, testpeer.SSHDConfig{Extra: []string{"MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com"}})
	res, rec := auditJSON(t, "--no-keys", "--policy", "compatible", p.Addr)
	if res.code != 2 || rec.Verdict == nil || rec.Verdict.Result != "not checked" {
		t.Errorf("verdict %+v\n%s", rec.Verdict, res)
	}
	res, rec = auditJSON(t, "--policy", "compatible", p.Addr)
	if res.code != 0 || rec.Verdict == nil || rec.Verdict.Result != "passed" {
		t.Errorf("with keys: verdict %+v\n%s", rec.Verdict, res)
	}
}
