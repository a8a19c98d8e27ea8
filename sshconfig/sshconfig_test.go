package sshconfig

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A configuration with the constructs that decide a connection, resolved
// for several hosts, and compared with what OpenSSH's ssh -G says of the
// same file.
func TestSSHConfigAgainstOpenSSH(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "inc-a.conf", `
Host included
  HostName from-include.example
  Port 2022
`)
	writeConfig(t, dir, "inc-b.conf", `
# Under "Host cond-*" in the main file: only for those hosts.
User include-user
`)
	main := writeConfig(t, dir, "config", `
# Global lines first: they apply to every host.
IdentityFile /keys/global
Include `+dir+`/inc-a.conf

Host web-* !web-9
  HostName %h.example.com
  User deploy
  IdentityFile ~/.ssh/id_%r_%h
  IdentityFile "/keys/with space"

Host web-1
  Port=2222
  User nobody
  UserKnownHostsFile ~/kh1 /tmp/kh2

Match host *.example.com user deploy
  ProxyJump bast@jump:2200,jump2

Host cond-*
  Include `+dir+`/inc-b.conf
  HostKeyAlias cond-alias

Host PC
  ProxyCommand nc %h %p
  ProxyJump ignored-after-proxycommand

Host Mixed-Case
  Hostname mixed.example   # a comment

Match originalhost web-9
  Port 9999
  UserKnownHostsFile none

Host *
  Port 22
  IdentityFile ~/.ssh/default
`)
	cfg, err := Read([]string{main}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("no ssh to compare with")
	}
	for _, host := range []string{"web-1", "web-2", "web-9", "included", "cond-x", "other", "pc", "mixed-case", "MIXED-CASE"} {
		out, err := exec.Command(ssh, "-G", "-F", main, host).Output()
		if err != nil {
			t.Fatalf("ssh -G %s: %v", host, err)
		}
		want := map[string][]string{}
		for _, l := range strings.Split(string(out), "\n") {
			k, v, _ := strings.Cut(l, " ")
			want[k] = append(want[k], v)
		}
		hc := cfg.Resolve(host, "")
		port := "22"
		if hc.Port != 0 {
			port = strconv.Itoa(hc.Port)
		}
		user := hc.User
		if user == "" {
			user = LocalUser()
		}
		got := map[string][]string{
			"hostname": {hc.HostName},
			"port":     {port},
			"user":     {user},
		}
		if len(hc.IdentityFiles) > 0 {
			got["identityfile"] = hc.IdentityFiles
		} else {
			got["identityfile"] = want["identityfile"] // ssh's defaults
		}
		if hc.KnownHostsSet {
			var files []string
			for _, f := range hc.UserKnownHostsFiles {
				files = append(files, hc.Tokens(f, hc.Port, user))
			}
			got["userknownhostsfile"] = []string{strings.Join(files, " ")}
			if len(files) == 0 {
				got["userknownhostsfile"] = []string{"none"}
			}
		} else {
			got["userknownhostsfile"] = want["userknownhostsfile"]
		}
		if hc.ProxyJump != "" {
			got["proxyjump"] = []string{hc.ProxyJump}
		}
		if hc.ProxyCommand != "" {
			got["proxycommand"] = []string{hc.ProxyCommand}
		}
		if hc.HostKeyAlias != "" {
			got["hostkeyalias"] = []string{hc.HostKeyAlias}
		}
		for _, k := range []string{"hostname", "port", "user", "identityfile", "userknownhostsfile", "proxyjump", "proxycommand", "hostkeyalias"} {
			if !slices.Equal(got[k], want[k]) {
				t.Errorf("%s: %s = %q, ssh -G says %q", host, k, got[k], want[k])
			}
		}
		if len(hc.Warnings) > 0 {
			t.Errorf("%s: warnings %q", host, hc.Warnings)
		}
	}
}

func TestSSHConfigUnsupportedMatch(t *testing.T) {
	dir := t.TempDir()
	p := writeConfig(t, dir, "config", "Match exec \"true\"\n  HostName never\nHost *\n  HostName fallback\n")
	cfg, err := Read([]string{p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := cfg.Resolve("h", "")
	if hc.HostName != "fallback" || len(hc.Warnings) != 1 || !strings.Contains(hc.Warnings[0], "Match exec is not supported") {
		t.Errorf("HostName %q, warnings %q", hc.HostName, hc.Warnings)
	}
}

func TestSSHConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, text := range []string{"Host\n", "User \"unterminated\n"} {
		p := writeConfig(t, dir, "bad", text)
		if _, err := Read([]string{p}, nil); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: %v, want an error naming line 1", text, err)
		}
	}
	// A missing file is no error: ssh runs without ~/.ssh/config.
	if _, err := Read([]string{filepath.Join(dir, "none")}, nil); err != nil {
		t.Errorf("missing file: %v", err)
	}
	// An Include loop ends at the depth bound.
	p := writeConfig(t, dir, "loop", "Include "+filepath.Join(dir, "loop")+"\n")
	if _, err := Read([]string{p}, nil); err == nil || !strings.Contains(err.Error(), "too deep") {
		t.Errorf("Include loop: %v", err)
	}
}
