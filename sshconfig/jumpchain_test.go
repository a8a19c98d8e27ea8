package sshconfig

import (
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// chainConfig is a configuration with the ways a chain of jump hosts is
// written: a bastion behind a bastion, lists whose later hosts have a
// ProxyJump of their own (which ssh ignores), a first jump host reached
// through a ProxyCommand, and ProxyJump none, which ends a chain where
// Host * would go on. Every address is loopback; ssh -G connects nowhere
// anyway.
const chainConfig = `
Host target
  HostName 127.0.0.9
  ProxyJump bastion2
Host bastion2
  HostName 127.0.0.2
  Port 2202
  ProxyJump ops@bastion1:2201
Host bastion1
  HostName 127.0.0.1
  User jumper
  ProxyJump none
Host multi
  HostName 127.0.0.10
  ProxyJump bastion2,other,bastion1
Host other
  HostName 127.0.0.3
  ProxyJump bastion2
Host via-pc
  HostName 127.0.0.11
  ProxyJump pc-gw
Host pc-gw
  HostName 127.0.0.4
  ProxyCommand nc %h %p
Host direct-pc
  HostName 127.0.0.12
  ProxyCommand nc %h %p
Host pjnone-pc
  HostName 127.0.0.13
  ProxyJump none
  ProxyCommand nc -X connect %h %p
Host none-first
  HostName 127.0.0.14
  ProxyJump none
  ProxyJump bastion1
Host catch-all
  HostName 127.0.0.15
  ProxyJump none
Host *
  User everyone
  ProxyJump catch-all
`

// sshG is what ssh -G says of a host, as ssh would be started for it.
func sshG(t *testing.T, ssh, cfg string, r Target, jump string) map[string]string {
	t.Helper()
	args := []string{"-G", "-F", cfg}
	if jump != "" {
		args = append(args, "-J", jump)
	}
	if r.User != "" {
		args = append(args, "-l", r.User)
	}
	if r.PortGiven {
		args = append(args, "-p", strconv.Itoa(r.Port))
	}
	out, err := exec.Command(ssh, append(args, r.Host)...).Output()
	if err != nil {
		t.Fatalf("ssh %s: %v", strings.Join(args, " "), err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(l, " ")
		m[k] = v
	}
	return m
}

// sshChain is the chain ssh itself would build, with ssh -G deciding each
// step as ssh.c does: a host whose proxyjump is a,b,c is reached by
// "ssh -J a,b -W host c", so c comes last, reached through the chain of c
// with -J a,b, and so on down to a host with no proxyjump, which is
// reached directly or through its proxycommand. Each hop is described as
// the list wrote it, then where ssh would connect and as whom.
func sshChain(t *testing.T, ssh, cfg string, r Target, jump string, depth int) (hops []string, proxyCommand string) {
	t.Helper()
	if depth > maxJumpHosts {
		t.Fatalf("ssh's chain to %s does not end", r.Host)
	}
	g := sshG(t, ssh, cfg, r, jump)
	pj := g["proxyjump"]
	if pj == "" || pj == "none" {
		return nil, g["proxycommand"]
	}
	list := strings.Split(pj, ",")
	lr, err := ParseJump(list[len(list)-1])
	if err != nil {
		t.Fatal(err)
	}
	last := lr[0]
	hops, proxyCommand = sshChain(t, ssh, cfg, last, strings.Join(list[:len(list)-1], ","), depth+1)
	lg := sshG(t, ssh, cfg, last, strings.Join(list[:len(list)-1], ","))
	return append(hops, fmt.Sprintf("%s (%s@%s:%s)", jumpName(last), lg["user"], lg["hostname"], lg["port"])), proxyCommand
}

// The chain of jump hosts JumpChain builds from the configuration is the
// one ssh builds, step by step as ssh -G decides each: bastion1, then
// bastion2, then the target; a -J that replaces the target's ProxyJump
// and leaves the jump hosts' own; the later hosts of a list reached
// through the ones before them, whatever their own ProxyJump says; and
// the first jump host's ProxyCommand.
func TestJumpChainAgainstOpenSSH(t *testing.T) {
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("no ssh to compare with")
	}
	cfgPath := writeConfig(t, t.TempDir(), "config", chainConfig)
	cfg, err := Read([]string{cfgPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		target, jump string
		want         []string // the hops as written
		proxy        string   // the first host's ProxyCommand
	}{
		{target: "target", want: []string{"ops@bastion1:2201", "bastion2"}},
		{target: "bastion2", want: []string{"ops@bastion1:2201"}},
		{target: "deploy@target", want: []string{"ops@bastion1:2201", "bastion2"}},
		{target: "multi", want: []string{"ops@bastion1:2201", "bastion2", "other", "bastion1"}},
		{target: "via-pc", want: []string{"pc-gw"}, proxy: "nc %h %p"},
		{target: "direct-pc", proxy: "nc %h %p"},
		{target: "pjnone-pc", proxy: "nc -X connect %h %p"},
		{target: "none-first"},
		{target: "target", jump: "none"},
		{target: "target", jump: "other", want: []string{"ops@bastion1:2201", "bastion2", "other"}},
		{target: "target", jump: "bastion1,bastion2", want: []string{"bastion1", "bastion2"}},
		{target: "target", jump: "me@bastion2:2222", want: []string{"ops@bastion1:2201", "me@bastion2:2222"}},
		{target: "direct-pc", jump: "pc-gw", want: []string{"pc-gw"}, proxy: "nc %h %p"},
		{target: "target", jump: "bastion1,pc-gw", want: []string{"bastion1", "pc-gw"}},
		{target: "127.0.0.1:2222", jump: "127.0.0.1:2200", want: []string{"catch-all", "127.0.0.1:2200"}},
		{target: "unlisted", want: []string{"catch-all"}},
	} {
		t.Run(tc.target+" -J "+tc.jump, func(t *testing.T) {
			target := Target{Host: tc.target, Port: 22}
			if u, h, ok := strings.Cut(tc.target, "@"); ok {
				target.User, target.Host = u, h
			}
			if h, p, ok := strings.Cut(target.Host, ":"); ok {
				target.Host, target.PortGiven = h, true
				target.Port, _ = strconv.Atoi(p)
			}
			hc := cfg.ResolveProxy(target.Host, target.User, tc.jump, "")
			hops, err := cfg.JumpChain(target, hc)
			if err != nil {
				t.Fatalf("JumpChain: %v", err)
			}
			var names, got []string
			proxy := hc.ProxyCommand
			for i, h := range hops {
				names = append(names, jumpName(h.Target))
				port := h.Config.Port
				if h.Target.PortGiven || port == 0 {
					port = h.Target.Port
				}
				user := h.Target.User
				if user == "" {
					user = h.Config.User
				}
				got = append(got, fmt.Sprintf("%s (%s@%s:%d)", jumpName(h.Target), user, h.Config.HostName, port))
				if h.Config.ProxyJump != "" {
					t.Errorf("hop %s keeps ProxyJump %q", h.Target.Host, h.Config.ProxyJump)
				}
				if i == 0 {
					proxy = h.Config.ProxyCommand
				} else if h.Config.ProxyCommand != "" {
					t.Errorf("hop %d (%s) has ProxyCommand %q; only the first may", i, h.Target.Host, h.Config.ProxyCommand)
				}
			}
			if !slices.Equal(names, tc.want) || proxy != tc.proxy {
				t.Errorf("chain %q, ProxyCommand %q; want %q, %q", names, proxy, tc.want, tc.proxy)
			}
			want, wantProxy := sshChain(t, ssh, cfgPath, target, tc.jump, 0)
			if !slices.Equal(got, want) || proxy != wantProxy {
				t.Errorf("chain %q, ProxyCommand %q\nssh -G: %q, %q", got, proxy, want, wantProxy)
			}
		})
	}
}

// ProxyJump and ProxyCommand block each other unevenly in ssh, and the
// command line's -J and -o ProxyCommand come before the files: the cases
// where that shows, compared with ssh -G.
func TestResolveProxyAgainstOpenSSH(t *testing.T) {
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("no ssh to compare with")
	}
	cfgPath := writeConfig(t, t.TempDir(), "config", `
Host jump-then-command
  ProxyJump x
  ProxyCommand foo %h
Host command-then-jump
  ProxyCommand foo %h
  ProxyJump x
Host command-none-then-jump
  ProxyCommand NONE
  ProxyJump x
Host jump-none-then-command
  ProxyJump none
  ProxyCommand foo %h
Host jump-none-then-jump
  ProxyJump None
  ProxyJump y
Host list
  ProxyJump a,b@c:2
`)
	cfg, err := Read([]string{cfgPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"jump-then-command", "command-then-jump", "command-none-then-jump", "jump-none-then-command", "jump-none-then-jump", "list", "unset"} {
		for _, cl := range []struct{ jump, command string }{{}, {jump: "j1,j2"}, {jump: "none"}, {command: "cmd %p"}} {
			args := []string{"-G", "-F", cfgPath}
			if cl.jump != "" {
				args = append(args, "-J", cl.jump)
			}
			if cl.command != "" {
				args = append(args, "-o", "ProxyCommand="+cl.command)
			}
			out, err := exec.Command(ssh, append(args, host)...).Output()
			if err != nil {
				t.Fatalf("ssh %s: %v", strings.Join(args, " "), err)
			}
			want := map[string]string{}
			for _, l := range strings.Split(string(out), "\n") {
				if k, v, _ := strings.Cut(l, " "); k == "proxyjump" || k == "proxycommand" {
					want[k] = v
				}
			}
			hc := cfg.ResolveProxy(host, "", cl.jump, cl.command)
			if hc.ProxyJump != want["proxyjump"] || hc.ProxyCommand != want["proxycommand"] {
				t.Errorf("%s with -J %q -o ProxyCommand=%q: ProxyJump %q, ProxyCommand %q; ssh -G says %q, %q",
					host, cl.jump, cl.command, hc.ProxyJump, hc.ProxyCommand, want["proxyjump"], want["proxycommand"])
			}
		}
	}
}

// A ProxyJump that leads back to a host on the way is an error naming the
// way round, where ssh would start copies of itself without end; so is a
// chain past the bound, and a jump list in the configuration that does
// not parse.
func TestJumpChainErrors(t *testing.T) {
	var long strings.Builder
	for i := range maxJumpHosts + 1 {
		fmt.Fprintf(&long, "Host h%d\n  ProxyJump h%d\n", i, i+1)
	}
	cfgPath := writeConfig(t, t.TempDir(), "config", `
Host a
  ProxyJump b
Host b
  ProxyJump a
Host self
  ProxyJump self
Host c
  ProxyJump d,x
Host d
  ProxyJump u@e:2222
Host e
  ProxyJump c
Host bad
  ProxyJump ok,u@
Host port-1
  HostName 127.0.0.1
  ProxyJump port-1:2200
`+long.String())
	cfg, err := Read([]string{cfgPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		target, jump, want string
	}{
		{target: "a", want: "sshconfig: ProxyJump loop: a -> b -> a"},
		{target: "self", want: "sshconfig: ProxyJump loop: self -> self"},
		{target: "c", want: "sshconfig: ProxyJump loop: c -> d -> u@e:2222 -> c"},
		{target: "x", jump: "b", want: "sshconfig: ProxyJump loop: x -> b -> a -> b"},
		{target: "port-1", want: "sshconfig: ProxyJump loop: port-1 -> port-1:2200 -> port-1:2200"},
		{target: "h0", want: fmt.Sprintf("sshconfig: ProxyJump: more than %d jump hosts on the way to h0", maxJumpHosts)},
		{target: "bad", want: `sshconfig: ProxyJump of bad: jump host "u@": empty jump host`},
	} {
		t.Run(tc.target, func(t *testing.T) {
			target := Target{Host: tc.target, Port: 22}
			_, err := cfg.JumpChain(target, cfg.ResolveProxy(tc.target, "", tc.jump, ""))
			if err == nil || err.Error() != tc.want {
				t.Errorf("JumpChain: %v\nwant %s", err, tc.want)
			}
		})
	}
}
