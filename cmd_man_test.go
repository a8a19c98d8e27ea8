package main

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v3"
)

// TestManCoversTheTree checks that sshpin(1) names every command and every
// flag of the tree it is generated from, roff-escaped as man shows them.
func TestManCoversTheTree(t *testing.T) {
	e := &env{}
	root := e.rootCommand()
	var b strings.Builder
	if err := writeMan(&b, root); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	var walk func(prefix string, c *cli.Command)
	walk = func(prefix string, c *cli.Command) {
		for _, f := range c.Flags {
			for _, n := range f.Names() {
				if n == "help" || n == "h" || n == "version" || n == "v" {
					continue
				}
				dash := "\\-\\-"
				if len(n) == 1 {
					dash = "\\-"
				}
				if !strings.Contains(page, `\fB`+dash+roff(n)+`\fR`) {
					t.Errorf("%s: flag --%s missing from the man page", prefix, n)
				}
			}
		}
		for _, sub := range c.Commands {
			if sub.Hidden {
				continue
			}
			name := prefix + " " + sub.Name
			if !strings.Contains(page, `.SS "`+roff(name)) {
				t.Errorf("command %q missing from the man page", name)
			}
			walk(name, sub)
		}
	}
	walk("sshpin", root)
	if strings.Contains(page, "\n.\n") || strings.Contains(page, "\n'") {
		t.Error("a line of text would be read as a roff request")
	}
}
