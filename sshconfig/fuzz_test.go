package sshconfig

import (
	"io"
	"io/fs"
	"path"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/sshpin/sshpin/internal/home"
)

// memFiles serves configuration files from memory, for the fuzz target:
// Include globs must not read the disk, where they could read anything.
type memFiles struct{ m fstest.MapFS }

func (f memFiles) open(name string) (io.ReadCloser, error) {
	file, err := f.m.Open(strings.TrimPrefix(path.Clean(name), "/"))
	if err != nil {
		return nil, err
	}
	if st, err := file.Stat(); err != nil || !st.Mode().IsRegular() {
		file.Close()
		return nil, fs.ErrInvalid
	}
	return file, nil
}

func (f memFiles) glob(pattern string) ([]string, error) {
	names, err := fs.Glob(f.m, strings.TrimPrefix(path.Clean(pattern), "/"))
	for i := range names {
		names[i] = "/" + names[i]
	}
	return names, err
}

// FuzzSSHConfig: any configuration, with an Include'd file beside it,
// reads without panicking and within the bounds; resolving any host and
// user through it (Host and Match blocks, tokens, ProxyJump chains, the
// names check, a ProxyCommand line) does not panic, gives the same answer
// twice, and a ProxyCommand line holds every quote it opens. The seed
// corpus is in testdata/fuzz/FuzzSSHConfig.
func FuzzSSHConfig(f *testing.F) {
	for _, s := range []struct{ main, inc, host, user string }{
		{"Host web-*\n  HostName %h.example.com\n  User deploy\n", "", "web-1", ""},
		{"Include /inc\nHost x\n  Include inc\n", "Port 2222\nUser u\n", "x", "me"},
		{"Match host *.example.com user deploy\n  ProxyJump bast@jump:2200,jump2\n", "", "a.example.com", "deploy"},
		{"Host pc\n  ProxyCommand ssh -W \"[%h]:%p\" 'j%r' %n\n", "", "pc", "it's"},
		{"Host=q\n  IdentityFile \"/k/with space\" # c\n  UserKnownHostsFile ~/a %d/b\n", "", "q", ""},
		{"Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n", "", "a", ""},
		{"Match !all exec true\n  User x\nMatch originalhost a* localuser *\n  Port 9\n", "", "ab", ""},
		{"Host *\n  Include /inc /inc\n", "Include /inc\n", "h", ""},
	} {
		f.Add(s.main, s.inc, s.host, s.user)
	}
	f.Fuzz(fuzzOne)
}

func fuzzOne(t *testing.T, main, inc, host, user string) {
	{
		files := memFiles{fstest.MapFS{
			"main": {Data: []byte(main)},
			"inc":  {Data: []byte(inc)},
			// Relative Includes resolve under ~/.ssh.
			strings.TrimPrefix(path.Join(testHome(), ".ssh", "inc"), "/"): {Data: []byte(inc)},
		}}
		cfg, err := readSSHConfig(files, []string{"/main"}, nil)
		if err != nil {
			return
		}
		if len(cfg.lines) > maxConfigLines {
			t.Fatalf("%d lines kept, more than the bound", len(cfg.lines))
		}
		if host == "" {
			return
		}
		r := Target{Host: host, User: user, Port: 22}
		hc := cfg.ResolveProxy(host, user, "", "")
		if again := cfg.ResolveProxy(host, user, "", ""); !reflect.DeepEqual(hc, again) {
			t.Fatalf("ResolveProxy differs between two calls:\n%+v\n%+v", hc, again)
		}
		hops, err := cfg.JumpChain(r, hc)
		if err == nil && len(hops) > maxJumpHosts {
			t.Fatalf("%d jump hosts, more than the bound", len(hops))
		}
		for _, f := range hc.IdentityFiles {
			hc.Tokens(f, 22, user)
		}
		if hc.ProxyCommand != "" {
			line := hc.ProxyCommandLine(22, user)
			if open := openQuote(hc.ProxyCommand); open == 0 && openQuote(line) != 0 {
				t.Fatalf("ProxyCommand %q balances its quotes; its line %q does not", hc.ProxyCommand, line)
			}
		}
	}
}

// openQuote is the quote a shell would still be inside at the end of s
// (' or "), or 0.
func openQuote(s string) byte {
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q == 0 && c == '\\', q == '"' && c == '\\':
			i++
		case q == 0 && (c == '\'' || c == '"'):
			q = c
		case q != 0 && c == q:
			q = 0
		}
	}
	return q
}

// testHome is where relative Includes resolve: ~/.ssh, or "" when the home
// directory is unknown (then such an Include is an error).
func testHome() string {
	h, _ := home.Dir()
	return h
}
