package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/sshpin/sshpin/internal/demo"
	"github.com/sshpin/sshpin/target"
)

func (e *env) demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run the whole workflow against sshpin's own loopback SSH server",
		Description: `demo starts an SSH server inside sshpin on 127.0.0.1 (host keys embedded
in the binary, no logins accepted) and runs, against it, what you would run
against your own servers: probe, scan, pin into a temporary host.keys,
check (all ok), then lets an impostor with other keys take over the
address and checks again: the change is caught. It needs no SSH server of
your own. With --serve it only keeps the server running until Ctrl-C, for
trying the commands by hand.

Examples:
  sshpin demo
  sshpin demo --serve --listen 127.0.0.1:2222`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "serve", Usage: "only serve, until interrupted"},
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:0", Usage: "`ADDRESS` to listen on"},
		},
		Action: e.runDemo,
	}
}

func (e *env) runDemo(ctx context.Context, cmd *cli.Command) error {
	srv, err := demo.Start(cmd.String("listen"))
	if err != nil {
		return &exitError{exitFailure, fmt.Errorf("demo: %w", err)}
	}
	defer srv.Close()
	a := srv.Addr()
	addr := a.IP.String() + ":" + strconv.Itoa(a.Port)
	if _, err := target.Parse(addr); err != nil {
		return &exitError{exitFailure, err}
	}
	if cmd.Bool("serve") {
		e.warnf("demo server listening on %s; try: sshpin scan %s (Ctrl-C stops it)", addr, addr)
		<-ctx.Done()
		return nil
	}
	dir, err := os.MkdirTemp("", "sshpin-demo-")
	if err != nil {
		return &exitError{exitFailure, err}
	}
	defer os.RemoveAll(dir)
	pinned := filepath.Join(dir, "host.keys")
	timeout := cmd.Duration("timeout").String()

	// Each step is the real command, run in-process, so what the demo shows
	// is exactly what the same command line prints.
	step := func(want int, args ...string) error {
		fmt.Fprintf(e.stdout, "\n$ sshpin %s\n", displayArgs(args, dir))
		code := run(ctx, append([]string{"sshpin", "--timeout", timeout}, args...), e.stdin, e.stdout, e.stdout)
		if code != want {
			return &exitError{exitFailure, fmt.Errorf("demo: 'sshpin %s' exited %d, expected %d", displayArgs(args, dir), code, want)}
		}
		return nil
	}
	for _, s := range [][]string{
		{"probe", addr},
		{"scan", addr},
		{"pin", "--pinned", pinned, addr},
		{"check", "--pinned", pinned, addr},
	} {
		if err := step(0, s...); err != nil {
			return err
		}
	}
	srv.Close()
	keys, err := demo.Impostor()
	if err != nil {
		return &exitError{exitFailure, err}
	}
	imp, err := demo.StartWith(addr, keys)
	if err != nil {
		return &exitError{exitFailure, fmt.Errorf("demo: starting the impostor: %w", err)}
	}
	defer imp.Close()
	fmt.Fprintf(e.stdout, "\n# An impostor with its own host keys now answers on %s.\n", addr)
	if err := step(exitFindings, "check", "--pinned", pinned, addr); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nThe impostor was caught: check exits 1 before anything is sent to it.\n")
	return nil
}

// displayArgs shows files in the temporary directory by their base name,
// so the transcript reads like commands a person would type.
func displayArgs(args []string, dir string) string {
	shown := make([]string, len(args))
	for i, a := range args {
		if filepath.Dir(a) == dir {
			a = filepath.Base(a)
		}
		shown[i] = a
	}
	return strings.Join(shown, " ")
}
