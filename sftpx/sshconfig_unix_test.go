//go:build unix

package sftpx

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A configuration file that is a FIFO (named by -F or by an Include) is
// refused at once: opening one for reading would block until a writer
// came, past any --timeout and deaf to Ctrl-C. A directory too; -F
// /dev/null reads as empty, as in ssh.
func TestReadSSHConfigRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	withInclude := writeConfig(t, dir, "config", "Host x\n  Include "+fifo+"\n")
	for _, c := range []struct {
		name, file, want string
	}{
		{"-F FIFO", fifo, "not a regular file (a FIFO)"},
		{"Include FIFO", withInclude, "not a regular file (a FIFO)"},
		{"directory", dir, "not a regular file (a directory)"},
		{"/dev/null", os.DevNull, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := ReadSSHConfig([]string{c.file}, nil)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(time.Minute):
				// A safety net so that the bug fails the test instead of
				// hanging it: the refusal needs no time at all.
				t.Fatal("ReadSSHConfig blocked")
			}
			switch {
			case c.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

// A file past the bound is refused, not read in part; so are Includes
// that double at each level, which the depth bound alone lets through
// 2^15 times.
func TestReadSSHConfigBounded(t *testing.T) {
	dir := t.TempDir()
	big := writeConfig(t, dir, "big", strings.Repeat("#"+strings.Repeat("x", 999)+"\n", maxConfigFile/1000+2))
	if _, err := ReadSSHConfig([]string{big}, nil); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("error %v, want a refusal", err)
	}
	// f0 includes f1 twice, f1 f2, ...: 2^12 reads, none nested too deep.
	for i := 0; i < 12; i++ {
		next := filepath.Join(dir, "f"+strconv.Itoa(i+1))
		writeConfig(t, dir, "f"+strconv.Itoa(i), "Include "+next+" "+next+"\n")
	}
	writeConfig(t, dir, "f12", "Host a\n  User u\n")
	if _, err := ReadSSHConfig([]string{filepath.Join(dir, "f0")}, nil); err == nil || !strings.Contains(err.Error(), "more than 256 configuration files read") {
		t.Errorf("doubling Includes: error %v, want a refusal", err)
	}
}
