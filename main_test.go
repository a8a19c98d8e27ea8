package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sshpin/sshpin/internal/demo"
	"github.com/sshpin/sshpin/internal/testpeer"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		// main itself, so that a script's sshpin handles signals as the
		// binary does (interrupt_cli_test.go).
		"sshpin": main,
		"relay":  func() { os.Exit(relayMain()) },
	})
}

// TestScript runs the CLI end to end from testdata/script/*.txtar against
// sshpin's own demo server on loopback.
func TestScript(t *testing.T) {
	repo, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		// $REPO is the checkout, for scripts that run its files (ci/).
		Setup: func(env *testscript.Env) error {
			env.Setenv("REPO", repo)
			env.Values[peerStateKey] = &peerState{peers: map[string]*testpeer.Peer{}}
			return nil
		},
		// [have:BIN]: a real peer is installed; under CI=true a missing
		// one fails the script instead of skipping it.
		Condition: haveCondition,
		Cmds: scriptCmds(t, map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// demo-server [NAME] starts the embedded server and sets $NAME
			// (default DEMO) to its host:port and $NAME_PORT to its port.
			"demo-server": func(ts *testscript.TestScript, neg bool, args []string) {
				name := "DEMO"
				if len(args) > 0 {
					name = args[0]
				}
				srv, err := demo.Start("127.0.0.1:0")
				ts.Check(err)
				ts.Defer(func() { srv.Close() })
				ts.Setenv(name, "127.0.0.1:"+strconv.Itoa(srv.Addr().Port))
				ts.Setenv(name+"_PORT", strconv.Itoa(srv.Addr().Port))
			},
			// closed-port sets $CLOSED to a loopback host:port where
			// nothing listens.
			"closed-port": func(ts *testscript.TestScript, neg bool, args []string) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				ts.Check(err)
				addr := ln.Addr().String()
				ln.Close()
				ts.Setenv("CLOSED", addr)
			},
			// exits CODE CMD ARGS... runs CMD and checks its exit status,
			// which '! exec' cannot tell apart (1 findings, 2 failure).
			"exits": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 {
					ts.Fatalf("usage: exits CODE CMD ARGS...")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				err = ts.Exec(args[1], args[2:]...)
				got := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					got = ee.ExitCode()
				} else if err != nil {
					ts.Fatalf("%v", err)
				}
				if got != want {
					ts.Fatalf("exit status %d, want %d", got, want)
				}
			},
		}),
	})
}

// scriptCmds adds the peer and fake-server commands to base.
func scriptCmds(t *testing.T, base map[string]func(ts *testscript.TestScript, neg bool, args []string)) map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	for _, m := range []map[string]func(ts *testscript.TestScript, neg bool, args []string){peerCmds(t), fakeCmds(t), treeCmds(), hostileCmds(t)} {
		for k, v := range m {
			base[k] = v
		}
	}
	return base
}
