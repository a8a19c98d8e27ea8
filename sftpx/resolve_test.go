package sftpx

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sshpin/sshpin/sshdial"
)

// TestResolve: the command line wins over the configuration, a jump host
// gets only what is configured for it, and every refusal is typed.
func TestResolve(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	write := func(t *testing.T, s string) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	remote := func(s string) Remote {
		r, err := ParseRemote(s + ":")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	const base = `Host db
  HostName db-1.internal
  Port 2222
  User backup
  IdentityFile ~/.ssh/db_key
  HostKeyAlias db-pin
  ProxyJump ops@bastion:2200
  UserKnownHostsFile /pins/user /pins/user2
  GlobalKnownHostsFile none
Host bastion
  IdentitiesOnly yes
  IdentityFile %d/.ssh/bastion_%r
Host plain
  IdentityAgent none
Host loop
  ProxyJump loop2
Host loop2
  ProxyJump loop
Host badname
  HostName $(touch x)
`
	tests := []struct {
		name  string
		opts  ResolveOptions
		check func(t *testing.T, r *Resolved, err error)
	}{
		{"alias and its chain", ResolveOptions{Server: remote("db"), KeyFiles: []string{"/k/id"}, AgentSocket: "/agent"}, func(t *testing.T, r *Resolved, err error) {
			if err != nil {
				t.Fatal(err)
			}
			o := r.Options
			if o.Host != "db-1.internal" || o.Port != 2222 || o.User != "backup" || o.HostKeyAlias != "db-pin" {
				t.Errorf("target = %s@%s:%d alias %q", o.User, o.Host, o.Port, o.HostKeyAlias)
			}
			if !slices.Equal(o.Auth.KeyFiles, []string{"/k/id"}) || !slices.Equal(o.Auth.OptionalKeyFiles, []string{filepath.Join(home, ".ssh/db_key")}) || o.Auth.AgentSocket != "/agent" {
				t.Errorf("target auth = %+v", o.Auth)
			}
			if len(o.Jump) != 1 {
				t.Fatalf("jump = %+v", o.Jump)
			}
			j := o.Jump[0]
			if j.Host != "bastion" || j.Port != 2200 || j.User != "ops" {
				t.Errorf("hop = %+v", j)
			}
			if len(j.Auth.KeyFiles) != 0 || j.Auth.AgentSocket != "" || !slices.Equal(j.Auth.OptionalKeyFiles, []string{filepath.Join(home, ".ssh/bastion_ops")}) {
				t.Errorf("hop auth = %+v: -i or the agent went to a jump host", j.Auth)
			}
			if !slices.Equal(r.KnownHostsFiles, []string{"/pins/user", "/pins/user2"}) || r.TrustFile != "/pins/user" {
				t.Errorf("pins = %q, trust %q", r.KnownHostsFiles, r.TrustFile)
			}
		}},
		{"command line wins", ResolveOptions{Server: remote("me@db:2022"), Jump: "none", KnownHostsFiles: []string{"/cli/pins"}, NoAgent: true, AgentSocket: "/agent"}, func(t *testing.T, r *Resolved, err error) {
			if err != nil {
				t.Fatal(err)
			}
			o := r.Options
			if o.User != "me" || o.Port != 2022 || len(o.Jump) != 0 || o.Auth.AgentSocket != "" {
				t.Errorf("options = %+v", o)
			}
			if !slices.Equal(r.KnownHostsFiles, []string{"/cli/pins"}) || r.TrustFile != "/cli/pins" {
				t.Errorf("pins = %q, trust %q", r.KnownHostsFiles, r.TrustFile)
			}
		}},
		{"defaults", ResolveOptions{Server: remote("plain"), AgentSocket: "/agent", CanAskPassphrase: true, ProxyCommand: "nc %h %p"}, func(t *testing.T, r *Resolved, err error) {
			if err != nil {
				t.Fatal(err)
			}
			o := r.Options
			if o.Port != 22 || o.User == "" || o.Auth.AgentSocket != "" || !o.Auth.EncryptedDefaultKeys || len(o.Auth.DefaultKeyFiles) != 3 {
				t.Errorf("options = %+v", o)
			}
			if o.ProxyCommand != "nc 'plain' '22'" {
				t.Errorf("proxy command = %q", o.ProxyCommand)
			}
			want := append([]string{filepath.Join(home, ".ssh/known_hosts"), filepath.Join(home, ".ssh/known_hosts2")}, "/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")
			if !slices.Equal(r.KnownHostsFiles, want) {
				t.Errorf("pins = %q", r.KnownHostsFiles)
			}
		}},
		{"loop", ResolveOptions{Server: remote("loop")}, func(t *testing.T, r *Resolved, err error) {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a ConfigError", err)
			}
		}},
		{"shell in a name", ResolveOptions{Server: remote("badname")}, func(t *testing.T, r *Resolved, err error) {
			var ne *sshdial.InvalidNameError
			if !errors.As(err, &ne) {
				t.Fatalf("err = %v, want an *sshdial.InvalidNameError", err)
			}
		}},
		{"missing -F", ResolveOptions{Server: remote("db"), ConfigFile: filepath.Join(dir, "nope")}, func(t *testing.T, r *Resolved, err error) {
			var ce *ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("err = %v, want a ConfigError for a missing file", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(t, base)
			if tt.opts.ConfigFile == "" {
				tt.opts.ConfigFile = cfg
			}
			r, err := Resolve(tt.opts)
			tt.check(t, r, err)
		})
	}
	t.Run("no home", func(t *testing.T) {
		t.Setenv("HOME", "")
		_, err := Resolve(ResolveOptions{Server: remote("plain"), ConfigFile: "none"})
		var ke *KnownHostsError
		if !errors.As(err, &ke) {
			t.Fatalf("err = %v, want a KnownHostsError", err)
		}
	})
}
