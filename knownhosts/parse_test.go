package knownhosts

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseLine(t *testing.T) {
	ed := authorized(fixtureKey(t, "server_ed25519"))
	rsa := authorized(fixtureKey(t, "server_rsa"))
	ca := authorized(fixtureKey(t, "ca"))
	edB64 := strings.Fields(ed)[1]
	unknown := "ssh-foo@example.com AAAAE3NzaC1mb29AZXhhbXBsZS5jb20AAAAEAQIDBA=="
	tests := []struct {
		name, raw string
		kind      LineKind
		marker    string
		hosts     []string
		hashed    bool
		keyType   string
		comment   string
		hasKey    bool
		err       string // substring of the SyntaxError message
	}{
		{name: "empty", raw: "", kind: Blank},
		{name: "spaces and tabs", raw: " \t ", kind: Blank},
		{name: "comment", raw: "# a.example.com " + ed, kind: Comment},
		{name: "indented comment", raw: "\t # x", kind: Comment},
		{name: "plain", raw: "a.example.com " + ed, kind: Entry, hosts: []string{"a.example.com"}, keyType: "ssh-ed25519", hasKey: true},
		{name: "list", raw: "a.example.com,192.0.2.1,[b.example.com]:2222 " + ed, kind: Entry, hosts: []string{"a.example.com", "192.0.2.1", "[b.example.com]:2222"}, keyType: "ssh-ed25519", hasKey: true},
		{name: "comment after key", raw: "a " + ed + "  root@host  extra ", kind: Entry, hosts: []string{"a"}, keyType: "ssh-ed25519", comment: "root@host  extra ", hasKey: true},
		{name: "tabs and leading blanks", raw: "\t a\t\t" + strings.Replace(ed, " ", "\t", 1), kind: Entry, hosts: []string{"a"}, keyType: "ssh-ed25519", hasKey: true},
		{name: "rsa", raw: "a " + rsa, kind: Entry, hosts: []string{"a"}, keyType: "ssh-rsa", hasKey: true},
		{name: "wildcards and negation", raw: "*.example.com,!b.example.com,a?.x " + ed, kind: Entry, hosts: []string{"*.example.com", "!b.example.com", "a?.x"}, keyType: "ssh-ed25519", hasKey: true},
		{name: "hashed", raw: "|1|JfKTdBh7rNbXkVAQCRp4OQoPfmI=|USECr3SWf1JUPsms5AqfD5QfxkM= " + ed, kind: Entry, hosts: []string{"|1|JfKTdBh7rNbXkVAQCRp4OQoPfmI=|USECr3SWf1JUPsms5AqfD5QfxkM="}, hashed: true, keyType: "ssh-ed25519", hasKey: true},
		{name: "cert-authority", raw: "@cert-authority *.example.com " + ca, kind: Entry, marker: MarkerCA, hosts: []string{"*.example.com"}, keyType: "ssh-ed25519", hasKey: true},
		{name: "revoked", raw: "@revoked * " + ed, kind: Entry, marker: MarkerRevoked, hosts: []string{"*"}, keyType: "ssh-ed25519", hasKey: true},
		{name: "unknown key type kept", raw: "a " + unknown, kind: Entry, hosts: []string{"a"}, keyType: "ssh-foo@example.com"},
		{name: "unknown marker", raw: "@trusted a " + ed, kind: Invalid, err: `unknown marker "@trusted"`},
		{name: "marker is case-sensitive", raw: "@Revoked a " + ed, kind: Invalid, err: "unknown marker"},
		{name: "two markers", raw: "@cert-authority @revoked a " + ed, kind: Invalid, err: "more than one marker"},
		{name: "marker alone", raw: "@revoked", kind: Invalid, err: `marker "@revoked" and nothing after it`},
		{name: "marker and space", raw: "@revoked ", kind: Invalid, err: "truncated line"},
		{name: "marker, tab, then spaces", raw: "@cert-authority\t*.example.com " + ca, kind: Invalid, err: "followed by a tab"},
		{name: "revoked, tab, then spaces", raw: "@revoked\t* " + ed, kind: Invalid, err: "followed by a tab"},
		{name: "marker and tabs only", raw: "@cert-authority\t*.example.com\t" + strings.Replace(ca, " ", "\t", 1), kind: Entry, marker: MarkerCA, hosts: []string{"*.example.com"}, keyType: "ssh-ed25519", hasKey: true},
		{name: "host alone", raw: "a.example.com", kind: Invalid, err: "truncated line"},
		{name: "host and blanks", raw: "a.example.com \t", kind: Invalid, err: "missing key type"},
		{name: "comment instead of key type", raw: "a.example.com #x", kind: Invalid, err: "missing key type"},
		{name: "missing key", raw: "a.example.com ssh-ed25519", kind: Invalid, err: `missing key after "ssh-ed25519"`},
		{name: "bad base64", raw: "a ssh-ed25519 AAAA!!!!", kind: Invalid, err: "not valid base64"},
		{name: "truncated blob", raw: "a ssh-ed25519 AAAA", kind: Invalid, err: "truncated"},
		{name: "type mismatch", raw: "a ssh-rsa " + edB64, kind: Invalid, err: `key type "ssh-rsa" does not match the key, which is "ssh-ed25519"`},
		{name: "rsa-sha2-256 names an rsa key", raw: "a rsa-sha2-256 " + strings.Fields(rsa)[1], kind: Entry, hosts: []string{"a"}, keyType: "rsa-sha2-256", hasKey: true},
		{name: "rsa-sha2-512 names an rsa key", raw: "a rsa-sha2-512 " + strings.Fields(rsa)[1], kind: Entry, hosts: []string{"a"}, keyType: "rsa-sha2-512", hasKey: true},
		{name: "rsa-sha2-256 on an ed25519 key", raw: "a rsa-sha2-256 " + edB64, kind: Invalid, err: "does not match"},
		{name: "rsa with a 33-bit exponent", raw: "a " + bigExponentRSA(t), kind: Entry, hosts: []string{"a"}, keyType: "ssh-rsa", hasKey: true},
		{name: "rsa of 512 bits", raw: "a " + smallRSA(t), kind: Invalid, err: "under 1024 bits"},
		{name: "NUL ends the line", raw: "a " + ed + "\x00junk", kind: Entry, hosts: []string{"a"}, keyType: "ssh-ed25519", hasKey: true},
		{name: "NUL inside the key", raw: "a ssh-ed25519 AAAA\x00" + edB64, kind: Invalid, err: "truncated"},
		{name: "malformed known type", raw: "a ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAAQA=", kind: Invalid, err: "malformed ssh-ed25519 key"},
		{name: "ssh-1 rsa", raw: "a 1024 35 1234567890", kind: Invalid, err: "SSH-1 RSA key"},
		{name: "hashed, bad type", raw: "|2|JfKTdBh7rNbXkVAQCRp4OQoPfmI=|USECr3SWf1JUPsms5AqfD5QfxkM= " + ed, kind: Invalid, err: "bad hashed host"},
		{name: "hashed, short salt", raw: "|1|AAAA|USECr3SWf1JUPsms5AqfD5QfxkM= " + ed, kind: Invalid, err: "bad hashed host"},
		{name: "hashed, salt with stray bits", raw: "|1|JfKTdBh7rNbXkVAQCRp4OQoPfmJ=|USECr3SWf1JUPsms5AqfD5QfxkM= " + ed, kind: Invalid, err: "bad hashed host"},
		{name: "hashed, bad hash (matches nothing)", raw: "|1|JfKTdBh7rNbXkVAQCRp4OQoPfmI=|!!! " + ed, kind: Entry, hosts: []string{"|1|JfKTdBh7rNbXkVAQCRp4OQoPfmI=|!!!"}, hashed: true, keyType: "ssh-ed25519", hasKey: true},
		{name: "hashed, missing part", raw: "|1|JfKTdBh7rNbXkVAQCRp4OQoPfmI= " + ed, kind: Invalid, err: "bad hashed host"},
		{name: "hashed in a list (matches nothing)", raw: "|1|JfKTdBh7rNbXkVAQCRp4OQoPfmI=|USECr3SWf1JUPsms5AqfD5QfxkM=,a " + ed, kind: Entry, hosts: []string{"|1|JfKTdBh7rNbXkVAQCRp4OQoPfmI=|USECr3SWf1JUPsms5AqfD5QfxkM=", "a"}, hashed: true, keyType: "ssh-ed25519", hasKey: true},
		{name: "four wildcards", raw: "a*a*a*a*b " + ed, kind: Entry, hosts: []string{"a*a*a*a*b"}, keyType: "ssh-ed25519", hasKey: true},
		{name: "control character", raw: "a\x01b,c " + ed, kind: Entry, hosts: []string{"a\x01b", "c"}, keyType: "ssh-ed25519", hasKey: true},
		{name: "64 KiB line", raw: "a " + ed + " " + strings.Repeat("x", 64<<10), kind: Entry, hosts: []string{"a"}, keyType: "ssh-ed25519", comment: strings.Repeat("x", 64<<10), hasKey: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.raw+"\n")
			if len(f.Lines) != 1 {
				t.Fatalf("got %d lines", len(f.Lines))
			}
			l := f.Lines[0]
			if l.Kind != tt.kind {
				t.Fatalf("kind = %v, want %v (err %v)", l.Kind, tt.kind, l.Err)
			}
			if l.Raw != tt.raw || l.EOL != "\n" || l.Num != 1 {
				t.Errorf("raw/eol/num = %q %q %d", l.Raw, l.EOL, l.Num)
			}
			if tt.kind == Invalid {
				var se *SyntaxError
				if !errors.As(l.Err, &se) || !strings.Contains(se.Msg, tt.err) || se.Line != 1 || se.File != "known_hosts" {
					t.Fatalf("err = %v, want it to say %q", l.Err, tt.err)
				}
				if !strings.HasPrefix(l.Err.Error(), "knownhosts: known_hosts:1: ") {
					t.Errorf("error text %q", l.Err)
				}
				return
			}
			if l.Err != nil {
				t.Fatalf("unexpected error %v", l.Err)
			}
			if tt.kind != Entry {
				return
			}
			if l.Marker != tt.marker || l.Hashed != tt.hashed || l.KeyType != tt.keyType || l.Comment != tt.comment {
				t.Errorf("got marker %q hashed %v type %q comment %q", l.Marker, l.Hashed, l.KeyType, l.Comment)
			}
			if strings.Join(l.Hosts, " ") != strings.Join(tt.hosts, " ") {
				t.Errorf("hosts = %q, want %q", l.Hosts, tt.hosts)
			}
			if (l.Key != nil) != tt.hasKey {
				t.Errorf("key = %v, want one: %v", l.Key, tt.hasKey)
			}
			if want, _ := keyFormat(tt.keyType); l.Key != nil && l.Key.Type() != want {
				t.Errorf("key type %s", l.Key.Type())
			}
		})
	}
}

func TestParseLineEndings(t *testing.T) {
	tests := []struct {
		in   string
		raws []string
		eols []string
	}{
		{"", nil, nil},
		{"\n", []string{""}, []string{"\n"}},
		{"a\nb", []string{"a", "b"}, []string{"\n", ""}},
		{"a\r\nb\r\n", []string{"a", "b"}, []string{"\r\n", "\r\n"}},
		{"a\r\nb\nc", []string{"a", "b", "c"}, []string{"\r\n", "\n", ""}},
		{"a\rb\n\r", []string{"a\rb", "\r"}, []string{"\n", ""}},
		{"\r\n\r\n", []string{"", ""}, []string{"\r\n", "\r\n"}},
	}
	for _, tt := range tests {
		f := mustParse(t, tt.in)
		var raws, eols []string
		for i, l := range f.Lines {
			raws, eols = append(raws, l.Raw), append(eols, l.EOL)
			if l.Num != i+1 {
				t.Errorf("%q: line %d numbered %d", tt.in, i+1, l.Num)
			}
		}
		if strings.Join(raws, "|") != strings.Join(tt.raws, "|") || strings.Join(eols, "|") != strings.Join(tt.eols, "|") {
			t.Errorf("%q: raws %q eols %q", tt.in, raws, eols)
		}
		if got := string(f.Bytes()); got != tt.in {
			t.Errorf("%q: Bytes = %q", tt.in, got)
		}
	}
}

// TestParseKeepsGoing: one bad line spoils nothing else, unlike x/crypto's
// knownhosts.New.
func TestParseKeepsGoing(t *testing.T) {
	ed := authorized(fixtureKey(t, "server_ed25519"))
	f := mustParse(t, "garbage\na.example.com "+ed+"\n@bogus x y z\nb.example.com "+ed+"\n")
	var kinds []string
	for _, l := range f.Lines {
		kinds = append(kinds, l.Kind.String())
	}
	if got := strings.Join(kinds, " "); got != "invalid entry invalid entry" {
		t.Fatalf("kinds: %s", got)
	}
	for _, h := range []string{"a.example.com", "b.example.com"} {
		if m := mustLookup(t, f, h, 22); len(m.Keys) != 1 {
			t.Errorf("%s: %d keys", h, len(m.Keys))
		}
	}
}

func TestParseLimits(t *testing.T) {
	_, err := Parse(io.LimitReader(zeros{}, MaxFileSize+1), "big")
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized file: %v", err)
	}
	_, err = Parse(iotest.ErrReader(io.ErrUnexpectedEOF), "broken")
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasPrefix(err.Error(), "knownhosts: broken: ") {
		t.Errorf("read error: %v", err)
	}
	if _, err := ReadFile("/nonexistent/known_hosts"); err == nil || !strings.HasPrefix(err.Error(), "knownhosts: ") {
		t.Errorf("missing file: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '\n'
	}
	return len(p), nil
}

// TestParseToolOutput reads what ssh-keyscan, ssh-keyscan -H and
// ssh-keygen -H wrote (gen.sh): every line must be an entry with the
// server's keys.
func TestParseToolOutput(t *testing.T) {
	server := map[string]string{}
	for _, n := range []string{"server_ed25519", "server_ecdsa", "server_rsa"} {
		k := fixtureKey(t, n)
		server[string(k.Marshal())] = n
	}
	for _, name := range []string{"keyscan.known_hosts", "keyscan_hashed.known_hosts"} {
		f, err := ReadFile(testdata + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		entries := 0
		for _, l := range f.Lines {
			switch {
			case l.Kind == Comment:
			case l.Kind != Entry || l.Key == nil:
				t.Errorf("%s:%d: %v %v", name, l.Num, l.Kind, l.Err)
			case server[string(l.Key.Marshal())] == "":
				t.Errorf("%s:%d: not a server key", name, l.Num)
			case l.Hashed != (name == "keyscan_hashed.known_hosts"):
				t.Errorf("%s:%d: hashed = %v", name, l.Num, l.Hashed)
			default:
				entries++
			}
		}
		if entries != 12 {
			t.Errorf("%s: %d entries, want 12", name, entries)
		}
		if p := f.Lint(); len(p) != 0 {
			t.Errorf("%s: lint: %v", name, p)
		}
	}
}
