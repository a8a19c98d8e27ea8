package sshconfig

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/sshpin/sshpin/internal/home"
)

// With the home directory unknown (or relative), "~" is never "/" nor
// relative to the working directory: a path stays as written, and a
// relative Include (under ~/.ssh) is an error naming the cause.
func TestUnknownHome(t *testing.T) {
	for _, h := range []string{"", "rel/home"} {
		t.Run(h, func(t *testing.T) {
			t.Setenv("HOME", h)
			if got := expandHome("~/.ssh/id_ed25519"); got != "~/.ssh/id_ed25519" {
				t.Errorf("expandHome = %q, want it as written", got)
			}
			if got := (HostConfig{}).Tokens("%d/x", 22, "u"); got != "%d/x" {
				t.Errorf("%%d = %q, want it unexpanded", got)
			}
			file := writeConfig(t, t.TempDir(), "config", "Include other\n")
			if _, err := Read([]string{file}, nil); !errors.Is(err, home.ErrUnknown) {
				t.Errorf("relative Include: %v, want home.ErrUnknown", err)
			}
		})
	}
	t.Setenv("HOME", "/home/u")
	if got, want := expandHome("~/.ssh/id"), filepath.Join("/home/u", ".ssh", "id"); got != want {
		t.Errorf("expandHome = %q, want %q", got, want)
	}
}
