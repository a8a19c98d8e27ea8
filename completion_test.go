package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBashCompletion sources sshpin completion bash the way a user's
// shell does (with bash-completion loaded) and asks it for words.
func TestBashCompletion(t *testing.T) {
	const lib = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(lib); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("bash-completion is not installed (test.sh installs it): %v", err)
		}
		t.Skip("bash-completion is not installed")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "sshpin"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tests := []struct {
		words string // what is typed, the last word being completed
		want  string
	}{
		{"sshpin ch", "check"},
		{"sshpin check --pi", "--pinned"},
		{"sshpin sftp g", "get"},
		{"sshpin compl", "completion"},
	}
	for _, tt := range tests {
		script := `source ` + lib + ` && source <(sshpin completion bash) &&
COMP_WORDS=(` + tt.words + `) && COMP_CWORD=$((${#COMP_WORDS[@]}-1)) && COMP_LINE="` + tt.words + `" && COMP_POINT=${#COMP_LINE} &&
__sshpin_bash_autocomplete && printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command(bash, "-c", script)
		cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != tt.want {
			t.Errorf("%q completes to %q (%v), want %q", tt.words, out, err, tt.want)
		}
	}
}
