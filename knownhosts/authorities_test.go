package knownhosts

import (
	"strings"
	"testing"
)

func TestAuthorities(t *testing.T) {
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGd4cKnYcV0r3nS2HjXN3tA2gO0jHm+v7x0E1m5Kx2Zr"
	in := strings.Join([]string{
		"web-1 " + key,
		"@cert-authority web-1,db-1,[db-2]:2222 " + key, // web-1 is pinned plainly: listed once, by Hosts
		"@cert-authority *.example.com " + key,          // a pattern: names no host
		"@cert-authority |1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|aGFzaGhhc2hoYXNoaGFzaGhhc2g= " + key,
		"@cert-authority db-1 " + key, // a repeat
		"@revoked db-3 " + key,        // not a CA
		"@cert-authority broken",      // invalid: skipped as such, not here
	}, "\n") + "\n"
	f, err := Parse(strings.NewReader(in), "k")
	if err != nil {
		t.Fatal(err)
	}
	named, unnamed := f.Authorities()
	var got []string
	for _, h := range named {
		got = append(got, h.String())
	}
	if strings.Join(got, " ") != "db-1 [db-2]:2222" {
		t.Errorf("named %q", got)
	}
	var lines []int
	for _, l := range unnamed {
		lines = append(lines, l.Num)
	}
	if len(lines) != 2 || lines[0] != 3 || lines[1] != 4 {
		t.Errorf("unnamed lines %v, want [3 4]", lines)
	}
}
