package sshdial

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshpin/sshpin/sshconfig"
)

// ssh's rules (ssh_valid_ruser, ssh_valid_hostname in readconf.c), case by
// case.
func TestCheckNames(t *testing.T) {
	for _, c := range []struct {
		name       string
		user, host bool // accepted as a user name, as a host name
	}{
		{"deploy", true, true},
		{"web-1.example.com", true, true},
		{"DOMAIN\\user", true, false},
		{"machine$", true, false},
		{"a b", true, false},
		{"~root", true, true},
		{"-oProxyCommand=x", false, false},
		{"-l", false, false},
		{"a -b", false, false},
		{"$(touch x)", false, false},
		{"${HOME}", false, false},
		{"`id`", false, false},
		{"a;b", false, false},
		{"a|b", false, false},
		{"a&b", false, false},
		{"a>b", false, false},
		{"a'b", false, false},
		{"a\"b", false, false},
		{"a,b", true, false},
		{"a\\", false, false},
		{"a\nb", false, false},
		{"a\x1bb", false, false},
		{"a\u009bb", false, false},
	} {
		if got := CheckUser(c.name, "") == nil; got != c.user {
			t.Errorf("CheckUser(%q) accepts: %v, want %v", c.name, got, c.user)
		}
		if got := CheckHost(c.name, "") == nil; got != c.host {
			t.Errorf("CheckHost(%q) accepts: %v, want %v", c.name, got, c.host)
		}
	}
	var ne *InvalidNameError
	err := CheckUser("$(touch x)", "the command line")
	if !errors.As(err, &ne) || ne.What != "user name" || !strings.HasPrefix(err.Error(), `user name "$(touch x)" (from the command line) contains '('`) {
		t.Errorf("CheckUser error: %v", err)
	}
	// The text is printed after "sshpin: " as it is, and escaped once by
	// the printer: no package prefix, no Go quoting of its own.
	for _, c := range []struct {
		err  error
		want string
	}{
		{CheckUser("a'b", ""), `user name "a'b" contains "'": refused`},
		{CheckUser("a\x1bb", ""), "user name \"a\x1bb\" contains the control character U+001B: refused"},
		{CheckHost("a\"b", "cfg line 2"), `host name "a"b" (from cfg line 2) contains '"': refused`},
	} {
		if c.err == nil || !strings.HasPrefix(c.err.Error(), c.want) {
			t.Errorf("error %q, want it to start with %q", c.err, c.want)
		}
	}
}

// What a ProxyCommand line pastes in reaches the command as one literal
// argument, whatever it holds and whatever quotes the command puts around
// the token, and no shell syntax in it runs: checked by running the lines
// with sh. The names here skip CheckUser and CheckHost on purpose.
func TestProxyCommandLineQuotes(t *testing.T) {
	hostile := []string{
		"$(touch pwned)", "`touch pwned`", ";touch pwned;", "a'b", `a"b`, "${HOME}", "$HOME",
		"~root", "*", `a\`, `\`, "-oProxyCommand=touch pwned", "a b", "'", "\"'\"'",
	}
	for _, c := range []struct {
		command string
		want    func(user, host string) string
	}{
		{`printf '<%%s>' %r %h %n`, func(u, h string) string { return "<" + u + "><" + h + "><alias>" }},
		{`printf '<%%s>' "%r" "[%h]:%p"`, func(u, h string) string { return "<" + u + "><[" + h + "]:2222>" }},
		{`printf '<%%s>' 'x%ry' '%h'`, func(u, h string) string { return "<x" + u + "y><" + h + ">" }},
		{`printf '<%%s>' x\%r`, func(u, h string) string { return "<x" + u + ">" }},
		{`printf '<%%s>' "it's %r" 'say "%h"'`, func(u, h string) string { return "<it's " + u + "><say \"" + h + "\">" }},
	} {
		for _, v := range hostile {
			dir := t.TempDir()
			line := sshconfig.HostConfig{Alias: "alias", HostName: v, ProxyCommand: c.command}.ProxyCommandLine(2222, v)
			cmd := exec.Command("/bin/sh", "-c", line)
			cmd.Dir = dir
			cmd.Env = []string{"HOME=/home/h", "PATH=" + os.Getenv("PATH")}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("%s with %q: %v: %s", line, v, err, out)
				continue
			}
			if want := c.want(v, v); string(out) != want {
				t.Errorf("%s with %q:\n  sh said %q\n  want    %q", line, v, out, want)
			}
			if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
				t.Errorf("%s with %q ran a command", line, v)
			}
		}
	}
}

// Paths expand ~ as written and ${VAR} and the tokens in one pass: what a
// token pastes in is not expanded again.
func TestTokensOnePass(t *testing.T) {
	t.Setenv("SFTPX_SECRET", "leaked")
	hc := sshconfig.HostConfig{Alias: "h", HostName: "h"}
	for _, c := range []struct{ in, user, want string }{
		{"/k/%r", "${SFTPX_SECRET}", "/k/${SFTPX_SECRET}"},
		{"%r/k", "~root", "~root/k"},
		{"/k/${SFTPX_SECRET}/%r", "u", "/k/leaked/u"},
		{"/k/%%r", "u", "/k/%r"},
	} {
		if got := hc.Tokens(c.in, 22, c.user); got != c.want {
			t.Errorf("Tokens(%q) with user %q = %q, want %q", c.in, c.user, got, c.want)
		}
	}
}

// Dial refuses a name ssh would refuse before it runs the proxy command
// or dials, for callers that built Options without CheckNames.
func TestDialRefusesNames(t *testing.T) {
	dir := t.TempDir()
	for _, o := range []Options{
		{Host: "127.0.0.1", User: "$(x)"},
		{Host: "-oProxyCommand=x", User: "u"},
		{Host: "127.0.0.1", User: "u", Jump: []Hop{{Host: "127.0.0.1", User: "a;b"}}},
	} {
		o.Timeout = time.Second
		o.ProxyCommand = "touch " + filepath.Join(dir, "ran")
		_, err := Dial(context.Background(), o)
		var ne *InvalidNameError
		if !errors.As(err, &ne) {
			t.Errorf("Dial(%+v) = %v, want an InvalidNameError", o, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
			t.Fatalf("Dial(%+v) ran the proxy command", o)
		}
	}
}
