package knownhosts

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// keep is a file of things a merge must not touch.
const keep = "# my hosts\r\n\n  x.example.org   {other_rsa}   laptop  \n" +
	"not an entry at all\n@cert-authority *.example.com {ca}\n"

func TestMerge(t *testing.T) {
	ed, rsa := fixtureKey(t, "server_ed25519"), fixtureKey(t, "server_rsa")
	tests := []struct {
		name      string
		file      string
		host      string
		port      int
		keys      []ssh.PublicKey
		opts      MergeOptions
		want      string // the file after Apply
		added     int
		unchanged []int
		replaced  []int
	}{
		{
			name: "new file", file: "", host: "a.example.com", port: 22, keys: []ssh.PublicKey{ed, rsa},
			want:  "a.example.com {server_ed25519}\na.example.com {server_rsa}\n",
			added: 2,
		},
		{
			name: "append, everything else kept", file: keep, host: "A.Example.com", port: 22, keys: []ssh.PublicKey{ed},
			want:  keep + "a.example.com {server_ed25519}\n",
			added: 1,
		},
		{
			name: "other port", file: "a.example.com {server_ed25519}\n", host: "a.example.com", port: 2222, keys: []ssh.PublicKey{ed},
			want:  "a.example.com {server_ed25519}\n[a.example.com]:2222 {server_ed25519}\n",
			added: 1,
		},
		{
			name: "ipv6", file: "", host: "[2001:DB8::1]", port: 22, keys: []ssh.PublicKey{ed},
			want: "2001:db8::1 {server_ed25519}\n", added: 1,
		},
		{
			name: "ipv6 other port", file: "", host: "2001:db8::1", port: 2200, keys: []ssh.PublicKey{ed},
			want: "[2001:db8::1]:2200 {server_ed25519}\n", added: 1,
		},
		{
			name: "already pinned: nothing to do", file: keep + "a.example.com {server_ed25519}\n", host: "a.example.com", port: 22, keys: []ssh.PublicKey{ed},
			want: keep + "a.example.com {server_ed25519}\n", unchanged: []int{6},
		},
		{
			name: "pinned by a pattern counts", file: "*.example.com,!b.example.com {server_ed25519}\n", host: "a.example.com", port: 22, keys: []ssh.PublicKey{ed},
			want: "*.example.com,!b.example.com {server_ed25519}\n", unchanged: []int{1},
		},
		{
			name: "pinned hashed counts", file: "|1|gli9TPQAc6IKM3MlvsCvq5XBPyU=|WtCUHG5/4qDe3sL/UdS0dge4oJc= {server_ed25519}\n", host: "a.example.com", port: 22, keys: []ssh.PublicKey{ed, rsa},
			want:      "|1|gli9TPQAc6IKM3MlvsCvq5XBPyU=|WtCUHG5/4qDe3sL/UdS0dge4oJc= {server_ed25519}\na.example.com {server_rsa}\n",
			added:     1,
			unchanged: []int{1},
		},
		{
			name: "an offered key twice is one line", file: "", host: "a.example.com", port: 22, keys: []ssh.PublicKey{ed, ed},
			want: "a.example.com {server_ed25519}\n", added: 1,
		},
		{
			name: "types not offered are left alone", file: "a.example.com {other_rsa}\n", host: "a.example.com", port: 22, keys: []ssh.PublicKey{ed},
			opts: MergeOptions{Replace: true},
			want: "a.example.com {other_rsa}\na.example.com {server_ed25519}\n", added: 1,
		},
		{
			name: "no trailing newline", file: "# last line", host: "a.example.com", port: 22, keys: []ssh.PublicKey{ed},
			want: "# last line\na.example.com {server_ed25519}\n", added: 1,
		},
		{
			name: "CRLF file gets CRLF", file: "# one\r\n# two", host: "a.example.com", port: 22, keys: []ssh.PublicKey{ed},
			want: "# one\r\n# two\r\na.example.com {server_ed25519}\r\n", added: 1,
		},
		{
			name: "replace a single-host line", file: keep + "a.example.com {other_ed25519}\n# after\n", host: "a.example.com", port: 22, keys: []ssh.PublicKey{ed},
			opts: MergeOptions{Replace: true},
			want: keep + "# after\na.example.com {server_ed25519}\n", added: 1, replaced: []int{6},
		},
		{
			name: "replace takes the host out of a list", file: "b.example.com,a.example.com,!c.example.com\t{other_ed25519} note\n", host: "a.example.com", port: 22, keys: []ssh.PublicKey{ed},
			opts: MergeOptions{Replace: true},
			want: "b.example.com,!c.example.com\t{other_ed25519} note\na.example.com {server_ed25519}\n", added: 1, replaced: []int{1},
		},
		{
			name: "replace drops a list left with negations only", file: "a.example.com,!c.example.com {other_ed25519}\n", host: "a.example.com", port: 22, keys: []ssh.PublicKey{ed},
			opts: MergeOptions{Replace: true},
			want: "a.example.com {server_ed25519}\n", added: 1, replaced: []int{1},
		},
		{
			name: "replace a hashed line", file: "|1|gli9TPQAc6IKM3MlvsCvq5XBPyU=|WtCUHG5/4qDe3sL/UdS0dge4oJc= {other_ed25519}\n", host: "a.example.com", port: 22, keys: []ssh.PublicKey{ed},
			opts: MergeOptions{Replace: true},
			want: "a.example.com {server_ed25519}\n", added: 1, replaced: []int{1},
		},
		{
			name: "replace on another port leaves the bare host", file: "a.example.com {other_ed25519}\n[a.example.com]:2222 {other_ed25519}\n", host: "a.example.com", port: 2222, keys: []ssh.PublicKey{ed},
			opts: MergeOptions{Replace: true},
			want: "a.example.com {other_ed25519}\n[a.example.com]:2222 {server_ed25519}\n", added: 1, replaced: []int{2},
		},
		{
			name: "stale key: no conflict, kept", file: "a.example.com {server_ed25519}\na.example.com {other_ed25519}\n", host: "a.example.com", port: 22, keys: []ssh.PublicKey{ed},
			want: "a.example.com {server_ed25519}\na.example.com {other_ed25519}\n", unchanged: []int{1}, replaced: []int{2},
		},
		{
			name: "stale key: removed by replace", file: "a.example.com {server_ed25519}\na.example.com {other_ed25519}\n", host: "a.example.com", port: 22, keys: []ssh.PublicKey{ed},
			opts: MergeOptions{Replace: true},
			want: "a.example.com {server_ed25519}\n", unchanged: []int{1}, replaced: []int{2},
		},
		{
			name: "stale key by pattern: left alone", file: "a.example.com {server_ed25519}\n*.example.com {other_ed25519}\n", host: "a.example.com", port: 22, keys: []ssh.PublicKey{ed},
			opts: MergeOptions{Replace: true},
			want: "a.example.com {server_ed25519}\n*.example.com {other_ed25519}\n", unchanged: []int{1}, replaced: []int{2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, expand(t, tt.file))
			c, err := f.Plan(tt.host, tt.port, tt.keys, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Added) != tt.added || !slices.Equal(nums(c.Unchanged), tt.unchanged) || !slices.Equal(replacedNums(c), tt.replaced) {
				t.Errorf("added %d unchanged %v replaced %v, want %d %v %v", len(c.Added), nums(c.Unchanged), replacedNums(c), tt.added, tt.unchanged, tt.replaced)
			}
			if err := f.Apply(c); err != nil {
				t.Fatal(err)
			}
			if got, want := string(f.Bytes()), expand(t, tt.want); got != want {
				t.Errorf("after Apply:\n%q\nwant\n%q", got, want)
			}
			if c.Empty() != (string(f.Bytes()) == expand(t, tt.file)) {
				t.Errorf("Empty = %v", c.Empty())
			}
			// Line numbers follow the new layout, and the host now has exactly the offered keys of the offered types.
			for i, l := range f.Lines {
				if l.Num != i+1 {
					t.Errorf("line %d numbered %d", i+1, l.Num)
				}
			}
			m := mustLookup(t, f, tt.host, tt.port)
			for _, k := range tt.keys {
				if m.Verify(k) != nil {
					t.Errorf("%s not pinned after Apply", k.Type())
				}
			}
			if again, err := f.Plan(tt.host, tt.port, tt.keys, tt.opts); err != nil || !again.Empty() {
				t.Errorf("planning again: %v, %+v", err, again)
			}
		})
	}
}

func replacedNums(c *Change) []int {
	var out []int
	for _, r := range c.Replaced {
		out = append(out, r.Old.Num)
	}
	return out
}

func TestMergeConflict(t *testing.T) {
	ed := fixtureKey(t, "server_ed25519")
	content := expand(t, keep+"a.example.com {other_ed25519}\n")
	f := mustParse(t, content)
	c, err := f.Plan("a.example.com", 22, []ssh.PublicKey{ed, fixtureKey(t, "server_rsa")}, MergeOptions{})
	var ce *ConflictError
	if !errors.As(err, &ce) || c != nil {
		t.Fatalf("Plan = %v, %v; want a *ConflictError", c, err)
	}
	r := ce.Change.Replaced
	if len(r) != 1 || r[0].Old.Num != 6 || !sameKey(r[0].New, ed) || r[0].Shared || len(ce.Change.Added) != 2 {
		t.Errorf("conflict change: %+v", ce.Change)
	}
	if want := "knownhosts: a.example.com: ssh-ed25519 key at known_hosts:6 differs from the offered one (replace it to overwrite)"; err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
	if string(f.Bytes()) != content {
		t.Error("Plan changed the file")
	}
	// Applying the Change from the error is refused too.
	if err := f.Apply(ce.Change); !errors.As(err, &ce) {
		t.Errorf("Apply of a conflicting change: %v", err)
	}
}

func TestMergeSharedConflict(t *testing.T) {
	ed := fixtureKey(t, "server_ed25519")
	for _, content := range []string{
		"*.example.com {other_ed25519}\n",
		"a.example.com,a.example.co? {other_ed25519}\n",
	} {
		f := mustParse(t, expand(t, content))
		_, err := f.Plan("a.example.com", 22, []ssh.PublicKey{ed}, MergeOptions{Replace: true})
		var ce *ConflictError
		if !errors.As(err, &ce) || !ce.Change.Replaced[0].Shared || !strings.Contains(err.Error(), "edit it by hand") {
			t.Errorf("%q: %v", content, err)
		}
	}
}

func TestMergeRevoked(t *testing.T) {
	ed := fixtureKey(t, "server_ed25519")
	f := mustParse(t, expand(t, "@revoked * {server_ed25519}\n"))
	_, err := f.Plan("a.example.com", 22, []ssh.PublicKey{ed}, MergeOptions{})
	var re *RevokedError
	if !errors.As(err, &re) || re.Line.Num != 1 {
		t.Errorf("Plan of a revoked key: %v", err)
	}
}

func TestMergeHash(t *testing.T) {
	ed, rsa := fixtureKey(t, "server_ed25519"), fixtureKey(t, "server_rsa")
	f := mustParse(t, "# hashed\n")
	c, err := f.Plan("A.example.com", 2222, []ssh.PublicKey{ed, rsa}, MergeOptions{Hash: true})
	if err != nil {
		t.Fatal(err)
	}
	hashed := regexp.MustCompile(`^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}= (ssh-ed25519|ssh-rsa) [A-Za-z0-9+/=]+$`)
	for _, s := range c.Append {
		if !hashed.MatchString(s) {
			t.Errorf("not an ssh-keyscan -H line: %q", s)
		}
	}
	if c.Append[0][:30] == c.Append[1][:30] {
		t.Error("two lines share a salt")
	}
	if err := f.Apply(c); err != nil {
		t.Fatal(err)
	}
	m := mustLookup(t, f, "a.example.com", 2222)
	if len(m.Keys) != 2 || !m.Keys[0].Hashed {
		t.Fatalf("hashed pins not found: %v", nums(m.Keys))
	}
	if mustLookup(t, f, "a.example.com", 22).Found() {
		t.Error("hashed [a.example.com]:2222 matches port 22")
	}
}

func TestMergeErrors(t *testing.T) {
	f := mustParse(t, "")
	if _, err := f.Plan("a.example.com", 22, nil, MergeOptions{}); err == nil {
		t.Error("no keys: no error")
	}
	for _, h := range []string{"*.example.com", "a,b", "[a]:22", ""} {
		if _, err := f.Plan(h, 22, []ssh.PublicKey{newKey(t)}, MergeOptions{}); err == nil {
			t.Errorf("host %q: no error", h)
		}
	}
	c1, err := f.Plan("a.example.com", 22, []ssh.PublicKey{newKey(t)}, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := f.Plan("b.example.com", 22, []ssh.PublicKey{newKey(t)}, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Apply(c1); err != nil {
		t.Fatal(err)
	}
	if err := f.Apply(c2); err == nil {
		t.Error("a change planned before another Apply was applied")
	}
	if err := mustParse(t, "").Apply(c1); err == nil {
		t.Error("a change applied to another file")
	}
}
