package kexinit_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/kexinit"
)

func measureReal(t *testing.T, p *testpeer.Peer) *kexinit.GroupExchange {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := kexinit.Dial(ctx, p.Host, p.Port)
	if err != nil {
		t.Fatal(err)
	}
	h, m, err := kexinit.ProbeGroup(conn, kexinit.Limits{}, kexinit.ModernRequest)
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	gx := kexinit.MeasureGroups(ctx, p.Host, p.Port, h.KexInit, m, kexinit.Limits{}, nil)
	if gx == nil {
		t.Fatal("sshd offers no group exchange")
	}
	return gx
}

func TestGroupsRealSSHD(t *testing.T) {
	abs := func(name string) string {
		p, err := filepath.Abs(filepath.Join("testdata", "moduli", name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name             string
		moduli           string
		modern, smallest int
	}{
		{"debian moduli", "", 0, 0},
		{"2048 only", abs("2048-only"), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := []string{"KexAlgorithms diffie-hellman-group-exchange-sha256,curve25519-sha256"}
			if tt.moduli != "" {
				extra = append(extra, "ModuliFile "+tt.moduli)
			}
			p := testpeer.SSHD(t, testpeer.SSHDConfig{Extra: extra})
			gx := measureReal(t, p)
			t.Logf("modern %+v %v smallest %+v %v conns %d", gx.Modern, gx.Modern.Group != nil && gx.Modern.Group.Bits() > 0, gx.Smallest, gx.Smallest.Group, gx.Connections)
			if gx.Modern.Group != nil {
				t.Logf("modern bits %d", gx.Modern.Group.Bits())
			}
			if gx.Smallest.Group != nil {
				t.Logf("smallest bits %d", gx.Smallest.Group.Bits())
			}
		})
	}
}
