package sftpx

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// CVE-2023-51385 through the binary, once per source a name can come
// from: each run has a proxy command that pastes the name in (%r or %h),
// and the name would create the file "pwned" in the run's directory if a
// shell ever saw it unquoted. Each is refused before anything is built or
// dialled (exit 2), saying which name and where it came from, and the
// file never appears.
func TestCLINameInjection(t *testing.T) {
	// No "${...}", which the old expansion ate before the shell saw it,
	// no space, which the parsers refuse, and no capital, which a host
	// name loses.
	const payload = "$(>pwned)"
	encoded := ""
	for _, b := range []byte(payload) {
		encoded += fmt.Sprintf("%%%02X", b)
	}
	for _, c := range []struct {
		name   string
		config string // the -F file; "" for none
		args   []string
		want   string // in stderr; CONFIG stands for the -F file's path
	}{
		{
			name: "command line user",
			args: []string{"--proxy-command", "true %r", "ls", payload + "@127.0.0.1:"},
			want: `user name "` + payload + `" (from the command line) contains '('`,
		},
		{
			name: "sftp URI user, percent-encoded",
			args: []string{"--proxy-command", "true %r", "ls", "sftp://" + encoded + "@127.0.0.1/"},
			want: `user name "` + payload + `" (from the command line) contains '('`,
		},
		{
			name: "sftp URI host",
			args: []string{"--proxy-command", "true %h", "ls", "sftp://-oProxyCommand=touch/"},
			want: `host name "-oproxycommand=touch" (from the command line) starts with '-'`,
		},
		{
			name:   "-J user",
			config: "Host 127.0.0.2\n  ProxyCommand true %r\n",
			args:   []string{"-J", payload + "@127.0.0.2", "ls", "127.0.0.1:"},
			want:   `user name "` + payload + `" (from -J) contains '('`,
		},
		{
			name:   "-J host",
			config: "Host *\n  ProxyCommand true %h\n",
			args:   []string{"-J", "127.0.0.2,-oProxyCommand=x", "ls", "127.0.0.1:"},
			want:   `host name "-oproxycommand=x" (from -J) starts with '-'`,
		},
		{
			name:   "ssh_config User",
			config: "Host evil\n  User " + payload + "\n  ProxyCommand true %r\n",
			args:   []string{"ls", "evil:"},
			want:   `user name "` + payload + `" (from CONFIG line 2) contains '('`,
		},
		{
			name:   "ssh_config HostName",
			config: "Host evil\n  HostName " + payload + "\n  ProxyCommand true %h\n",
			args:   []string{"ls", "evil:"},
			want:   `host name "` + payload + `" (from CONFIG line 2) contains '$'`,
		},
		{
			name:   "ssh_config ProxyJump user",
			config: "Host evil\n  ProxyJump " + payload + "@hop\nHost hop\n  ProxyCommand true %r\n",
			args:   []string{"ls", "evil:"},
			want:   `user name "` + payload + `" (from CONFIG line 2) contains '('`,
		},
		{
			name:   "ssh_config User of a jump host",
			config: "Host evil\n  ProxyJump hop\nHost hop\n  User " + payload + "\n  ProxyCommand true %r\n",
			args:   []string{"ls", "evil:"},
			want:   `user name "` + payload + `" (from CONFIG line 4) contains '('`,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "pinned"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := "none"
			if c.config != "" {
				cfg = filepath.Join(dir, "config")
				if err := os.WriteFile(cfg, []byte(c.config), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			args := append([]string{"sftp", "-F", cfg, "--pinned", filepath.Join(dir, "pinned"), "--timeout", "5s"}, c.args...)
			_, wait := startCLI(t, dir, func(cmd *exec.Cmd) { cmd.Dir = dir }, nil, args...)
			r := wait()
			if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
				t.Fatalf("the name ran as a shell command: exit %d\n%s", r.code, r.stderr)
			}
			want := strings.ReplaceAll(c.want, "CONFIG", cfg)
			if r.code != 2 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "sshpin: hint: ssh refuses such names too") {
				t.Errorf("exit %d, want 2 and %q:\n%s", r.code, want, r.stderr)
			}
		})
	}
}
