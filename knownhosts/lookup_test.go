package knownhosts

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

const lookupFile = `# lookup fixture
a.example.com {server_ed25519}
a.example.com,192.0.2.1 {server_rsa}
[a.example.com]:2222 {other_ed25519}
*.example.com,!c.example.com {other_rsa}
@cert-authority *.example.com {ca}
@cert-authority [*.example.com]:2200 {other_ca}
@revoked * {other_ecdsa384}
|1|gli9TPQAc6IKM3MlvsCvq5XBPyU=|WtCUHG5/4qDe3sL/UdS0dge4oJc= {server_ecdsa}
[2001:db8::1]:2200,2001:db8::1 {server_ed25519}
b.example.com ssh-foo@example.com AAAAE3NzaC1mb29AZXhhbXBsZS5jb20AAAAEAQIDBA==
broken line
`

func TestLookup(t *testing.T) {
	f := mustParse(t, expand(t, lookupFile))
	tests := []struct {
		host     string
		port     int
		name     string
		fallback bool
		keys     []int
		cas      []int
	}{
		{"a.example.com", 22, "a.example.com", false, []int{2, 3, 5, 9}, []int{6}},
		{"A.Example.COM", 22, "a.example.com", false, []int{2, 3, 5, 9}, []int{6}},
		{"a.example.com", 2222, "[a.example.com]:2222", false, []int{4}, []int{6}},
		// Nothing for [a.example.com]:2200: the bare host's keys, and the CAs of both names.
		{"a.example.com", 2200, "a.example.com", true, []int{2, 3, 5, 9}, []int{6, 7}},
		{"c.example.com", 22, "c.example.com", false, nil, []int{6}},
		{"b.example.com", 22, "b.example.com", false, []int{5}, []int{6}},
		{"192.0.2.1", 22, "192.0.2.1", false, []int{3}, nil},
		{"192.0.2.1", 2022, "192.0.2.1", true, []int{3}, nil},
		{"2001:db8::1", 22, "2001:db8::1", false, []int{10}, nil},
		{"[2001:DB8::1]", 2200, "[2001:db8::1]:2200", false, []int{10}, nil},
		{"example.org", 22, "example.org", false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s:%d", tt.host, tt.port), func(t *testing.T) {
			m := mustLookup(t, f, tt.host, tt.port)
			if m.Name != tt.name || m.PortFallback != tt.fallback {
				t.Errorf("name %q fallback %v, want %q %v", m.Name, m.PortFallback, tt.name, tt.fallback)
			}
			if !slices.Equal(nums(m.Keys), append([]int{}, tt.keys...)) {
				t.Errorf("keys at lines %v, want %v", nums(m.Keys), tt.keys)
			}
			if !slices.Equal(nums(m.Authorities), append([]int{}, tt.cas...)) {
				t.Errorf("CAs at lines %v, want %v", nums(m.Authorities), tt.cas)
			}
			if !slices.Equal(nums(m.Revoked), []int{8}) {
				t.Errorf("revoked at lines %v", nums(m.Revoked))
			}
			if m.Found() != (len(tt.keys)+len(tt.cas) > 0) {
				t.Errorf("Found = %v", m.Found())
			}
		})
	}
}

func TestLookupTypes(t *testing.T) {
	f := mustParse(t, expand(t, lookupFile))
	m := mustLookup(t, f, "a.example.com", 22)
	if got := strings.Join(m.Types(), " "); got != "ssh-ed25519 ssh-rsa ecdsa-sha2-nistp256" {
		t.Errorf("Types = %s", got)
	}
	by := m.ByType()
	if len(by["ssh-rsa"]) != 2 || len(by["ssh-ed25519"]) != 1 || len(by["ecdsa-sha2-nistp256"]) != 1 {
		t.Errorf("ByType = %v", by)
	}
}

func TestLookupBadHost(t *testing.T) {
	f := mustParse(t, "")
	for _, c := range []struct {
		host string
		port int
	}{
		{"", 22}, {"a b", 22}, {"a,b", 22}, {"*.x", 22}, {"a?", 22}, {"!a", 22},
		{"[a]:22", 22}, {"a:22", 22}, {"|1|x", 22}, {"a\x01", 22}, {"a#b", 22},
		{"a", 0}, {"a", 65536}, {"a", -1},
	} {
		if _, err := f.Lookup(c.host, c.port); err == nil || !strings.HasPrefix(err.Error(), "knownhosts: ") {
			t.Errorf("Lookup(%q, %d) = %v, want an error", c.host, c.port, err)
		}
	}
}

// TestLookupKeygenHashed: after ssh-keygen -H, every name finds the same
// keys as in the plain file it hashed.
func TestLookupKeygenHashed(t *testing.T) {
	plain, err := ReadFile(testdata + "/hosts.plain.expanded")
	if err != nil {
		t.Fatal(err)
	}
	hashed, err := ReadFile(testdata + "/hosts.hashed")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range hashed.Lines {
		if l.Hashed {
			n++
		}
	}
	if n != 6 { // b.example.com,192.0.2.7 becomes two lines
		t.Errorf("%d hashed lines, want 6", n)
	}
	for _, hp := range []HostPort{
		{"a.example.com", 22}, {"a.example.com", 2222}, {"b.example.com", 22}, {"192.0.2.7", 22},
		{"x.wild.example.com", 22}, {"2001:db8::7", 2200}, {"2001:db8::8", 22}, {"nothing.example.com", 22},
	} {
		pm, hm := mustLookup(t, plain, hp.Host, hp.Port), mustLookup(t, hashed, hp.Host, hp.Port)
		if keyset(pm.Keys) != keyset(hm.Keys) || keyset(pm.Authorities) != keyset(hm.Authorities) {
			t.Errorf("%s: plain %v %v, hashed %v %v", hp, nums(pm.Keys), nums(pm.Authorities), nums(hm.Keys), nums(hm.Authorities))
		}
	}
}

func keyset(lines []*Line) string {
	var s []string
	for _, l := range lines {
		s = append(s, authorized(l.Key))
	}
	slices.Sort(s)
	return strings.Join(s, "\n")
}

// TestLookupKeyscan: what ssh-keyscan printed, plain or -H, finds the
// server's three keys under the name and port it was scanned with.
func TestLookupKeyscan(t *testing.T) {
	want := keyset([]*Line{{Key: fixtureKey(t, "server_ecdsa")}, {Key: fixtureKey(t, "server_ed25519")}, {Key: fixtureKey(t, "server_rsa")}})
	for _, name := range []string{"keyscan.known_hosts", "keyscan_hashed.known_hosts"} {
		f, err := ReadFile(testdata + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, hp := range []HostPort{{"127.0.0.1", 22}, {"localhost", 22}, {"127.0.0.1", 2222}, {"LOCALHOST", 2222}} {
			m := mustLookup(t, f, hp.Host, hp.Port)
			if got := keyset(m.Keys); got != want || m.PortFallback {
				t.Errorf("%s %s: keys at %v (fallback %v)", name, hp, nums(m.Keys), m.PortFallback)
			}
			if alg := HostKeyAlgorithms(m); len(alg) != 5 {
				t.Errorf("%s %s: algorithms %v", name, hp, alg)
			}
		}
		if m := mustLookup(t, f, "127.0.0.2", 22); m.Found() {
			t.Errorf("%s: 127.0.0.2 found", name)
		}
	}
}

func TestHosts(t *testing.T) {
	f := mustParse(t, expand(t, `a.example.com,[a.example.com]:2222 {server_ed25519}
A.EXAMPLE.COM {server_rsa}
*.example.com,b.example.com,!c.example.com {other_rsa}
c.example.com,!c.example.com {other_ed25519}
[d.example.com]:22,[d.example.com],d.example.com:2222,[e.example.com]:02222 {other_ed25519}
@cert-authority f.example.com {ca}
@revoked g.example.com {other_ca}
|1|JfKTdBh7rNbXkVAQCRp4OQoPfmI=|USECr3SWf1JUPsms5AqfD5QfxkM= {server_ecdsa}
|1|JfKTdBh7rNbXkVAQCRp4OQoPfmI=|USECr3SWf1JUPsms5AqfD5QfxkM= {server_ed25519}
h.example.com ssh-foo@example.com AAAAE3NzaC1mb29AZXhhbXBsZS5jb20AAAAEAQIDBA==
2001:db8::1,[2001:db8::2]:2200,192.0.2.1 {server_ed25519}
`))
	hosts, hashed, err := f.Hosts()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hosts {
		got = append(got, h.String())
	}
	want := "a.example.com [a.example.com]:2222 b.example.com 2001:db8::1 [2001:db8::2]:2200 192.0.2.1"
	if strings.Join(got, " ") != want {
		t.Errorf("Hosts = %s\nwant    %s", strings.Join(got, " "), want)
	}
	if hashed != 2 {
		t.Errorf("hashed = %d", hashed)
	}
	// Every listed host is found by Lookup.
	for _, h := range hosts {
		if m := mustLookup(t, f, h.Host, h.Port); len(m.Keys) == 0 || m.PortFallback {
			t.Errorf("%s: not found by Lookup", h)
		}
	}
}

func TestIsRevoked(t *testing.T) {
	key, cert := readOracleKeys(t)
	ca := fixtureKey(t, "ca")
	for _, tt := range []struct {
		file string
		key  ssh.PublicKey
		want bool
	}{
		{"@revoked * {server_ed25519}", key, true},
		{"@revoked nothing.invalid {server_ed25519}", key, true},
		{"@revoked * {server_ed25519}", cert, true}, // the certified key
		{"@revoked * {ca}", cert, true},             // the signing CA
		{"@revoked * {ca}", ca, true},
		{"@revoked * {ca}", key, false},
		{"a.example.com {server_ed25519}", key, false},
		{"@revoked * ssh-foo@example.com AAAAE3NzaC1mb29AZXhhbXBsZS5jb20AAAAEAQIDBA==", key, false},
	} {
		f := mustParse(t, expand(t, tt.file))
		if got := f.IsRevoked(tt.key); got != tt.want {
			t.Errorf("%s: IsRevoked(%s) = %v", tt.file, tt.key.Type(), got)
		}
	}
}

func readOracleKeys(t *testing.T) (key, cert ssh.PublicKey) {
	key, cert, _ = readOracle(t)
	return key, cert
}

// TestLookupConcurrent: one File serves lookups from many goroutines.
func TestLookupConcurrent(t *testing.T) {
	f := mustParse(t, expand(t, lookupFile))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, port := range []int{22, 2200, 2222} {
				if m, err := f.Lookup("a.example.com", port); err != nil || len(m.Keys) == 0 {
					t.Errorf("port %d: %v", port, err)
				}
			}
			f.Lint()
		})
	}
	wg.Wait()
}
