package baseline

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sshpin/sshpin/kexinit"
)

const sample = `# fleet baseline
[web-1:22]
banner = SSH-2.0-OpenSSH_9.6
hassh_server = 0123456789abcdef0123456789abcdef
kex_algorithms = curve25519-sha256, ecdh-sha2-nistp256
server_host_key_algorithms = ssh-ed25519,rsa-sha2-512

# the database
[[2001:db8::1]:2222]
kex_algorithms = curve25519-sha256
languages_client_to_server =
`

func TestParse(t *testing.T) {
	f, err := Parse(strings.NewReader(sample), "base.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Hosts) != 2 {
		t.Fatalf("%d hosts", len(f.Hosts))
	}
	w := f.Host("web-1:22")
	if w.Banner != "SSH-2.0-OpenSSH_9.6" || !slices.Equal(w.Lists["kex_algorithms"], []string{"curve25519-sha256", "ecdh-sha2-nistp256"}) {
		t.Errorf("web-1: %+v", w)
	}
	db := f.Host("[2001:db8::1]:2222")
	if db == nil || db.Line != 9 {
		t.Fatalf("db: %+v", db)
	}
	if l, ok := db.Lists["languages_client_to_server"]; !ok || len(l) != 0 {
		t.Errorf("an empty list must be checked as empty, got %q, %v", l, ok)
	}
	if _, ok := db.Lists["mac_algorithms_client_to_server"]; ok {
		t.Error("a list left out must not be checked")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"kex_algorithms = a", "before the first"},
		{"[h:22]\nbogus = 1", `unknown key "bogus"`},
		{"[h:22]\njust words", "want key = value"},
		{"[h:22]\n[h:22]", "appears twice"},
		{"[h:22]\nkex_algorithms = a\nkex_algorithms = b", "appears twice in this section"},
		{"[h:22", "section header"},
		{"[h:22]\nkex_algorithms = " + strings.Repeat("a", maxLine), "line too long"},
	} {
		_, err := Parse(strings.NewReader(tc.in), "b")
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, tc.want) {
			t.Errorf("%.30q: err %v, want a SyntaxError with %q", tc.in, err, tc.want)
		}
	}
}

// Comments before a section stay with it when sshpin rewrites the file.
func TestRoundTripKeepsComments(t *testing.T) {
	f, err := Parse(strings.NewReader(sample), "b")
	if err != nil {
		t.Fatal(err)
	}
	out := string(f.Bytes())
	for _, want := range []string{"# fleet baseline\n", "# the database\n[[2001:db8::1]:2222]\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("lost %q:\n%s", want, out)
		}
	}
	g, err := Parse(strings.NewReader(out), "b")
	if err != nil {
		t.Fatal(err)
	}
	if string(g.Bytes()) != out {
		t.Errorf("not stable:\n%s\n---\n%s", out, g.Bytes())
	}
}

func TestDiff(t *testing.T) {
	h := &Host{Lists: map[string][]string{
		"kex_algorithms":                         {"a", "b", "c"},
		"encryption_algorithms_client_to_server": {"x", "y"},
		"mac_algorithms_client_to_server":        {"m"},
	}}
	k := &kexinit.KexInit{
		KexAlgos:            []string{"b", "a", "c"},
		CiphersClientServer: []string{"x", "z"},
		MACsClientServer:    []string{"m"},
		MACsServerClient:    []string{"not", "checked"},
	}
	got := h.Diff(k)
	want := []Change{
		{Field: "kex_algorithms", Kind: Reordered, Algorithms: []string{"b", "a", "c"}, Was: []string{"a", "b", "c"}},
		{Field: "encryption_algorithms_client_to_server", Kind: Added, Algorithms: []string{"z"}},
		{Field: "encryption_algorithms_client_to_server", Kind: Removed, Algorithms: []string{"y"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].Field != want[i].Field || got[i].Kind != want[i].Kind || !slices.Equal(got[i].Algorithms, want[i].Algorithms) || !slices.Equal(got[i].Was, want[i].Was) {
			t.Errorf("change %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestHelloChanged(t *testing.T) {
	all := map[string][]string{}
	for _, f := range hasshLists {
		all[f] = []string{"x"}
	}
	tests := []struct {
		name          string
		h             Host
		banner, hassh string
		wantBanner    bool
		wantHassh     bool
	}{
		{"same", Host{Banner: "SSH-2.0-OpenSSH_9.6", HasshServer: "aa"}, "SSH-2.0-OpenSSH_9.6", "aa", false, false},
		{"upgraded", Host{Banner: "SSH-2.0-OpenSSH_9.6", HasshServer: "aa"}, "SSH-2.0-OpenSSH_9.7", "bb", true, true},
		{"not recorded", Host{}, "SSH-2.0-OpenSSH_9.7", "bb", false, false},
		{"tinysshd suffix", Host{Banner: "SSH-2.0-tinysshd_20240101_kH3qZ9"}, "SSH-2.0-tinysshd_20240101_p0Wx2L", "", false, false},
		{"tinysshd upgraded", Host{Banner: "SSH-2.0-tinysshd_20240101_kH3qZ9"}, "SSH-2.0-tinysshd_20250101_p0Wx2L", "", true, false},
		{"lists tell it", Host{HasshServer: "aa", Lists: all}, "", "bb", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.BannerChanged(tt.banner); got != tt.wantBanner {
				t.Errorf("BannerChanged = %v", got)
			}
			if got := tt.h.HasshChanged(tt.hassh); got != tt.wantHassh {
				t.Errorf("HasshChanged = %v", got)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample)
	f.Add("[h:22]\nkex_algorithms = ,,,\n")
	f.Add("\n\n# x\n")
	f.Fuzz(func(t *testing.T, in string) {
		b, err := Parse(strings.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		// What sshpin writes, sshpin must read back the same.
		c, err := Parse(strings.NewReader(string(b.Bytes())), "fuzz")
		if err != nil {
			t.Fatalf("rewritten file does not parse: %v\n%s", err, b.Bytes())
		}
		if len(c.Hosts) != len(b.Hosts) {
			t.Fatalf("%d hosts became %d", len(b.Hosts), len(c.Hosts))
		}
		for i, h := range b.Hosts {
			for k, l := range h.Lists {
				if !slices.Equal(c.Hosts[i].Lists[k], l) {
					t.Fatalf("%s %s: %q became %q", h.Name, k, l, c.Hosts[i].Lists[k])
				}
			}
		}
	})
}
