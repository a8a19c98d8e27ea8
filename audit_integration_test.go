package main

// Integration tests of "sshpin audit" against real servers: group-exchange
// moduli measured from OpenSSH with its ModuliFile set, and policies that
// ssh-audit itself wrote (testdata/audit/ssh-audit), which must pass and
// fail exactly where ssh-audit's own -P run did.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
	}
	for policy, bySrv := range want {
		for srv, fields := range bySrv {
			t.Run(policy+"/"+srv, func(t *testing.T) {
				res, rec := auditJSON(t, "--policy", filepath.Join(dir, policy), servers[srv].Addr)
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
