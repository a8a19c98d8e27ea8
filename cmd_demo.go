package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/urfave/cli/v3"

	"sshpin/demo"
	"sshpin/report"
	"sshpin/scan"
	"sshpin/target"
)

func (e *env) demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "start sshpin's own loopback SSH server and probe and scan it",
		Description: `demo starts an SSH server inside sshpin on 127.0.0.1 (host keys embedded
in the binary, no logins accepted), then runs probe and scan against it,
so a machine with no SSH server can see what sshpin does. With --serve it
keeps the server running until Ctrl-C, for trying the other commands.

Examples:
  sshpin demo
  sshpin demo --serve --listen 127.0.0.1:2222`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "serve", Usage: "keep serving until interrupted"},
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:0", Usage: "`ADDRESS` to listen on"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			srv, err := demo.Start(cmd.String("listen"))
			if err != nil {
				return &exitError{exitFailure, fmt.Errorf("demo: %w", err)}
			}
			defer srv.Close()
			a := srv.Addr()
			t, err := target.Parse(a.IP.String() + ":" + strconv.Itoa(a.Port))
			if err != nil {
				return &exitError{exitFailure, err}
			}
			if cmd.Bool("serve") {
				e.warnf("demo server listening on %s; try: sshpin scan %s (Ctrl-C stops it)", t, t)
				<-ctx.Done()
				return nil
			}
			opts := scan.Options{Timeout: cmd.Duration("timeout")}
			fmt.Fprintf(e.stdout, "$ sshpin probe %s\n", t)
			p := scan.Probe(ctx, t, opts)
			if err := report.ProbeTable(e.stdout, p); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "$ sshpin scan %s\n", t)
			s := scan.Scan(ctx, t, opts)
			if err := report.ScanTable(e.stdout, []*scan.Result{s}); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "\n$ sshpin scan --known-hosts %s\n", t)
			if err := report.WriteKnownHosts(e.stdout, s, false); err != nil {
				return err
			}
			if p.Err != nil || s.Err != nil {
				return &exitError{exitFailure, fmt.Errorf("demo: the demo server did not answer as expected")}
			}
			return nil
		},
	}
}
