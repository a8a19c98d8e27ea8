package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v3"
)

// manCommand prints sshpin(1) in roff, made from the command tree itself:
// a page that cannot fall behind the commands, since it is them.
func (e *env) manCommand() *cli.Command {
	return &cli.Command{
		Name:  "man",
		Usage: "print the sshpin(1) manual page (roff), generated from the commands themselves",
		Description: `Install it where man finds it, for instance:
  sshpin man > ~/.local/share/man/man1/sshpin.1   # then: man sshpin
  sshpin man | man -l -                            # read it at once`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Present() {
				return &usageError{msg: "sshpin man takes no argument"}
			}
			if err := writeMan(e.stdout, cmd.Root()); err != nil {
				return &exitError{exitFailure, fmt.Errorf("writing output: %w", err)}
			}
			return nil
		},
	}
}

// roff escapes text for a man page: a backslash is \e, a hyphen \- (so it
// stays a hyphen a reader can copy), and a line that would start a
// request (. or ') is guarded.
func roff(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}

// flagSynopsis is "--name VALUE, -n VALUE" for a flag.
func flagSynopsis(f cli.Flag) (names, usage string) {
	usage = ""
	placeholder := ""
	if d, ok := f.(cli.DocGenerationFlag); ok {
		usage = d.GetUsage()
		if d.TakesValue() {
			placeholder = "VALUE"
			if i := strings.IndexByte(usage, '`'); i >= 0 {
				if j := strings.IndexByte(usage[i+1:], '`'); j >= 0 {
					placeholder = usage[i+1 : i+1+j]
					usage = usage[:i] + placeholder + usage[i+2+j:]
				}
			}
			if def := d.GetValue(); def != "" && def != `""` && def != "0s" && def != "0" && !strings.HasPrefix(def, "[]") {
				usage += " (default " + strings.Trim(def, `"`) + ")"
			}
		}
	}
	var ns []string
	for _, n := range f.Names() {
		p := "--"
		if len(n) == 1 {
			p = "-"
		}
		if placeholder != "" {
			ns = append(ns, `\fB`+roff(p+n)+`\fR \fI`+roff(placeholder)+`\fR`)
		} else {
			ns = append(ns, `\fB`+roff(p+n)+`\fR`)
		}
	}
	return strings.Join(ns, ", "), usage
}

func writeFlags(b *strings.Builder, flags []cli.Flag) {
	for _, f := range flags {
		if f.Names()[0] == "help" || f.Names()[0] == "version" {
			continue
		}
		names, usage := flagSynopsis(f)
		fmt.Fprintf(b, ".TP\n%s\n%s\n", names, roff(usage))
	}
}

// manCommands walks the tree: every command that is not hidden, its
// description as written (indented examples kept as no-fill blocks).
func manCommands(b *strings.Builder, parent string, cmds []*cli.Command) {
	for _, c := range cmds {
		if c.Hidden || c.Name == "help" {
			continue
		}
		full := strings.TrimSpace(parent + " " + c.Name)
		fmt.Fprintf(b, ".SS \"%s\"\n", roff(strings.TrimSpace(full+" "+c.ArgsUsage)))
		fmt.Fprintf(b, "%s\n", roff(c.Usage))
		if c.Description != "" {
			b.WriteString(".PP\n")
			manText(b, c.Description)
		}
		var flags []cli.Flag
		for _, f := range c.Flags {
			if n := f.Names()[0]; n != "help" {
				flags = append(flags, f)
			}
		}
		if len(flags) > 0 {
			b.WriteString(".PP\nOptions:\n.RS\n")
			writeFlags(b, flags)
			b.WriteString(".RE\n")
		}
		manCommands(b, full, c.Commands)
	}
}

// manText writes a description: paragraphs filled, indented lines
// (examples, lists) kept as they are.
func manText(b *strings.Builder, text string) {
	inBlock := false
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		indented := strings.HasPrefix(l, "  ")
		switch {
		case indented && !inBlock:
			b.WriteString(".PP\n.nf\n.RS 4\n")
			inBlock = true
		case !indented && inBlock:
			b.WriteString(".RE\n.fi\n")
			inBlock = false
		}
		switch {
		case strings.TrimSpace(l) == "" && !inBlock:
			b.WriteString(".PP\n")
		case inBlock:
			b.WriteString(roff(strings.TrimPrefix(l, "  ")) + "\n")
		default:
			b.WriteString(roff(l) + "\n")
		}
	}
	if inBlock {
		b.WriteString(".RE\n.fi\n")
	}
}

func writeMan(w io.Writer, root *cli.Command) error {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH SSHPIN 1 \"\" \"sshpin %s\" \"User Commands\"\n", roff(root.Version))
	fmt.Fprintf(&b, ".SH NAME\nsshpin \\- %s\n", roff(root.Usage))
	b.WriteString(".SH SYNOPSIS\n.B sshpin\n[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR...]\n")
	b.WriteString(".SH DESCRIPTION\n")
	manText(&b, root.Description)
	b.WriteString(".SH GLOBAL OPTIONS\nThey go anywhere on the line; a command refuses one it does not use.\n")
	writeFlags(&b, root.Flags)
	b.WriteString(".SH COMMANDS\n")
	manCommands(&b, "sshpin", root.Commands)
	b.WriteString(".SH EXIT STATUS\n.TP\n0\nall good: every key matched, nothing failed\n.TP\n1\nfindings: drift, mismatch, audit failure, incompatible negotiation\n.TP\n2\ncould not do the job: usage error, unreadable input, a target unreachable\n.TP\n130\ninterrupted: the results so far were printed\n")
	b.WriteString(".SH SEE ALSO\n.BR ssh (1),\n.BR ssh\\-keyscan (1),\n.BR ssh\\-keygen (1),\n.BR sshd_config (5)\n")
	_, err := io.WriteString(w, b.String())
	return err
}
