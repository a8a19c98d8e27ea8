package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	"github.com/sshpin/sshpin/report"
)

// terminalWidth is how wide human output may be: COLUMNS when set (a
// shell exports it, and a user can say what a pipe's reader has), else the
// terminal's width when stdout is one, else report.DefaultWidth.
func terminalWidth(stdout io.Writer, getenv func(string) string) int {
	return widthOf(stdout, getenv, report.DefaultWidth)
}

// widthOf is COLUMNS when set, else w's width when w is a terminal, else
// otherwise.
func widthOf(w io.Writer, getenv func(string) string, otherwise int) int {
	if n, err := strconv.Atoi(strings.TrimSpace(getenv("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	if f := terminal(w); f != nil {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return otherwise
}

// terminal is w when it is a terminal, else nil: progress lines and
// wrapping are for people, never for logs, pipes and CI.
func terminal(w io.Writer) *os.File {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return f
	}
	return nil
}

// outputFormat reads --format (and --json, its alias for json), and
// refuses a format the command does not have.
func outputFormat(cmd *cli.Command, have ...report.Format) (report.Format, error) {
	f := report.FormatTable
	if cmd.IsSet("format") {
		var err error
		if f, err = report.ParseFormat(cmd.String("format")); err != nil {
			// The flag's name is the command line's to give.
			return "", &usageError{msg: "--" + err.Error()}
		}
	}
	if cmd.Bool("json") {
		if cmd.IsSet("format") && f != report.FormatJSON {
			return "", &usageError{msg: fmt.Sprintf("--json and --format %s are two different outputs: choose one", f)}
		}
		f = report.FormatJSON
	}
	if len(have) == 0 {
		have = report.Formats
	}
	if !slices.Contains(have, f) {
		names := make([]string, len(have))
		for i, h := range have {
			names[i] = string(h)
		}
		return "", &usageError{msg: fmt.Sprintf("sshpin %s has no --format %s", cmd.Name, f), hint: "its formats: " + strings.Join(names, ", ")}
	}
	return f, nil
}

// networkFlags are the root flags of a command that reaches servers over
// a target list.
var networkFlags = []string{"timeout", "concurrency", "shard", "pace", "json", "format", "file"}

// rootFlagsUsed names, per command, the root flags it reads. A root flag
// given to a command that does not read it is refused, not ignored: lint
// --timeout 3s, or demo --json, would otherwise look like they did
// something.
var rootFlagsUsed = map[string][]string{
	"probe":    networkFlags,
	"scan":     networkFlags,
	"pin":      networkFlags,
	"check":    networkFlags,
	"audit":    networkFlags,
	"diagnose": networkFlags,
	"lint":     {"json", "format"},
	"sftp":     {"timeout", "json", "format"},
	"demo":     {},
}

// formatsOf are the formats of the commands that do not have all four
// (the others check theirs with outputFormat when they run).
var formatsOf = map[string][]report.Format{
	"sftp": {report.FormatTable, report.FormatJSON},
}

// refuseUnusedFlags installs the refusal on each command named in
// rootFlagsUsed.
func refuseUnusedFlags(root *cli.Command) {
	for _, c := range root.Commands {
		used, ok := rootFlagsUsed[c.Name]
		if !ok {
			continue
		}
		before := c.Before
		c.Before = func(ctx context.Context, cmd *cli.Command) (context.Context, error) {
			for _, f := range root.Flags {
				name := f.Names()[0]
				if !slices.Contains(used, name) && cmd.IsSet(name) {
					return ctx, &usageError{msg: fmt.Sprintf("sshpin %s does not use --%s", cmd.Name, name),
						hint: fmt.Sprintf("run 'sshpin %s --help' for what it takes", cmd.Name)}
				}
			}
			if have, ok := formatsOf[cmd.Name]; ok && (cmd.IsSet("format") || cmd.Bool("json")) {
				f, err := outputFormat(cmd, have...)
				if err != nil {
					return ctx, err
				}
				// Such a command reads --json alone: --format json says it.
				if f == report.FormatJSON && !cmd.Bool("json") {
					if err := cmd.Set("json", "true"); err != nil {
						return ctx, err
					}
				}
			}
			if before != nil {
				return before(ctx, cmd)
			}
			return ctx, nil
		}
	}
}

// fitHelp wraps urfave/cli's help pages at the width of the writer they go
// to, as the rest of the human output is.
//
// A flag's usage goes on the lines under its names, not after urfave/cli's
// tab: the tab is aligned after the wrapping, to the longest name of the
// lines around it, so that a line wrapped to fit came out wider than the
// terminal by that padding (206 columns at 200, in sftp's help).
func fitHelp() { fitHelpOnce.Do(setHelp) }

// fitHelpOnce: urfave/cli's printers are globals, and runs (the tests')
// may be concurrent.
var fitHelpOnce sync.Once

func setHelp() {
	stringer := cli.FlagStringer
	cli.FlagStringer = func(f cli.Flag) string {
		return strings.Replace(stringer(f), "\t", "\n", 1)
	}
	cli.HelpPrinter = func(out io.Writer, templ string, data any) {
		cli.HelpPrinterCustom(out, templ, data, map[string]any{"wrapAt": func() int { return report.WidthOf(out) }})
	}
}

// stderrWidth is the width messages wrap to: COLUMNS when set, else the
// terminal's when stderr is one, else 0: a message that goes to a log or
// a pipe stays one line, for grep.
func stderrWidth(stderr io.Writer, getenv func(string) string) int {
	return widthOf(stderr, getenv, 0)
}

// messageLines is one stderr message after prefix, wrapped to width
// (none when 0), continuation lines aligned under its text.
func messageLines(prefix, msg string, width int) string {
	lead := len(msg) - len(strings.TrimLeft(msg, " "))
	prefix += msg[:lead]
	if width <= 0 {
		return prefix + msg[lead:] + "\n"
	}
	var b strings.Builder
	cont := strings.Repeat(" ", len(prefix))
	for i, l := range report.WrapLine(msg[lead:], max(width-len(prefix), 20)) {
		if i > 0 {
			prefix = cont
		}
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}
