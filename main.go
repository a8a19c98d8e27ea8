// Command sshpin checks that an SSH server is the one you think it is, and
// that it is safe to talk to: probe, scan, pin, check, audit, diagnose.
//
// This file is the shell: flags, exit codes, and the one voice on stderr.
// The work is in the packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/sshpin/sshpin/report"
)

// Exit codes, per the user contract.
const (
	exitOK          = 0   // every target answered, nothing found
	exitFindings    = 1   // drift, mismatch, audit failure
	exitFailure     = 2   // the job could not be done: usage, input, unreachable
	exitInterrupted = 130 // Ctrl-C: the results so far were printed
)

// exitError carries an exit code through urfave/cli. A nil err with a code
// means the command already reported what happened.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// usageError is an error in how sshpin was called; hint says what to do.
type usageError struct{ msg, hint string }

func (e *usageError) Error() string { return e.msg }

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx := interruptible(context.Background(), sigs, os.Stderr, os.Exit)
	os.Exit(run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// interruptible returns a context that the first signal on sigs cancels:
// the command stops, cleans up (an upload removes its temporary file on
// the server, within a few seconds) and reports what it did. A second
// signal exits at once, with exitInterrupted, whatever is still running:
// nothing can hold the process when the user insists.
func interruptible(parent context.Context, sigs <-chan os.Signal, stderr io.Writer, exit func(int)) context.Context {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		<-sigs
		cancel()
		<-sigs
		fmt.Fprintln(stderr, "sshpin: interrupted again: exiting at once, without cleaning up")
		exit(exitInterrupted)
	}()
	return ctx
}

// env is what a command needs from the process, so tests can run the whole
// CLI in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// streamWarned: the run said once that a bare stream is unverified.
	streamWarned bool
	// errWidth is the width messages are wrapped to on stderr; 0 (a
	// pipe or file, and no COLUMNS) keeps each message on one line.
	errWidth int
}

// warnf is the one voice on stderr.
// Messages often quote what a server sent (a banner, an algorithm name), so
// control characters are escaped here, once for every message.
func (e *env) warnf(format string, args ...any) {
	fmt.Fprint(e.stderr, messageLines("sshpin: ", report.Safe(fmt.Sprintf(format, args...)), e.errWidth))
}

// hintf escapes as warnf does: hints quote what the user typed.
func (e *env) hintf(format string, args ...any) {
	fmt.Fprint(e.stderr, messageLines("sshpin: hint: ", report.Safe(fmt.Sprintf(format, args...)), e.errWidth))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Human output is laid out for the terminal's width; the renderers
	// read it from the writer.
	e := &env{stdin: stdin, stdout: &report.Sized{Writer: stdout, Width: terminalWidth(stdout, os.Getenv)}, stderr: stderr, errWidth: stderrWidth(stderr, os.Getenv)}
	root := e.rootCommand()
	err := root.Run(ctx, args)
	var ee *exitError
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		if ee.err != nil {
			e.warnf("%s", ee.err)
		}
		return ee.code
	case errors.As(err, &ue):
		e.warnf("%s", ue.msg)
		if ue.hint != "" {
			e.hintf("%s", ue.hint)
		}
		return exitFailure
	default:
		// urfave/cli's own parse errors ("flag provided but not defined").
		e.warnf("%s", strings.TrimPrefix(err.Error(), "Incorrect Usage: "))
		e.hintf("run 'sshpin --help' or 'sshpin COMMAND --help'")
		return exitFailure
	}
}

// bareDuration matches urfave/cli's error for --timeout 5: the flag
// package's error is text only, so its text is all there is to read.
var bareDuration = regexp.MustCompile(`invalid value "([0-9.]+)" for flag -+([a-z-]+): time: missing unit`)

// onUsageError keeps urfave/cli from printing the whole help page on a
// typo: one line, one hint, exit 2. It is per command, so every command of
// the tree gets it.
func onUsageError(_ context.Context, _ *cli.Command, err error, _ bool) error {
	if m := bareDuration.FindStringSubmatch(err.Error()); m != nil {
		// The one slip worth naming: a duration without its unit.
		return &usageError{msg: fmt.Sprintf("--%s %s: a duration needs its unit", m[2], m[1]), hint: fmt.Sprintf("write --%s %ss (or %sms, %sm)", m[2], m[1], m[1], m[1])}
	}
	return &usageError{msg: err.Error(), hint: "run 'sshpin --help' or 'sshpin COMMAND --help'"}
}

func setUsageErrors(c *cli.Command) {
	c.OnUsageError = onUsageError
	for _, sub := range c.Commands {
		setUsageErrors(sub)
	}
}

func (e *env) rootCommand() *cli.Command {
	root := e.commandTree()
	refuseUnusedFlags(root)
	fitHelp()
	setUsageErrors(root)
	return root
}

func (e *env) commandTree() *cli.Command {
	return &cli.Command{
		Name:    "sshpin",
		Usage:   "is this really the SSH server I think it is, and is it safe to talk to?",
		Version: version(),
		Description: `sshpin reads SSH servers' hellos, collects their host keys through real
key exchanges, pins them, and checks live servers against the pins.

Targets: host, host:port, [v6addr]:port, [host]:port (default port 22),
or one per line from -f FILE (-f - reads standard input).

Exit status: 0 all good, 1 findings, 2 could not do the job, 130 interrupted.`,
		Writer:          e.stdout,
		ErrWriter:       e.stderr,
		Reader:          e.stdin,
		HideHelpCommand: true,
		// sshpin completion bash|zsh|fish prints the script; the shell
		// then asks sshpin itself for the words (--generate-shell-completion).
		EnableShellCompletion: true,
		ConfigureShellCompletionCommand: func(c *cli.Command) {
			c.Hidden = false
			c.Usage = "print the shell completion script for bash, zsh, fish or pwsh"
		},
		ExitErrHandler: func(context.Context, *cli.Command, error) {},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Present() {
				return &usageError{msg: fmt.Sprintf("unknown command %q", cmd.Args().First()), hint: "run 'sshpin --help' for the list"}
			}
			return cli.ShowRootCommandHelp(cmd)
		},
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Second, Usage: "deadline for the whole conversation with one target"},
			&cli.IntFlag{Name: "concurrency", Value: 64, Usage: "targets worked on at once (capped to what the open-file limit allows)"},
			&cli.StringFlag{Name: "shard", Usage: "work on share `I/N` of the targets only (1 <= I <= N): N runs with the same list split it exactly"},
			&cli.DurationFlag{Name: "pace", Usage: "least time between two connections to one target (stays under sshd's PerSourcePenalties)"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "output `FORMAT`: table, plain (one record per line), markdown or json"},
			&cli.BoolFlag{Name: "json", Usage: "JSON Lines on stdout, one object per target (--format json)"},
			&cli.StringSliceFlag{Name: "file", Aliases: []string{"f"}, Usage: "read targets from `FILE`, one per line (- for stdin)", TakesFile: true},
		},
		Commands: []*cli.Command{
			e.probeCommand(),
			e.scanCommand(),
			e.pinCommand(),
			e.checkCommand(),
			e.lintCommand(),
			e.auditCommand(),
			e.diagnoseCommand(),
			e.demoCommand(),
			e.sftpCommand(),
			e.versionCommand(),
			e.manCommand(),
		},
	}
}

// versionCommand makes 'sshpin version' say what --version says.
func (e *env) versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print sshpin's version (as --version does)",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Present() {
				return &usageError{msg: "sshpin version takes no argument"}
			}
			cli.ShowVersion(cmd.Root())
			return nil
		},
	}
}

// version is the module version for 'go install'ed binaries, or the VCS
// revision for a build from a checkout.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if (v == "" || v == "(devel)") && rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		return "devel-" + rev + modified
	}
	if v == "" {
		return "(devel)"
	}
	return v
}
