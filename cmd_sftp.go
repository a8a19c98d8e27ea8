package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v3"
	"golang.org/x/crypto/ssh"
	"golang.org/x/term"

	"sshpin/knownhosts"
	"sshpin/report"
	"sshpin/sftpx"
)

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
		ArgsUsage: "ls|get|put|rm|mkdir ...",
		Description: `sftp connects, checks the key the server proves in the key exchange
against the pinned file BEFORE sending a user name or any credential, and
only then logs in and transfers. It offers the server only the host key
types pinned for it, so a server that prefers another type is not
mistaken for an impostor. A host that is not pinned, or whose key does not
match, is refused (exit 1) before it sees a user name or a credential.

Remote files: [user@]host[:port]:PATH (a second colon names the port; an
IPv6 host goes in brackets) or sftp://[user@]host[:port]/PATH. PATH is
relative to the login directory unless it starts with '/' (in the URI:
sftp://host//abs/path). All remote files of one run are on one server.

Uploads go to a temporary name beside the destination, are read back and
compared (size and SHA-256) with what was sent, then renamed into place
(posix-rename@openssh.com; on servers without it the old file is removed
first, and a warning says so). Downloads go to a temporary file beside the
destination, are hashed while written, checked against the server's size,
synced and renamed: a failed transfer leaves no partial file and an
existing destination untouched. A file that fails is named; the others go
on; the exit status is then 2.

Credentials, in order: -i identity files (OpenSSH or PEM; the passphrase
from $SSHPIN_PASSPHRASE or a terminal prompt), the ssh-agent
($SSH_AUTH_SOCK), then a password from $SSHPIN_PASSWORD or a terminal
prompt. They are loaded only after the server proved a pinned key.

--timeout bounds connecting and logging in, each request, and every stall
of a transfer; a transfer that keeps moving may take as long as it needs.

Examples:
  sshpin sftp --pinned host.keys put -i ~/.ssh/id_ed25519 backup.tar deploy@web-1:/srv/in/
  sshpin sftp --pinned host.keys get -r web-1:2222:/var/log/app ./logs
  sshpin sftp get sftp://deploy@web-1//etc/motd motd     # pins from ~/.ssh/known_hosts
  sshpin sftp --pinned host.keys ls --json web-1:/srv/in
  sshpin sftp --pinned lab.keys --trust-on-first-use ls 192.0.2.7:`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "pinned", Usage: "the pinned `FILE`; default: ~/.ssh/known_hosts, ~/.ssh/known_hosts2 and /etc/ssh/ssh_known_hosts, as ssh reads them", TakesFile: true},
			&cli.BoolFlag{Name: "trust-on-first-use", Usage: "pin the key of a host the files know nothing about, then go on (never on a mismatch)"},
			&cli.BoolFlag{Name: "insecure-accept-any", Usage: "accept ANY host key, unverified: throwaway labs only"},
			&cli.BoolFlag{Name: "legacy", Usage: "also speak SHA-1/CBC algorithms (ssh-rsa, group14-sha1, ...) for this connection"},
			&cli.StringSliceFlag{Name: "identity", Aliases: []string{"i"}, Usage: "private key `FILE` to log in with (repeatable)", TakesFile: true},
			&cli.BoolFlag{Name: "no-agent", Usage: "do not offer the ssh-agent's keys"},
		},
		Commands: []*cli.Command{
			{
				Name:      "ls",
				Usage:     "list remote directories or files",
				ArgsUsage: "REMOTE...",
				Action:    e.runSftpLs,
			},
			{
				Name:      "get",
				Usage:     "download remote files (the last argument, if local, is the destination; default .)",
				ArgsUsage: "REMOTE... [LOCAL]",
				Flags:     []cli.Flag{&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "copy directories"}},
				Action:    e.runSftpGet,
			},
			{
				Name:      "put",
				Usage:     "upload local files (the last argument is the remote destination)",
				ArgsUsage: "LOCAL... REMOTE",
				Flags:     []cli.Flag{&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "copy directories"}},
				Action:    e.runSftpPut,
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
		r, err := sftpx.ParseRemote(a)
		if err != nil {
			var pe *sftpx.ParseError
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
	progress *progressLine
}

// remoteName shows a remote path as the user would write it.
func (s *sftpSession) remoteName(p string) string {
	return sftpx.Remote{Host: s.server.Host, Port: s.server.Port, Path: p}.String()
}

// connect reads the pins and the credentials' sources, warns about every
// relaxation the user asked for, and dials.
func (e *env) connect(ctx context.Context, cmd *cli.Command, server sftpx.Remote) (*sftpSession, error) {
	timeout := cmd.Duration("timeout")
	if timeout <= 0 {
		return nil, &usageError{msg: "--timeout must be positive"}
	}
	tofu, insecure := cmd.Bool("trust-on-first-use"), cmd.Bool("insecure-accept-any")
	if tofu && insecure {
		return nil, &usageError{msg: "--trust-on-first-use and --insecure-accept-any exclude each other", hint: "--trust-on-first-use pins the key and checks it next time; prefer it"}
	}
	files, trustPath, err := readPinned(cmd, tofu || insecure)
	if err != nil {
		return nil, err
	}
	if insecure {
		e.warnf("WARNING: --insecure-accept-any: the server's host key will NOT be verified; anyone on the network path can read and change this transfer and capture credentials")
	}
	if cmd.Bool("legacy") {
		e.warnf("warning: --legacy enables diffie-hellman-group1/group14-sha1, 3des-cbc, aes128-cbc, hmac-sha1, ssh-rsa and ssh-dss for this connection; a server that needs them needs fixing")
	}
	login := server.User
	if login == "" {
		login = localUser()
	}
	s := &sftpSession{server: server, json: cmd.Bool("json"), progress: e.newProgressLine()}
	o := sftpx.Options{
		Host:              server.Host,
		Port:              server.Port,
		User:              login,
		Pinned:            files,
		TrustOnFirstUse:   tofu,
		TrustFile:         trustPath,
		InsecureAcceptAny: insecure,
		Legacy:            cmd.Bool("legacy"),
		Timeout:           timeout,
		Auth: sftpx.Auth{
			KeyFiles:   cmd.StringSlice("identity"),
			Passphrase: func(path string) ([]byte, error) { return passphrase(ctx, path) },
		},
		Events: func(ev sftpx.Event) { e.sftpEvent(s, ev) },
	}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" && !cmd.Bool("no-agent") {
		o.Auth.AgentSocket = sock
	}
	o.Auth.Password = passwordSource(ctx)
	c, err := sftpx.Dial(ctx, o)
	if err != nil {
		exit, why := e.dialError(ctx, err, server, trustPath)
		if s.json {
			// Scripts reading --json see the failed connection too.
			report.WriteJSON(e.stdout, fileRecord{Remote: server.String(), Error: why})
		}
		return nil, exit
	}
	s.c = c
	return s, nil
}

func localUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

// dialError maps a refused or failed connection to the exit contract: a
// host key that is not the pinned one is a finding (1), anything else
// means the job could not be done (2). why is the one-line reason.
func (e *env) dialError(ctx context.Context, err error, server sftpx.Remote, trustPath string) (exit error, why string) {
	why = strings.TrimPrefix(err.Error(), "sftpx: ")
	var hke *sftpx.HostKeyError
	var ae *sftpx.AuthError
	switch {
	case ctx.Err() != nil:
		return &exitError{exitInterrupted, errors.New("interrupted")}, "interrupted"
	case errors.As(err, &hke):
		why = "REFUSED before authentication, nothing was sent: " + strings.TrimPrefix(hke.Error(), "sftpx: "+hke.Name+": ")
		e.warnf("%s: %s", server.Addr(), why)
		for _, k := range pinnedOf(hke) {
			e.warnf("  pinned: %s", k)
		}
		name := server.Addr()
		switch hke.Reason {
		case sftpx.KeyUnknown:
			e.hintf("verify the key out of band, then: sshpin pin --pinned %s %s (or rerun with --trust-on-first-use)", orDefault(trustPath), name)
		case sftpx.KeyMismatch:
			e.hintf("a machine in the middle, or a reinstalled server: verify the new key out of band, then sshpin pin --replace --pinned FILE %s", name)
		case sftpx.KeyNoCommonType:
			if hke.Legacy {
				e.hintf("the pinned key types need --legacy")
			}
		}
		return &exitError{exitFindings, nil}, why
	case errors.As(err, &ae):
		e.warnf("%s", why)
		e.hintf("give a key with -i, load one into ssh-agent, or set %s; the host key was verified", envPassword)
		return &exitError{exitFailure, nil}, why
	}
	return &exitError{exitFailure, errors.New(why)}, why
}

func orDefault(p string) string {
	if p == "" {
		return "FILE"
	}
	return p
}

// pinnedOf lists the keys a HostKeyError's lookup found, for the diff.
func pinnedOf(hke *sftpx.HostKeyError) []string {
	var ke *knownhosts.KeyError
	if !errors.As(hke, &ke) {
		return nil
	}
	var out []string
	for _, l := range ke.Want {
		out = append(out, fmt.Sprintf("%s %s (line %d)", l.Key.Type(), ssh.FingerprintSHA256(l.Key), l.Num))
	}
	return out
}

// sftpEvent renders what the package reports: warnings on stderr,
// progress on a terminal only.
func (e *env) sftpEvent(s *sftpSession, ev sftpx.Event) {
	switch ev.Kind {
	case sftpx.EventTrusted:
		e.warnf("warning: trusted %s on first use: pinned %s %s into %s without verification", s.server.Addr(), ev.Key.Type(), ssh.FingerprintSHA256(ev.Key), ev.Path)
	case sftpx.EventUnverified:
		e.warnf("WARNING: %s presented %s %s and it was NOT verified (--insecure-accept-any)", ev.Addr, ev.Key.Type(), ssh.FingerprintSHA256(ev.Key))
	case sftpx.EventWarning:
		e.warnf("warning: %s", strings.TrimPrefix(ev.Message, "sftpx: "))
	case sftpx.EventNotAtomic:
		s.progress.clear()
		e.warnf("warning: %s: the replace was not atomic: %s", s.remoteName(ev.Remote), ev.Message)
	case sftpx.EventProgress:
		s.progress.show(ev)
	}
}

// fileRecord is the --json line per file.
type fileRecord struct {
	Remote  string  `json:"remote"`
	Local   string  `json:"local,omitempty"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	SHA256  string  `json:"sha256,omitempty"`
	Error   string  `json:"error,omitempty"`
}

// result renders one file's transfer: a line on stdout, or the error on
// stderr, or a JSON line.
func (e *env) result(s *sftpSession, r sftpx.Result) {
	s.progress.clear()
	s.total++
	remote := s.remoteName(r.Remote)
	if r.Err != nil {
		s.failures++
	}
	if s.json {
		rec := fileRecord{Remote: remote, Local: r.Local, Bytes: r.Bytes, Seconds: r.Duration.Seconds(), SHA256: r.SHA256}
		if r.Err != nil {
			rec.Error = reason(r.Err)
		}
		report.WriteJSON(e.stdout, rec)
		return
	}
	from, to := remote, r.Local
	if r.Op == "put" {
		from, to = r.Local, remote
	}
	if r.Err != nil {
		e.warnf("%s %s -> %s: %s", r.Op, from, to, reason(r.Err))
		return
	}
	fmt.Fprintf(e.stdout, "%s -> %s  %s in %.2fs (%s/s)  sha256:%s\n", from, to, size(r.Bytes), r.Duration.Seconds(), rate(r.Bytes, r.Duration), r.SHA256)
}

func reason(err error) string {
	var te *sftpx.TransferError
	if errors.As(err, &te) {
		return te.Reason()
	}
	return strings.TrimPrefix(err.Error(), "sftpx: ")
}

// finish closes the connection and turns the run's failures into the exit.
func (s *sftpSession) finish(ctx context.Context, what string) error {
	s.c.Close()
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
	if last := args[len(args)-1]; !sftpx.IsRemote(last) {
		local, args = last, args[:len(args)-1]
	}
	if len(args) == 0 {
		return &usageError{msg: fmt.Sprintf("%q is not a remote file", local), hint: "sshpin sftp get [-r] REMOTE... [LOCAL]; write ./" + local + " for a local path with a colon"}
	}
	remotes, err := parseRemotes(args)
	if err != nil {
		return err
	}
	if len(remotes) > 1 {
		if st, err := os.Stat(local); err != nil || !st.IsDir() {
			return &usageError{msg: fmt.Sprintf("%s is not a directory: several files need a directory to go to", local)}
		}
	}
	s, err := e.connect(ctx, cmd, remotes[0])
	if err != nil {
		return err
	}
	for _, r := range remotes {
		if ctx.Err() != nil {
			break
		}
		s.c.Get(ctx, r.Path, local, sftpx.TransferOptions{Recursive: cmd.Bool("recursive")}, func(res sftpx.Result) { e.result(s, res) })
	}
	return s.finish(ctx, "files")
}

func (e *env) runSftpPut(ctx context.Context, cmd *cli.Command) error {
	args := cmd.Args().Slice()
	if len(args) < 2 {
		return &usageError{msg: "put needs local files and a remote destination", hint: "sshpin sftp put [-r] LOCAL... [user@]host[:port]:PATH"}
	}
	dest, locals := args[len(args)-1], args[:len(args)-1]
	if !sftpx.IsRemote(dest) {
		return &usageError{msg: fmt.Sprintf("%q is not a remote destination", dest), hint: "the last argument of put is [user@]host[:port]:PATH or sftp://..."}
	}
	for _, l := range locals {
		if sftpx.IsRemote(l) {
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
		s.c.Put(ctx, l, remotes[0].Path, sftpx.TransferOptions{Recursive: cmd.Bool("recursive")}, func(res sftpx.Result) { e.result(s, res) })
	}
	return s.finish(ctx, "files")
}

// lsRecord is the --json line per listed entry.
type lsRecord struct {
	Remote string `json:"remote"`
	Name   string `json:"name,omitempty"`
	Type   string `json:"type,omitempty"`
	Mode   string `json:"mode,omitempty"`
	Size   int64  `json:"size"`
	MTime  string `json:"mtime,omitempty"`
	Error  string `json:"error,omitempty"`
}

func fileType(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "file"
	case m.IsDir():
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	}
	return "other"
}

func (e *env) runSftpLs(ctx context.Context, cmd *cli.Command) error {
	args := cmd.Args().Slice()
	if len(args) == 0 {
		return &usageError{msg: "nothing to list", hint: "sshpin sftp ls [user@]host[:port]:PATH..."}
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
		entries, err := s.c.List(ctx, r.Path)
		if err != nil {
			s.failures++
			if s.json {
				report.WriteJSON(e.stdout, lsRecord{Remote: s.remoteName(r.Path), Error: reason(err)})
			} else {
				e.warnf("ls %s: %s", s.remoteName(r.Path), reason(err))
			}
			continue
		}
		if s.json {
			for _, en := range entries {
				report.WriteJSON(e.stdout, lsRecord{Remote: s.remoteName(en.Path), Name: en.Name, Type: fileType(en.Mode),
					Mode: fmt.Sprintf("%04o", en.Mode.Perm()), Size: en.Size, MTime: en.ModTime.UTC().Format(time.RFC3339)})
			}
			continue
		}
		if len(remotes) > 1 {
			if i > 0 {
				fmt.Fprintln(e.stdout)
			}
			fmt.Fprintf(e.stdout, "%s:\n", s.remoteName(r.Path))
		}
		for _, en := range entries {
			name := en.Name
			if en.Mode.IsDir() {
				name += "/"
			}
			fmt.Fprintf(e.stdout, "%s %12d %s %s\n", en.Mode, en.Size, en.ModTime.Local().Format("2006-01-02 15:04"), printable(name))
		}
	}
	return s.finish(ctx, "paths")
}

// printable quotes a name the server chose if it holds anything a terminal
// would act on.
func printable(name string) string {
	for _, r := range name {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Sprintf("%q", name)
		}
	}
	return name
}

func (e *env) runSftpRm(ctx context.Context, cmd *cli.Command) error {
	return e.runSftpEach(ctx, cmd, "rm", func(s *sftpSession, p string) error {
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
	args := cmd.Args().Slice()
	if len(args) == 0 {
		return &usageError{msg: "no remote path given", hint: fmt.Sprintf("sshpin sftp %s [user@]host[:port]:PATH...", name)}
	}
	remotes, err := parseRemotes(args)
	if err != nil {
		return err
	}
	s, err := e.connect(ctx, cmd, remotes[0])
	if err != nil {
		return err
	}
	for _, r := range remotes {
		if ctx.Err() != nil {
			break
		}
		s.total++
		err := op(s, r.Path)
		if err != nil {
			s.failures++
		}
		if s.json {
			rec := fileRecord{Remote: s.remoteName(r.Path)}
			if err != nil {
				rec.Error = joinReasons(err)
			}
			report.WriteJSON(e.stdout, rec)
			continue
		}
		for _, err := range flatten(err) {
			var te *sftpx.TransferError
			if errors.As(err, &te) {
				e.warnf("%s %s: %s", name, s.remoteName(te.Remote), te.Reason())
			} else {
				e.warnf("%s %s: %s", name, s.remoteName(r.Path), reason(err))
			}
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
			parts = append(parts, te.Remote+": "+te.Reason())
		} else {
			parts = append(parts, reason(e))
		}
	}
	return strings.Join(parts, "; ")
}

// passphrase is the identity's passphrase: $SSHPIN_PASSPHRASE, else a
// prompt on the terminal.
func passphrase(ctx context.Context, path string) ([]byte, error) {
	if v, ok := os.LookupEnv(envPassphrase); ok {
		return []byte(v), nil
	}
	return readSecret(ctx, fmt.Sprintf("Enter passphrase for key '%s': ", path))
}

// passwordSource is $SSHPIN_PASSWORD (one attempt: repeating a refused
// password is pointless), else a terminal prompt, else no password at all.
func passwordSource(ctx context.Context) func(user, addr string, attempt int) (string, error) {
	if v, ok := os.LookupEnv(envPassword); ok {
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
	fmt.Fprint(tty, prompt)
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

// progressLine shows a transfer's progress on stderr when stderr is a
// terminal; otherwise it does nothing.
type progressLine struct {
	w       io.Writer
	shown   bool
	lastPct int64
}

func (e *env) newProgressLine() *progressLine {
	f, ok := e.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &progressLine{}
	}
	return &progressLine{w: f, lastPct: -1}
}

func (p *progressLine) show(ev sftpx.Event) {
	if p.w == nil || ev.Total <= 0 {
		return
	}
	pct := ev.Bytes * 100 / ev.Total
	if pct == p.lastPct {
		return
	}
	p.lastPct = pct
	what := ev.Op
	if ev.Verify {
		what = "verify"
	}
	fmt.Fprintf(p.w, "\r\033[K%s %s %3d%% %s", what, filepath.Base(ev.Remote), pct, size(ev.Bytes))
	p.shown = true
}

func (p *progressLine) clear() {
	if p.w != nil && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown, p.lastPct = false, -1
	}
}

func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return size(int64(float64(n) / d.Seconds()))
}
