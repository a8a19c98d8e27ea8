package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v3"
	"golang.org/x/crypto/ssh"
	"golang.org/x/term"

	"github.com/sshpin/sshpin/kexinit"
	"github.com/sshpin/sshpin/knownhosts"
	"github.com/sshpin/sshpin/report"
	"github.com/sshpin/sshpin/sftpx"
	"github.com/sshpin/sshpin/sshconfig"
	"github.com/sshpin/sshpin/sshdial"
	"github.com/sshpin/sshpin/target"
)

// sftpGCPercent is the GOGC of a transfer; see connect.
const sftpGCPercent = 400

// Environment variables the sftp command reads secrets from. Secrets never
// come from argv, where any user on the machine can read them (ps).
const (
	envPassphrase = "SSHPIN_PASSPHRASE"
	envPassword   = "SSHPIN_PASSWORD"
)

func (e *env) sftpCommand() *cli.Command {
	return &cli.Command{
		Name:      "sftp",
		Usage:     "transfer files over SFTP, only with servers that prove a pinned host key",
		ArgsUsage: "ls|get|put|cp|rm|mkdir ...",
		Description: `sftp connects, checks the key the server proves in the key exchange
against the pinned file before sending a user name or any credential, and
only then logs in and transfers. It offers the server only the host key
types pinned for it, so a server that prefers another type is not
mistaken for an impostor. A host that is not pinned, or whose key does not
match, is refused (exit 1) before it sees a user name or a credential.

Remote files: [user@]host[:port]:PATH (a second colon names the port; an
IPv6 host goes in brackets) or sftp://[user@]host[:port]/PATH. PATH is
relative to the login directory unless it starts with '/' (in the URI:
sftp://host//abs/path). All remote files of one run are on one server,
except for cp, which copies from one server to another. A wildcard in the
last element of a get or cp source ('backups/*.tar.gz', quoted) matches
on the server; --newest takes only the latest match.

host may be an alias of ~/.ssh/config (or -F FILE): HostName, Port, User,
IdentityFile, IdentitiesOnly, IdentityAgent, UserKnownHostsFile,
GlobalKnownHostsFile, HostKeyAlias, ProxyJump and ProxyCommand are
honoured as ssh does (Host and Match blocks, Include); what the command
line says wins. Nothing in it can weaken the host key check.

-J [user@]host[:port][,...] goes through jump hosts: each one is verified
against the pins and logged into before the next connection is opened
through it (its sshd must allow TCP forwarding). As in ssh, a jump host's
own ProxyJump (or ProxyCommand) in the configuration comes before it, a
loop is an error, and -J replaces only the target's. --proxy-command CMD
runs CMD with sh -c and speaks SSH over its stdin and stdout (%h %p %r %n
expand as in ssh, quoted for the shell). A user or host name with shell
syntax or a leading '-' is refused, from any source, as ssh refuses it.

Uploads (put, and cp's destination) go to a temporary name beside the
destination; every write is acknowledged, the file is synced
(fsync@openssh.com) and its size checked, then renamed into place
(posix-rename@openssh.com; on servers without it the old file is moved
aside, never removed, until the new one is in place, and a warning says
so). Each file says what proved it (verified):
size; sha256-server, when the server offers check-file and its SHA-256 of
the file matches the bytes sent or received; sha256-readback, with
--verify, which reads every uploaded byte back (a download: the server's
hash, or a second read) on any server. Temporary files that an interrupted upload
of the same name left, older than the run, are removed. Downloads go to a
temporary file beside the destination, are hashed while written, checked
against the server's size, synced and renamed: a failed transfer leaves no
partial file and an existing destination untouched. A file that fails is
named; the others go on; the exit status is then 2.

Credentials, in order: -i identity files (OpenSSH or PEM; the passphrase
from $SSHPIN_PASSPHRASE or a terminal prompt), the configuration's
IdentityFile (or ssh's default ~/.ssh/id_*; for an encrypted one the
passphrase is asked, as ssh does, only once the server said it would
accept the key, and never without $SSHPIN_PASSPHRASE or a terminal), the
ssh-agent ($SSH_AUTH_SOCK), then a password from $SSHPIN_PASSWORD or a
terminal prompt. They are loaded only after the server proved a pinned
key. -i and $SSHPIN_PASSWORD are the target's: a jump host gets what the
configuration gives it (User, IdentityFile, else ssh's default keys), the
agent, and a prompt by its own name.

--timeout bounds connecting and logging in, each request, and every stall
of a transfer; a transfer that keeps moving may take as long as it needs.

Without SSH: -D CMD (--sftp-command) runs CMD with sh -c and speaks SFTP
over its stdin and stdout, as sftp -D does; --stream unix:/path (or
tcp:host:port) over a socket; remote files are then written :PATH. Nothing
verifies such a stream, and the run says so. --tls HOST:PORT speaks SFTP
over TLS and checks the certificate before the first SFTP byte: against
--pinned-cert FILE (SHA-256 of the certificate or of its public key, one a
line: AA:BB:..., hex, or SHA256:base64; sshpin scan --tls HOST:PORT prints
one) and/or a CA bundle (--tls-ca FILE, for --tls-name or the host). A
certificate they do not vouch for is refused, exit 1.

Examples:
  sshpin sftp --pinned host.keys put -i ~/.ssh/id_ed25519 backup.tar deploy@web-1:/srv/in/
  sshpin sftp --pinned host.keys get -r web-1:2222:/var/log/app ./logs
  sshpin sftp get sftp://deploy@web-1//etc/motd motd     # pins from ~/.ssh/known_hosts
  sshpin sftp --pinned host.keys ls --json web-1:/srv/in
  sshpin sftp --pinned host.keys -J ops@bastion:2222 get db-1:/var/backups/db.gz .
  sshpin sftp --pinned host.keys cp --newest 'backup-1:backups/*.tar.gz' web-1:/srv/www/
  sshpin sftp --pinned lab.keys --trust-on-first-use ls 192.0.2.7:
  sshpin sftp -D /usr/lib/openssh/sftp-server get -r :/srv/www ./www
  sshpin sftp --stream unix:/run/sftp.sock put report.pdf :inbox/
  sshpin sftp --tls files.example:8443 --pinned-cert files.pins get :backup.tar .`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "pinned", Usage: "the pinned `FILE`; default: ~/.ssh/known_hosts, ~/.ssh/known_hosts2 and /etc/ssh/ssh_known_hosts, as ssh reads them", TakesFile: true},
			&cli.BoolFlag{Name: "trust-on-first-use", Usage: "pin the key of a host the files know nothing about, then go on (never on a mismatch)"},
			&cli.BoolFlag{Name: "insecure-accept-any", Usage: "accept any host key at all, unverified: throwaway labs only"},
			&cli.BoolFlag{Name: "legacy", Usage: "also speak SHA-1/CBC algorithms (ssh-rsa, group14-sha1, ...) for this connection"},
			&cli.StringSliceFlag{Name: "identity", Aliases: []string{"i"}, Usage: "private key `FILE` to log in with (repeatable)", TakesFile: true},
			&cli.BoolFlag{Name: "no-agent", Usage: "do not offer the ssh-agent's keys"},
			&cli.StringFlag{Name: "config", Aliases: []string{"F"}, Usage: "ssh configuration `FILE` to read instead of ~/.ssh/config and /etc/ssh/ssh_config (none: no configuration)", TakesFile: true},
			&cli.StringFlag{Name: "jump", Aliases: []string{"J"}, Usage: "connect through jump `HOSTS` ([user@]host[:port][,...]), each verified against the pins before any credential is sent to it"},
			&cli.StringFlag{Name: "proxy-command", Usage: "run `CMD` (sh -c) and speak SSH over its stdin/stdout instead of TCP; %h %p %r %n expand as in ssh"},
		}, streamFlags()...),
		Commands: []*cli.Command{
			{
				Name:      "ls",
				Usage:     "list remote directories or files",
				ArgsUsage: "REMOTE...",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "time-style", Value: "default", Usage: "how times show, as GNU ls: default (2006-01-02 15:04:05), full-iso, long-iso or iso; local time"},
				},
				Action: e.runSftpLs,
			},
			{
				Name:      "get",
				Usage:     "download remote files (the last argument, if local, is the destination; default .)",
				ArgsUsage: "REMOTE... [LOCAL]",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "copy directories"},
					&cli.BoolFlag{Name: "newest", Usage: "of the files a remote pattern ('backups/*.tar.gz') matches, take only the latest"},
					&cli.BoolFlag{Name: "verify", Usage: "prove every file by its bytes on any server: read uploads back, hash downloads twice (or by the server's hash)"},
					&cli.BoolFlag{Name: "preserve", Aliases: []string{"p"}, Usage: "keep modification times, access times and modes, as sftp -p does"},
				},
				Action: e.runSftpGet,
			},
			{
				Name:      "cp",
				Usage:     "copy remote files (with -r, directories) to another server, streamed through this machine, both servers pinned",
				ArgsUsage: "SRC-HOST:PATH... DST-HOST:PATH",
				Description: `cp reads each source file from one server and uploads it to the other as
put does, streamed through this machine; nothing is written locally. Each
server is verified against the pins before it sees a credential.

When DST-HOST:PATH is an existing directory, each copy goes inside it
under its source's name; otherwise PATH names the copy (one source only).
With -r a source directory is copied with everything under it, as get -r
copies one: directories are made as needed (an existing one is kept), a
link to a file is copied as the file, a link to a directory is not
followed, and a file that fails (unreadable, say) is named while the
others go on; the exit status is then 2.

  sshpin sftp --pinned host.keys cp backup-1:/srv/backups/db.gz web-1:/srv/in/
  sshpin sftp --pinned host.keys cp -r backup-1:/srv/www web-1:/srv/   # makes /srv/www`,
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "copy directories and everything under them"},
					&cli.BoolFlag{Name: "newest", Usage: "of the files a source pattern ('backups/*.tar.gz') matches, take only the latest"},
					&cli.BoolFlag{Name: "verify", Usage: "prove every file by its bytes on any server: read uploads back, hash downloads twice (or by the server's hash)"},
					&cli.BoolFlag{Name: "preserve", Aliases: []string{"p"}, Usage: "keep modification times, access times and modes, as sftp -p does"},
				},
				Action: e.runSftpCp,
			},
			{
				Name:      "put",
				Usage:     "upload local files (the last argument is the remote destination)",
				ArgsUsage: "LOCAL... REMOTE",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "copy directories"},
					&cli.BoolFlag{Name: "verify", Usage: "prove every file by its bytes on any server: read uploads back, hash downloads twice (or by the server's hash)"},
					&cli.BoolFlag{Name: "preserve", Aliases: []string{"p"}, Usage: "keep modification times, access times and modes, as sftp -p does"},
				},
				Action: e.runSftpPut,
			},
			{
				Name:      "rm",
				Usage:     "remove remote files",
				ArgsUsage: "REMOTE...",
				Flags:     []cli.Flag{&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "remove directories and what they hold"}},
				Action:    e.runSftpRm,
			},
			{
				Name:      "mkdir",
				Usage:     "make remote directories",
				ArgsUsage: "REMOTE...",
				Flags:     []cli.Flag{&cli.BoolFlag{Name: "parents", Aliases: []string{"p"}, Usage: "make missing parents too; an existing directory is no error"}},
				Action:    e.runSftpMkdir,
			},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Present() {
				return &usageError{msg: fmt.Sprintf("unknown sftp command %q", cmd.Args().First()), hint: "sshpin sftp ls|get|put|rm|mkdir ..."}
			}
			return &usageError{msg: "no sftp command given", hint: "sshpin sftp ls|get|put|rm|mkdir ..."}
		},
	}
}

// parseRemotes parses remote arguments and checks that they name one
// account on one server: one connection serves a run.
func parseRemotes(args []string) ([]sftpx.Remote, error) {
	var out []sftpx.Remote
	for _, a := range args {
		r, err := parseRemoteArg(a)
		if err != nil {
			var pe *sftpx.ParseError
			if errors.As(err, &pe) && pe.Params {
				return nil, &usageError{msg: fmt.Sprintf("%q: %s", a, pe.Reason), hint: "pin the host key with 'sshpin pin' instead, and write sftp://[user@]host[:port]/PATH"}
			}
			if errors.As(err, &pe) {
				return nil, &usageError{msg: fmt.Sprintf("%q: %s", a, pe.Reason), hint: "write [user@]host[:port]:PATH or sftp://[user@]host[:port]/PATH"}
			}
			return nil, &usageError{msg: err.Error()}
		}
		if len(out) > 0 && !out[0].SameServer(r) {
			return nil, &usageError{msg: fmt.Sprintf("%q and %q are on different servers or accounts", args[0], a), hint: "run sshpin sftp once per server"}
		}
		out = append(out, r)
	}
	return out, nil
}

// sftpSession is one verified connection and the run's bookkeeping.
type sftpSession struct {
	c        *sftpx.Client
	server   sftpx.Remote
	json     bool
	total    int
	failures int
	progress *report.Progress
	// after runs once the connection is closed (a stream's last stderr line).
	after  func()
	newest map[string]*report.NewestRecord // what --newest chose, by path (noteNewest)
}

// remoteName shows a remote path as the user would write it.
func (s *sftpSession) remoteName(p string) string {
	return sftpx.Remote{Host: s.server.Host, Port: s.server.Port, Path: p}.String()
}

// connect reads the pins, ~/.ssh/config and the credentials' sources,
// warns about every relaxation the user asked for, and dials.
func (e *env) connect(ctx context.Context, cmd *cli.Command, server sftpx.Remote) (*sftpSession, error) {
	// A transfer allocates a buffer per SFTP reply (pkg/sftp) at hundreds
	// of MB/s over a small live heap: at the default GOGC the collector
	// runs some 250 times per GiB. Fewer, larger cycles cost ~10% less
	// CPU, for a heap of a few times the ~20 MiB of buffers in flight.
	// A GOGC the user set wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(sftpGCPercent)
	}
	if server.Host == "" {
		return e.connectStream(ctx, cmd, server)
	}
	if streamGiven(cmd) && cmd.Name != "cp" {
		return nil, &usageError{msg: fmt.Sprintf("%q: with -D, --stream or --tls, remote files are written :PATH", server.String()), hint: "only cp takes a host:PATH beside the stream's :PATH"}
	}
	s := &sftpSession{server: server, json: cmd.Bool("json"), progress: e.newFileProgress()}
	o, trustPath, err := e.sftpOptions(ctx, cmd, server, func(ev sshdial.Event) { e.sftpEvent(s, ev) })
	if err != nil {
		return nil, err
	}
	c, err := sftpx.Dial(ctx, o)
	if err != nil {
		exit, why := e.dialError(ctx, cmd, err, server, o, trustPath)
		if s.json {
			// Scripts reading --json see the failed connection too.
			rec := report.FileRecord{Remote: server.String(), Error: why}
			var ce *sshdial.ConnectError
			if errors.As(err, &ce) {
				rec.ErrorKind = string(ce.Kind) // scan's kinds, as its error_kind
			}
			report.WriteJSON(e.stdout, rec)
		}
		return nil, exit
	}
	s.c = c
	return s, nil
}

// sftpOptions is how to reach server and whom to trust: the command line
// first, then ~/.ssh/config (or -F FILE), as ssh decides.
func (e *env) sftpOptions(ctx context.Context, cmd *cli.Command, server sftpx.Remote, events func(sshdial.Event)) (o sshdial.Options, trustPath string, err error) {
	timeout := cmd.Duration("timeout")
	if timeout <= 0 {
		return o, "", &usageError{msg: "--timeout must be positive"}
	}
	tofu, insecure := cmd.Bool("trust-on-first-use"), cmd.Bool("insecure-accept-any")
	if tofu && insecure {
		return o, "", &usageError{msg: "--trust-on-first-use and --insecure-accept-any exclude each other", hint: "--trust-on-first-use pins the key and checks it next time; prefer it"}
	}
	jump, proxy := cmd.String("jump"), cmd.String("proxy-command")
	if jump != "" && proxy != "" {
		return o, "", &usageError{msg: "-J and --proxy-command exclude each other", hint: "a jump host is a proxy: give one or the other"}
	}
	if jump != "" && !strings.EqualFold(jump, "none") {
		if _, err := sshconfig.ParseJump(jump); err != nil {
			var pe *sshconfig.ParseError
			if errors.As(err, &pe) {
				return o, "", &usageError{msg: fmt.Sprintf("jump host %q: %s", pe.Input, pe.Reason), hint: "-J [user@]host[:port][,...]"}
			}
			return o, "", &usageError{msg: err.Error()}
		}
	}
	var pinnedFiles []string
	if f := cmd.String("pinned"); f != "" {
		pinnedFiles = []string{f}
	}
	_, passphraseEnv := os.LookupEnv(envPassphrase)
	res, err := sftpx.Resolve(sftpx.ResolveOptions{
		Server:           server,
		ConfigFile:       cmd.String("config"),
		Jump:             jump,
		ProxyCommand:     proxy,
		KnownHostsFiles:  pinnedFiles,
		KeyFiles:         cmd.StringSlice("identity"),
		NoAgent:          cmd.Bool("no-agent"),
		AgentSocket:      os.Getenv("SSH_AUTH_SOCK"),
		Passphrase:       func(path string) ([]byte, error) { return passphrase(ctx, path) },
		CanAskPassphrase: passphraseEnv || haveTerminal(),
		Password:         passwordSource(ctx, true),
		HopPassword:      passwordSource(ctx, false),
		Warn:             func(w string) { e.warnf("warning: ssh config: %s", w) },
	})
	if err != nil {
		return o, "", resolveError(err, jump)
	}
	set, trustPath, err := sftpPinned(cmd, res, tofu || insecure)
	if err != nil {
		return o, "", err
	}
	if insecure {
		e.warnf("warning: --insecure-accept-any: the server's host key will not be checked at all; anyone on the network path can read and change this transfer and capture credentials")
	}
	if cmd.Bool("legacy") {
		e.warnf("warning: --legacy enables diffie-hellman-group1/group14-sha1, 3des-cbc, aes128-cbc, hmac-sha1, ssh-rsa and ssh-dss for this connection; a server that needs them needs fixing")
	}
	if tofu && (trustPath == "" || trustPath == os.DevNull) {
		return o, "", &usageError{msg: fmt.Sprintf("--trust-on-first-use has no file to write to (UserKnownHostsFile %s)", orNone(trustPath)), hint: "name one with --pinned FILE"}
	}
	o = res.Options
	o.Pinned = set
	o.TrustOnFirstUse, o.TrustFile, o.InsecureAcceptAny = tofu, trustPath, insecure
	o.Legacy = cmd.Bool("legacy")
	o.Timeout = timeout
	o.Events = events
	o.ProxyStderr = e.stderr
	return o, trustPath, nil
}

// resolveError words what sftpx.Resolve refused in the command line's
// terms: a refused user or host name (sshdial.InvalidNameError) with its
// source, a configuration that cannot be followed, no pinned file to read.
func resolveError(err error, jump string) error {
	var ne *sshdial.InvalidNameError
	var ce *sftpx.ConfigError
	var ke *sftpx.KnownHostsError
	switch {
	case errors.As(err, &ne):
		if ne.Source == "the jump host list" && jump != "" {
			ne.Source = "-J"
		}
		return &usageError{msg: ne.Error(), hint: "ssh refuses such names too (CVE-2023-51385): a name a shell would act on never reaches a proxy command; correct it where it came from"}
	case errors.As(err, &ke):
		return &usageError{msg: strings.TrimPrefix(ke.Err.Error(), "knownhosts: "), hint: "name the pinned file with --pinned FILE"}
	case errors.As(err, &ce):
		return &exitError{exitFailure, errors.New(unprefixed(ce.Error()))}
	}
	return &exitError{exitFailure, err}
}

// sftpPinned reads the pinned files: --pinned FILE (readPinned, as pin
// and check read it), else the ones Resolve found in the configuration or
// ssh's defaults, missing ones skipped. writePath is where trust on first
// use writes.
func sftpPinned(cmd *cli.Command, res *sftpx.Resolved, mayBeMissing bool) (set *knownhosts.Set, writePath string, err error) {
	if cmd.String("pinned") != "" {
		return readPinned(cmd, mayBeMissing)
	}
	if set, err = knownhosts.Open(res.KnownHostsFiles...); err != nil {
		return nil, "", &exitError{exitFailure, fmt.Errorf("cannot read pinned file: %w", err)}
	}
	return set, res.TrustFile, nil
}

// dialError maps a refused or failed connection to the exit contract: a
// host key that is not the pinned one is a finding (1), anything else
// means the job could not be done (2). why is the one-line reason.
func (e *env) dialError(ctx context.Context, cmd *cli.Command, err error, server sftpx.Remote, o sshdial.Options, trustPath string) (exit error, why string) {
	why = unprefixed(err.Error())
	// The name pins are looked up under: what to pin.
	name := target.Target{Host: o.Host, Port: o.Port}.String()
	if o.HostKeyAlias != "" {
		name = o.HostKeyAlias
	}
	where := target.Target{Host: o.Host, Port: o.Port}.String()
	if server.Host != o.Host {
		where = server.Host + " (" + where + ")" // an alias of ~/.ssh/config
	}
	var je *sshdial.JumpError
	if errors.As(err, &je) {
		where, name = "jump host "+je.Hop, je.Hop
		for _, h := range o.Jump {
			if (target.Target{Host: h.Host, Port: h.Port}).String() == je.Hop && h.HostKeyAlias != "" {
				name = h.HostKeyAlias
			}
		}
		err = je.Err
		why = "jump host " + je.Hop + ": " + unprefixed(err.Error())
	}
	var hke *sshdial.HostKeyError
	var ae *sshdial.AuthError
	switch {
	case ctx.Err() != nil:
		return &exitError{exitInterrupted, errors.New("interrupted")}, "interrupted"
	case errors.As(err, &hke):
		refused := "refused before authentication, nothing was sent: " + strings.TrimPrefix(unprefixed(hke.Error()), hke.Name+": ")
		why = refused
		if je != nil {
			why = "jump host " + je.Hop + ": " + refused
		}
		e.warnf("%s: %s", where, refused)
		for _, k := range pinnedOf(hke) {
			e.warnf("  pinned: %s", k)
		}
		switch r := hke.Reason; {
		case r == sshdial.KeyUnknown && pinsNothing(cmd, trustPath):
			// ssh_config's UserKnownHostsFile /dev/null (or none): pinning
			// into it would pin nothing.
			e.hintf("the ssh configuration disables pinning for this host (UserKnownHostsFile %s); verify the key out of band, pin it into a file of its own (sshpin pin --pinned FILE %s) and give that with --pinned FILE", orNone(trustPath), name)
		case r == sshdial.KeyUnknown:
			e.hintf("verify the key out of band, then: sshpin pin --pinned %s %s (or rerun with --trust-on-first-use)", orDefault(trustPath), name)
		case r == sshdial.KeyMismatch:
			e.hintf("a machine in the middle, or a reinstalled server: verify the new key out of band, then sshpin pin --replace --pinned FILE %s", name)
		case r == sshdial.KeyNoCommonType:
			if hke.Legacy {
				e.hintf("the pinned key types need --legacy")
			}
		}
		return &exitError{exitFindings, nil}, why
	case errors.As(err, &ae):
		e.warnf("%s", why)
		key := "the host key was verified"
		if ae.Unverified {
			key = "the host key was NOT verified (--insecure-accept-any): whatever was offered went to a server nothing vouched for"
		}
		var pe *sshdial.PassphraseError
		if _, set := os.LookupEnv(envPassphrase); set && errors.As(err, &pe) {
			e.hintf("$%s does not decrypt %s: correct it, or unset it to be asked on the terminal", envPassphrase, pe.Path)
		}
		if je != nil {
			e.hintf("a jump host gets only what the ssh configuration gives it (its User and IdentityFile), the agent, ssh's default keys, or a password typed on the terminal; -i and %s are the target's; %s", envPassword, key)
		} else {
			e.hintf("give a key with -i, load one into ssh-agent, or set %s; %s", envPassword, key)
		}
		return &exitError{exitFailure, nil}, why
	}
	e.warnf("%s", why)
	var ce *sshdial.ConnectError
	if errors.As(err, &ce) {
		e.connectHint(ce, where)
	}
	return &exitError{exitFailure, nil}, why
}

// connectHint says what to do about a connection that failed, by its
// kind (scan's kinds, and sftpx's own).
func (e *env) connectHint(ce *sshdial.ConnectError, where string) {
	var ne *sshdial.NegotiationError
	switch ce.Kind {
	case kexinit.KindNotSSH:
		e.hintf("%s answers, but not with SSH: is the port right? (sshpin probe %s shows what it says)", ce.Addr, ce.Addr)
	case kexinit.KindSSH1:
		e.hintf("SSH-1 is broken and unsupported: the server needs upgrading")
	case kexinit.KindRefused:
		e.hintf("nothing listens on %s: is the port right, and sshd running?", ce.Addr)
	case sshdial.KindForwardingRefused:
		e.hintf("%s refuses to forward connections: its sshd forbids it (AllowTcpForwarding no, a Match block, or the key's restrict/no-port-forwarding); ask its administrator, or reach %s another way", where, ce.Addr)
	case sshdial.KindNegotiation:
		if errors.As(ce, &ne) && len(ne.Legacy) > 0 {
			e.hintf("the server offers only legacy %s algorithms (%s): rerun with --legacy to speak them for this connection", ne.What, strings.Join(ne.Legacy, ", "))
		} else {
			e.hintf("sshpin diagnose %s says which category fails and which client option would fix it", ce.Addr)
		}
	}
}

// pinsNothing: no --pinned, and the file trust on first use would write
// to, the configuration's first UserKnownHostsFile, is /dev/null or none.
func pinsNothing(cmd *cli.Command, trustPath string) bool {
	return cmd.String("pinned") == "" && (trustPath == "" || trustPath == os.DevNull)
}

func orNone(p string) string {
	if p == "" {
		return "none"
	}
	return p
}

func orDefault(p string) string {
	if p == "" {
		return "FILE"
	}
	return p
}

// pinnedOf lists the keys a HostKeyError's lookup found, for the diff.
func pinnedOf(hke *sshdial.HostKeyError) []string {
	var ce *knownhosts.ChangedError
	if !errors.As(hke, &ce) {
		return nil
	}
	var out []string
	for _, l := range ce.Want {
		out = append(out, fmt.Sprintf("%s %s (%s)", l.Key.Type(), ssh.FingerprintSHA256(l.Key), report.Safe(l.Pos())))
	}
	return out
}

// sftpOutput serialises what sftp writes about transfers: a recursive
// transfer moves several files at once, and their events (sftpEvent) come
// from their goroutines while the command's goroutine writes the Results
// (result, cpResult).
var sftpOutput sync.Mutex

// sftpEvent renders what the package reports: warnings on stderr,
// progress on a terminal only.
func (e *env) sftpEvent(s *sftpSession, ev sshdial.Event) {
	sftpOutput.Lock()
	defer sftpOutput.Unlock()
	switch ev.Kind {
	case sshdial.EventTrusted:
		e.warnf("warning: trusted %s on first use: pinned %s %s into %s without verification", ev.Addr, ev.Key.Type(), ssh.FingerprintSHA256(ev.Key), ev.Path)
	case sshdial.EventUnverified:
		e.warnf("warning: %s presented %s %s and it was not verified at all (--insecure-accept-any)", ev.Addr, ev.Key.Type(), ssh.FingerprintSHA256(ev.Key))
	case sshdial.EventWarning:
		e.warnf("warning: %s", unprefixed(ev.Message))
	case sshdial.EventLeftover:
		s.progress.Clear()
		e.warnf("note: %s", ev.Message)
	case sshdial.EventNotAtomic:
		s.progress.Clear()
		e.warnf("warning: %s: the replace was not atomic: %s", s.remoteName(ev.Remote), ev.Message)
	case sshdial.EventProgress:
		s.progress.Show(report.FileMoved{Op: ev.Op, Remote: ev.Remote, Bytes: ev.Bytes, Total: ev.Total, Verified: ev.Verified, Verify: ev.Verify})
	}
}

// result renders one file's transfer: a line on stdout, or the error on
// stderr, or a JSON line.
func (e *env) result(s *sftpSession, r sftpx.Result) {
	t := report.Transfer{Op: r.Op, Remote: s.remoteName(r.Remote), Local: r.Local}
	if !r.Skipped {
		t.Newest = s.newestFor(r.Remote)
	}
	e.transfer(s, t, r)
}

// transfer renders t, the file of r: counted, unless skipped on purpose,
// in the run's tally.
func (e *env) transfer(s *sftpSession, t report.Transfer, r sftpx.Result) {
	sftpOutput.Lock()
	defer sftpOutput.Unlock()
	s.progress.Clear()
	if r.Skipped {
		// Left out on purpose: not a failure, and not one of the files
		// the run's tally counts.
		t.Skipped, t.Reason = true, r.Reason
	} else {
		s.total++
		t.Bytes, t.Took, t.SHA256, t.Proof = r.Bytes, r.Duration, r.SHA256, r.Proof
		if r.Err != nil {
			s.failures++
			t.Err = reason(r.Err)
		}
	}
	switch {
	case s.json:
		report.WriteJSON(e.stdout, t.Record())
	case t.Err != "":
		e.warnf("%s", report.TransferFailure(t))
	default:
		report.WriteTransfer(e.stdout, t, report.WidthOf(e.stdout))
	}
}

// transferOptions are get's, put's and cp's flags.
func transferOptions(cmd *cli.Command) sftpx.TransferOptions {
	return sftpx.TransferOptions{Recursive: cmd.Bool("recursive"), Verify: cmd.Bool("verify"), Preserve: cmd.Bool("preserve")}
}

// unprefixed drops the package prefix of sftpx's and sshdial's errors
// and warnings: stderr has its own ("sshpin: ").
func unprefixed(msg string) string {
	return strings.TrimPrefix(strings.TrimPrefix(msg, "sftpx: "), "sshdial: ")
}

func reason(err error) string {
	var te *sftpx.TransferError
	switch {
	case errors.As(err, &te):
		return teReason(te)
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	return unprefixed(err.Error())
}

// teReason is why a file failed, with what to do about a directory
// (sftpx.ErrIsDir) in the command line's words.
func teReason(te *sftpx.TransferError) string {
	if errors.Is(te, sftpx.ErrIsDir) {
		return te.Reason() + " (use -r)"
	}
	return te.Reason()
}

// finish closes the connection and turns the run's failures into the exit.
func (s *sftpSession) finish(ctx context.Context, what string) error {
	s.c.Close()
	if s.after != nil {
		s.after()
	}
	switch {
	case ctx.Err() != nil:
		return &exitError{exitInterrupted, fmt.Errorf("interrupted: %d %s done, %d failed", s.total-s.failures, what, s.failures)}
	case s.failures > 0:
		return &exitError{exitFailure, fmt.Errorf("%d of %d %s failed", s.failures, s.total, what)}
	}
	return nil
}

func (e *env) runSftpGet(ctx context.Context, cmd *cli.Command) error {
	args := cmd.Args().Slice()
	if len(args) == 0 {
		return &usageError{msg: "nothing to get", hint: "sshpin sftp get [-r] REMOTE... [LOCAL]"}
	}
	local := "."
	if last := args[len(args)-1]; !isRemoteArg(cmd, last) {
		local, args = last, args[:len(args)-1]
	}
	if len(args) == 0 {
		return &usageError{msg: fmt.Sprintf("%q is not a remote file", local), hint: "sshpin sftp get [-r] REMOTE... [LOCAL], REMOTE written [user@]host[:port]:PATH or sftp://[user@]host[:port]/PATH"}
	}
	remotes, err := parseRemotes(args)
	if err != nil {
		return err
	}
	localIsDir := false
	if st, err := os.Stat(local); err == nil && st.IsDir() {
		localIsDir = true
	}
	if len(remotes) > 1 && !localIsDir {
		return &usageError{msg: fmt.Sprintf("%s is not a directory: several files need a directory to go to", local)}
	}
	s, err := e.connect(ctx, cmd, remotes[0])
	if err != nil {
		return err
	}
	for _, r := range remotes {
		if ctx.Err() != nil {
			break
		}
		paths := e.expand(ctx, s, r.Path, cmd.Bool("newest"), cmd.Bool("recursive"), func(res sftpx.Result) { e.result(s, res) })
		if len(paths) > 1 && !localIsDir {
			s.c.Close()
			return &usageError{msg: fmt.Sprintf("%s matches %d files and %s is not a directory", s.remoteName(r.Path), len(paths), local), hint: "give a directory, or --newest to take the latest match"}
		}
		for _, p := range paths {
			s.c.Get(ctx, p, local, transferOptions(cmd), func(res sftpx.Result) { e.result(s, res) })
		}
	}
	return s.finish(ctx, "files")
}

// expand turns a remote path with a wildcard in its last element into the
// files it matches on the server (with newest, the latest of them: with
// recursive, of the files and directories, since a recursive copy takes
// either); a pattern that matches nothing is a failed file, reported
// through fail. A path without a wildcard is itself.
func (e *env) expand(ctx context.Context, s *sftpSession, p string, newest, recursive bool, fail func(sftpx.Result)) []string {
	if !sftpx.HasGlob(p) {
		return []string{p}
	}
	failed := func(err error) []string {
		fail(sftpx.Result{Op: "glob", Remote: p, Err: err})
		return nil
	}
	ms, err := s.c.Glob(ctx, p)
	if err != nil {
		return failed(err)
	}
	if newest {
		m, ok := sftpx.ChooseNewest(ms, recursive)
		switch {
		case !ok && recursive:
			return failed(&sftpx.TransferError{Op: "glob", Remote: p, Err: errors.New("no file or directory matches")})
		case !ok:
			return failed(&sftpx.TransferError{Op: "glob", Remote: p, Err: errors.New("no file matches")})
		}
		e.noteNewest(s, p, m)
		return []string{m.Path}
	}
	if len(ms) == 0 {
		return failed(&sftpx.TransferError{Op: "glob", Remote: p, Err: errors.New("no file matches")})
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Path)
	}
	return out
}

// runSftpCp copies files (with -r, directories) from one server to another
// through this process: each server is verified against its own pins, the
// bytes are read from the source and uploaded to the destination as put
// does (temporary name, fsync, size, proof, rename), and nothing is written
// locally.
func (e *env) runSftpCp(ctx context.Context, cmd *cli.Command) error {
	args := cmd.Args().Slice()
	if len(args) < 2 {
		return &usageError{msg: "cp needs a source and a destination", hint: "sshpin sftp cp [-r] SRC-HOST:PATH... DST-HOST:PATH"}
	}
	for _, a := range args {
		if !isRemoteArg(cmd, a) {
			return &usageError{msg: fmt.Sprintf("%q is not a remote path: cp copies between servers", a), hint: "use get or put for local files"}
		}
	}
	srcs, err := parseRemotes(args[:len(args)-1])
	if err != nil {
		return err
	}
	dsts, err := parseRemotes(args[len(args)-1:])
	if err != nil {
		return err
	}
	dst := dsts[0]
	from, err := e.connect(ctx, cmd, srcs[0])
	if err != nil {
		return err
	}
	defer from.c.Close()
	to, err := e.connect(ctx, cmd, dst)
	if err != nil {
		return err
	}
	show := func(res sftpx.Result) { e.cpResult(from, to, res) }
	var paths []string
	for _, r := range srcs {
		paths = append(paths, e.expand(ctx, from, r.Path, cmd.Bool("newest"), cmd.Bool("recursive"), func(res sftpx.Result) {
			res.Local, res.Remote = res.Remote, ""
			show(res)
		})...)
	}
	dir := false
	if st, err := to.c.Stat(ctx, dst.Path); err == nil && st.IsDir() {
		dir = true
	}
	if len(paths) > 1 && !dir {
		to.c.Close()
		return &exitError{exitFailure, fmt.Errorf("%s is not a directory on the server: several files need a directory to go to", dst)}
	}
	for _, p := range paths {
		if ctx.Err() != nil {
			break
		}
		to.c.Copy(ctx, from.c, p, dst.Path, transferOptions(cmd), show)
	}
	return to.finish(ctx, "files")
}

// cpResult renders one copied file: both ends named as the user would
// write them.
func (e *env) cpResult(from, to *sftpSession, r sftpx.Result) {
	t := report.Transfer{Op: "cp", Source: from.remoteName(r.Local)}
	if r.Remote != "" {
		t.Remote = to.remoteName(r.Remote)
	}
	if !r.Skipped {
		t.Newest = from.newestFor(r.Local)
	}
	e.transfer(to, t, r)
}

func (e *env) runSftpPut(ctx context.Context, cmd *cli.Command) error {
	args := cmd.Args().Slice()
	if len(args) < 2 {
		return &usageError{msg: "put needs local files and a remote destination", hint: "sshpin sftp put [-r] LOCAL... [user@]host[:port]:PATH"}
	}
	dest, locals := args[len(args)-1], args[:len(args)-1]
	if !isRemoteArg(cmd, dest) {
		return &usageError{msg: fmt.Sprintf("%q is not a remote destination", dest), hint: "the last argument of put is [user@]host[:port]:PATH or sftp://..."}
	}
	for _, l := range locals {
		if isRemoteArg(cmd, l) {
			return &usageError{msg: fmt.Sprintf("%q is a remote file: put copies local files to a server", l), hint: "write ./" + l + " for a local path with a colon"}
		}
	}
	remotes, err := parseRemotes([]string{dest})
	if err != nil {
		return err
	}
	s, err := e.connect(ctx, cmd, remotes[0])
	if err != nil {
		return err
	}
	if len(locals) > 1 {
		st, err := s.c.Stat(ctx, remotes[0].Path)
		if err != nil || !st.IsDir() {
			s.c.Close()
			return &exitError{exitFailure, fmt.Errorf("%s is not a directory on the server: several files need a directory to go to", dest)}
		}
	}
	for _, l := range locals {
		if ctx.Err() != nil {
			break
		}
		s.c.Put(ctx, l, remotes[0].Path, transferOptions(cmd), func(res sftpx.Result) { e.result(s, res) })
	}
	return s.finish(ctx, "files")
}

func (e *env) runSftpLs(ctx context.Context, cmd *cli.Command) error {
	usage := &usageError{msg: "nothing to list", hint: "sshpin sftp ls [user@]host[:port]:PATH..."}
	style := cmd.String("time-style")
	if _, ok := report.ListTime(time.Now(), time.Now(), style); !ok {
		return &usageError{msg: fmt.Sprintf("unknown --time-style %q", style), hint: "--time-style " + strings.Join(report.TimeStyles, "|")}
	}
	return e.eachRemotePath(ctx, cmd, usage, func(s *sftpSession, p string, i, n int) error {
		entries, err := s.c.List(ctx, p)
		if err != nil {
			if s.json {
				report.WriteJSON(e.stdout, report.ListRecord{Remote: s.remoteName(p), Error: reason(err)})
			} else {
				e.warnf("ls %s: %s", s.remoteName(p), reason(err))
			}
			return err
		}
		if !s.json && n > 1 {
			if i > 0 {
				fmt.Fprintln(e.stdout)
			}
			fmt.Fprintf(e.stdout, "%s:\n", report.Safe(s.remoteName(p)))
		}
		for _, en := range entries {
			l := report.Listed{Remote: s.remoteName(en.Path), Name: en.Name, Mode: en.Mode, Size: en.Size, ModTime: en.ModTime}
			if s.json {
				report.WriteJSON(e.stdout, l.Record())
			} else {
				report.WriteListed(e.stdout, l, style, time.Now())
			}
		}
		return nil
	})
}

// runSftpRm removes remote paths. A path that names or resolves to the
// root or the login directory, or ends in "." or "..", is refused, and so
// is the rest of the run: such a command line is a slip, and a run that
// removed the other paths would leave the user to work out what is gone.
// What the text gives away is refused before connecting.
func (e *env) runSftpRm(ctx context.Context, cmd *cli.Command) error {
	args := cmd.Args().Slice()
	var paths []string
	refused := 0
	for _, a := range args {
		r, err := parseRemoteArg(a)
		if err != nil {
			paths = nil // runSftpEach names the bad argument
			break
		}
		paths = append(paths, r.Path)
		if err := sftpx.CheckRemovable(r.Path); err != nil {
			refused++
			name := sftpx.Remote{Host: r.Host, Port: r.Port, Path: r.Path}.String()
			if cmd.Bool("json") {
				report.WriteJSON(e.stdout, report.FileRecord{Remote: name, Error: reason(err)})
			} else {
				e.warnf("rm %s: %s", name, reason(err))
			}
		}
	}
	if refused > 0 {
		return &exitError{exitFailure, fmt.Errorf("nothing removed: %d of %d paths refused", refused, len(args))}
	}
	var blocked map[string]error // nil until the server was asked
	return e.runSftpEach(ctx, cmd, "rm", func(s *sftpSession, p string) error {
		if blocked == nil {
			blocked = map[string]error{}
			for _, q := range paths {
				if err := s.c.CheckRemove(ctx, q); err != nil {
					blocked[q] = err
				}
			}
		}
		if err, ok := blocked[p]; ok {
			return err
		}
		if len(blocked) > 0 {
			return &sftpx.TransferError{Op: "rm", Remote: p, Err: errors.New("not removed: another path of this run was refused")}
		}
		return s.c.Remove(ctx, p, cmd.Bool("recursive"))
	})
}

func (e *env) runSftpMkdir(ctx context.Context, cmd *cli.Command) error {
	return e.runSftpEach(ctx, cmd, "mkdir", func(s *sftpSession, p string) error {
		return s.c.Mkdir(ctx, p, cmd.Bool("parents"))
	})
}

// runSftpEach runs op on every remote path; every failure is named.
func (e *env) runSftpEach(ctx context.Context, cmd *cli.Command, name string, op func(*sftpSession, string) error) error {
	usage := &usageError{msg: "no remote path given", hint: fmt.Sprintf("sshpin sftp %s [user@]host[:port]:PATH...", name)}
	return e.eachRemotePath(ctx, cmd, usage, func(s *sftpSession, p string, _, _ int) error {
		err := op(s, p)
		if s.json {
			rec := report.FileRecord{Remote: s.remoteName(p)}
			if err != nil {
				rec.Error = joinReasons(err)
			}
			report.WriteJSON(e.stdout, rec)
			return err
		}
		for _, err := range flatten(err) {
			var te *sftpx.TransferError
			if errors.As(err, &te) {
				e.warnf("%s %s: %s", name, s.remoteName(te.Remote), teReason(te))
			} else {
				e.warnf("%s %s: %s", name, s.remoteName(p), reason(err))
			}
		}
		return err
	})
}

// eachRemotePath runs a command on remote paths (ls, rm, mkdir): the
// arguments, all on one server, share one connection, and op runs on each
// path in turn (the i-th of n) and prints what it has to say about it. A
// path op returns an error for counts as failed and the rest go on; no
// argument at all is the usage error given.
func (e *env) eachRemotePath(ctx context.Context, cmd *cli.Command, usage *usageError, op func(s *sftpSession, p string, i, n int) error) error {
	args := cmd.Args().Slice()
	if len(args) == 0 {
		return usage
	}
	remotes, err := parseRemotes(args)
	if err != nil {
		return err
	}
	s, err := e.connect(ctx, cmd, remotes[0])
	if err != nil {
		return err
	}
	for i, r := range remotes {
		if ctx.Err() != nil {
			break
		}
		s.total++
		if err := op(s, r.Path, i, len(remotes)); err != nil {
			s.failures++
		}
	}
	return s.finish(ctx, "paths")
}

// flatten undoes errors.Join: a recursive removal reports every file.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func joinReasons(err error) string {
	var parts []string
	for _, e := range flatten(err) {
		var te *sftpx.TransferError
		if errors.As(e, &te) && len(flatten(err)) > 1 {
			parts = append(parts, te.Remote+": "+teReason(te))
		} else {
			parts = append(parts, reason(e))
		}
	}
	return strings.Join(parts, "; ")
}

// passphrase is the identity's passphrase: $SSHPIN_PASSPHRASE, else a
// prompt on the terminal. The variable set but empty is refused, and the
// key skipped with a word: an empty passphrase would skip it without one,
// as an empty answer to the prompt does, and an empty variable is more
// likely a mistake (an unset shell variable expanded) than that wish.
func passphrase(ctx context.Context, path string) ([]byte, error) {
	if v, ok := os.LookupEnv(envPassphrase); ok {
		if v == "" {
			return nil, fmt.Errorf("$%s is set but empty", envPassphrase)
		}
		return []byte(v), nil
	}
	return readSecret(ctx, fmt.Sprintf("Enter passphrase for key '%s': ", path))
}

// passwordSource is, for the target, $SSHPIN_PASSWORD (one attempt:
// repeating a refused password is pointless); else, and for a jump host
// always, a terminal prompt that names the host; else no password at all.
// Each host's source is its own: a password is never sent to a host it
// was not given for.
func passwordSource(ctx context.Context, target bool) func(user, addr string, attempt int) (string, error) {
	if v, ok := os.LookupEnv(envPassword); ok && target {
		return func(_, _ string, attempt int) (string, error) {
			if attempt > 1 {
				return "", fmt.Errorf("the password in $%s was refused", envPassword)
			}
			return v, nil
		}
	}
	if !haveTerminal() {
		return nil
	}
	return func(user, addr string, _ int) (string, error) {
		b, err := readSecret(ctx, fmt.Sprintf("%s@%s's password: ", user, addr))
		return string(b), err
	}
}

func haveTerminal() bool {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer tty.Close()
	return term.IsTerminal(int(tty.Fd()))
}

// readSecret prompts on the controlling terminal, as ssh does, so that
// stdout and stderr stay the run's. Ctrl-C (ctx) ends the prompt and
// restores the terminal's echo.
func readSecret(ctx context.Context, prompt string) ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("no terminal to ask on (set %s or %s)", envPassphrase, envPassword)
	}
	fd := int(tty.Fd())
	if !term.IsTerminal(fd) {
		tty.Close()
		return nil, fmt.Errorf("no terminal to ask on (set %s or %s)", envPassphrase, envPassword)
	}
	state, err := term.GetState(fd)
	if err != nil {
		tty.Close()
		return nil, err
	}
	fmt.Fprint(tty, report.Safe(prompt)) // a user or host name from a config file
	type answer struct {
		b   []byte
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		ch <- answer{b, err}
	}()
	select {
	case a := <-ch:
		fmt.Fprintln(tty)
		tty.Close()
		return a.b, a.err
	case <-ctx.Done():
		term.Restore(fd, state)
		fmt.Fprintln(tty)
		// The reader goroutine still holds tty; the process is ending.
		return nil, ctx.Err()
	}
}

// newFileProgress is the transfer's progress line: on stderr when stderr
// is a terminal, else none.
func (e *env) newFileProgress() *report.Progress {
	if f := terminal(e.stderr); f != nil {
		return report.NewProgress(f, "", -1)
	}
	return report.NewProgress(nil, "", -1)
}
