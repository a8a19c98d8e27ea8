package audit

import (
	"testing"

	"github.com/sshpin/sshpin/kexinit"
)

func TestGEXFindings(t *testing.T) {
	k := &kexinit.KexInit{KexAlgos: []string{"curve25519-sha256", "diffie-hellman-group-exchange-sha256"}}
	m := func(req kexinit.GroupRequest, bits int) *ModulusMeasure {
		return &ModulusMeasure{Algorithm: "diffie-hellman-group-exchange-sha256", Request: req, Bits: bits}
	}
	modern, small := kexinit.ModernRequest, kexinit.SmallestRequest
	tests := []struct {
		name string
		gx   *GroupExchange
		want []Severity
	}{
		{"not measured", nil, []Severity{Info}},
		{"skipped", &GroupExchange{Skipped: "not asked"}, []Severity{Info}},
		{"openssh defaults", &GroupExchange{Modern: m(modern, 3072), Smallest: m(small, 2048)}, []Severity{OK, Warn}},
		{"asyncssh hands out 1024", &GroupExchange{Modern: m(modern, 2048), Smallest: m(small, 1024)}, []Severity{Warn, Fail}},
		{"4096 everywhere", &GroupExchange{Modern: m(modern, 4096), Smallest: m(small, 4096)}, []Severity{OK, OK}},
		{"one answer for both", &GroupExchange{Modern: m(modern, 1024), Smallest: m(modern, 1024)}, []Severity{Fail}},
		{"broken (paramiko 2.12)", &GroupExchange{Modern: &ModulusMeasure{Request: modern, Broken: true, Error: "server closed the connection"},
			Smallest: &ModulusMeasure{Request: small, Error: "not measured: not asked: the server broke on the modern request"}}, []Severity{Fail}},
		{"timed out, not asked again", &GroupExchange{Modern: &ModulusMeasure{Request: modern, Error: "timed out"}, Smallest: &ModulusMeasure{Request: small, Error: "not measured: not asked: the modern request timed out"}}, []Severity{Unknown}},
		{"timed out", &GroupExchange{Modern: &ModulusMeasure{Request: modern, Error: "timed out"}, Smallest: m(small, 2048)}, []Severity{Unknown, Warn}},
	}
	for _, tt := range tests {
		fs := gexFindings(k, tt.gx)
		var got []Severity
		for _, f := range fs {
			got = append(got, f.Severity)
			if f.Category != Modulus || f.Reason == "" {
				t.Errorf("%s: finding %+v", tt.name, f)
			}
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: got %v, want %v (%+v)", tt.name, got, tt.want, fs)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: got %v, want %v (%+v)", tt.name, got, tt.want, fs)
			}
		}
	}
	if fs := gexFindings(&kexinit.KexInit{KexAlgos: []string{"curve25519-sha256"}}, nil); fs != nil {
		t.Errorf("no group exchange offered: %+v", fs)
	}
}

func TestSmallestModulusFollowsSSHAudit(t *testing.T) {
	gx := &GroupExchange{Modern: &ModulusMeasure{Bits: 3072}, Smallest: &ModulusMeasure{Bits: 2048}}
	tests := []struct {
		banner string
		want   int
	}{
		{"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", 3072}, // ssh-audit's fallback re-test
		{"SSH-2.0-OpenSSH_10.0", 2048},
		{"SSH-2.0-AsyncSSH_2.14.2", 2048},
	}
	for _, tt := range tests {
		if got := gx.SmallestModulus(tt.banner); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.banner, got, tt.want)
		}
	}
	if got := (&GroupExchange{Modern: &ModulusMeasure{Bits: 3072}, Smallest: &ModulusMeasure{Bits: 1024}}).SmallestModulus("SSH-2.0-OpenSSH_8.0"); got != 1024 {
		t.Errorf("1024 on OpenSSH 8.0: %d", got)
	}
	if got := (*GroupExchange)(nil).SmallestModulus(""); got != 0 {
		t.Errorf("nil: %d", got)
	}
}
