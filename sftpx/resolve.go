package sftpx

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sshpin/sshpin/internal/home"
	"github.com/sshpin/sshpin/knownhosts"
	"github.com/sshpin/sshpin/sshconfig"
	"github.com/sshpin/sshpin/sshdial"
)

// ResolveOptions is what a caller (a command line) says of a connection
// before the ssh_config(5) files have a say: what it sets wins, as ssh
// reads its command line before its files. Nothing here prompts: the
// secrets come through the callbacks, which Dial calls only once a server
// proved a pinned key.
type ResolveOptions struct {
	// Server is the host as the user named it: maybe an alias of the
	// configuration. A port or user it gives wins over the configuration.
	Server Remote
	// ConfigFile is the configuration to read: "" for ssh's own
	// (~/.ssh/config, then /etc/ssh/ssh_config, each skipped when
	// missing), "none" for none, else this file, which must exist.
	ConfigFile string
	// Jump is a jump list ([user@]host[:port],...) that replaces the
	// target's ProxyJump ("none": no jump host); ProxyCommand likewise
	// replaces its ProxyCommand. At most one may be set. The jump hosts'
	// own configuration still applies.
	Jump, ProxyCommand string
	// KnownHostsFiles, when set, are the pinned files, and the
	// configuration's UserKnownHostsFile and GlobalKnownHostsFile have no
	// say.
	KnownHostsFiles []string

	// KeyFiles are the target's own identity files; a jump host never
	// gets them.
	KeyFiles []string
	// NoAgent offers no agent key to any host.
	NoAgent bool
	// AgentSocket is the agent's socket unless the configuration names
	// another (IdentityAgent): what $SSH_AUTH_SOCK says.
	AgentSocket string
	// Passphrase decrypts a key file, for every host; CanAskPassphrase
	// says whether it can give one at all (a variable or a terminal), so
	// that ssh's encrypted default keys, which nobody named, are offered
	// only then.
	Passphrase       func(keyFile string) ([]byte, error)
	CanAskPassphrase bool
	// Password is the target's password source, HopPassword a jump
	// host's: a password is never sent to a host it was not given for.
	// nil offers no password.
	Password, HopPassword func(user, addr string, attempt int) (string, error)

	// Warn receives what the configuration says that cannot be honoured
	// (a Match criterion not supported, a bad Port), the target's first;
	// nil drops it.
	Warn func(string)
}

// Resolved is where a connection goes and with what, every rule of the
// configuration applied.
type Resolved struct {
	// Options has Host, Port, User, HostKeyAlias, Auth, Jump and
	// ProxyCommand set; the caller adds the pins and its policy (Pinned,
	// TrustOnFirstUse, Timeout, ...).
	Options sshdial.Options
	// KnownHostsFiles are the pinned files to read, in order: the user's
	// (UserKnownHostsFile, else ssh's defaults), then the global ones.
	KnownHostsFiles []string
	// TrustFile is where trust on first use writes: the first user file;
	// "" or /dev/null when the configuration disables pinning.
	TrustFile string
}

// ConfigError is a configuration that cannot be read or followed (a
// ProxyJump loop, a bad jump list in a file).
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string {
	return "sftpx: ssh config: " + strings.TrimPrefix(e.Err.Error(), "sshconfig: ")
}
func (e *ConfigError) Unwrap() error { return e.Err }

// KnownHostsError says ssh's default pinned files cannot be named
// (knownhosts.DefaultFiles: $HOME unknown), and nothing else named one.
type KnownHostsError struct{ Err error }

func (e *KnownHostsError) Error() string { return "sftpx: " + e.Err.Error() }
func (e *KnownHostsError) Unwrap() error { return e.Err }

// sshDefaultIdentities are ssh's default identities, tried when neither
// the caller nor the configuration names one.
var sshDefaultIdentities = []string{"id_rsa", "id_ecdsa", "id_ed25519"}

// Resolve decides, as ssh does, what a connection to o.Server is: it reads
// the configuration, resolves the target and every jump host of its chain
// (ProxyJump, ProxyCommand, loops refused), checks every user and host
// name before a command is built from one (an *sshdial.InvalidNameError), and
// names the credentials and the pinned files of each. The errors are
// *ConfigError, *sshdial.InvalidNameError and *KnownHostsError.
func Resolve(o ResolveOptions) (*Resolved, error) {
	warn := func(msg string) {
		if o.Warn != nil {
			o.Warn(msg)
		}
	}
	cfg, err := sshconfig.Load(o.ConfigFile)
	if err != nil {
		return nil, &ConfigError{err}
	}
	server := o.Server
	hc := cfg.ResolveProxy(server.Host, server.User, o.Jump, o.ProxyCommand)
	hops, err := cfg.JumpChain(server.Target(), hc)
	if err != nil {
		return nil, &ConfigError{err}
	}
	for _, w := range hc.Warnings {
		warn(w)
	}
	if err := sshdial.CheckNames(server.Target(), hc, hops); err != nil {
		return nil, err
	}
	res := &Resolved{KnownHostsFiles: o.KnownHostsFiles}
	if len(o.KnownHostsFiles) > 0 {
		res.TrustFile = o.KnownHostsFiles[0]
	} else if res.KnownHostsFiles, res.TrustFile, err = knownHostsFiles(hc); err != nil {
		return nil, err
	}
	host, port, user := hostOf(hc, server.Target())
	res.Options = sshdial.Options{
		Host:         host,
		Port:         port,
		User:         user,
		HostKeyAlias: hc.HostKeyAlias,
		Auth:         o.auth(hc, port, user, true),
	}
	if hc.ProxyCommand != "" {
		res.Options.ProxyCommand = hc.ProxyCommandLine(port, user)
	}
	for _, h := range hops {
		jc := h.Config
		for _, w := range jc.Warnings {
			warn(w)
		}
		jh, jp, ju := hostOf(jc, h.Target)
		if jc.ProxyCommand != "" {
			// Only the first host of a chain has one: it carries the
			// connection to that host.
			res.Options.ProxyCommand = jc.ProxyCommandLine(jp, ju)
		}
		res.Options.Jump = append(res.Options.Jump, sshdial.Hop{Host: jh, Port: jp, User: ju, HostKeyAlias: jc.HostKeyAlias, Auth: o.auth(jc, jp, ju, false)})
	}
	return res, nil
}

// hostOf is where r goes: what r says, else what the configuration says,
// else the defaults (port 22, the local user).
func hostOf(hc sshconfig.HostConfig, r sshconfig.Target) (host string, port int, user string) {
	host, port, user = hc.HostName, r.Port, r.User
	if !r.PortGiven && hc.Port != 0 {
		port = hc.Port
	}
	if user == "" {
		user = hc.User
	}
	if user == "" {
		user = sshconfig.LocalUser()
	}
	return host, port, user
}

// auth gathers the credentials for one host: for the target, o.KeyFiles;
// the configuration's IdentityFile lines for hc (or ssh's default
// identities, the encrypted ones only when their passphrase can be had,
// and then asked only if the server would take the key); the agent unless
// NoAgent, IdentitiesOnly or IdentityAgent none; and the password
// source. A jump host gets only what is configured for it, as ssh's own
// connection to it would (ssh -J runs one with the configuration alone).
func (o ResolveOptions) auth(hc sshconfig.HostConfig, port int, user string, target bool) sshdial.Auth {
	a := sshdial.Auth{Passphrase: o.Passphrase, Password: o.HopPassword}
	if target {
		a.KeyFiles, a.Password = o.KeyFiles, o.Password
	}
	for _, f := range hc.IdentityFiles {
		a.OptionalKeyFiles = append(a.OptionalKeyFiles, hc.Tokens(f, port, user))
	}
	if len(a.KeyFiles) == 0 && len(a.OptionalKeyFiles) == 0 {
		if h, err := home.Dir(); err == nil {
			for _, n := range sshDefaultIdentities {
				a.DefaultKeyFiles = append(a.DefaultKeyFiles, filepath.Join(h, ".ssh", n))
			}
		}
		// With nobody to ask, a key the user never named is no reason to
		// warn.
		a.EncryptedDefaultKeys = o.CanAskPassphrase
	}
	sock := o.AgentSocket
	switch ia := hc.IdentityAgent; {
	case ia == "" || ia == "SSH_AUTH_SOCK":
	case strings.EqualFold(ia, "none"):
		sock = ""
	case strings.HasPrefix(ia, "$"):
		sock = os.Getenv(strings.Trim(ia[1:], "{}"))
	default:
		sock = hc.Tokens(ia, port, user)
	}
	if !o.NoAgent && !hc.IdentitiesOnly {
		a.AgentSocket = sock
	}
	return a
}

// knownHostsFiles are the pinned files the configuration names
// (UserKnownHostsFile, GlobalKnownHostsFile), else ssh's defaults, and the
// one trust on first use writes to: the first user file.
func knownHostsFiles(hc sshconfig.HostConfig) (files []string, trustFile string, err error) {
	var user []string
	if hc.KnownHostsSet {
		for _, f := range hc.UserKnownHostsFiles {
			user = append(user, hc.Tokens(f, 0, ""))
		}
	} else if user, err = knownhosts.DefaultFiles(); err != nil {
		return nil, "", &KnownHostsError{err}
	}
	global := knownhosts.GlobalFiles()
	if hc.GlobalKnownHostsFiles != nil {
		global = nil
		for _, f := range hc.GlobalKnownHostsFiles {
			global = append(global, hc.Tokens(f, 0, ""))
		}
	}
	if len(user) > 0 {
		trustFile = user[0]
	}
	return append(slices.Clone(user), global...), trustFile, nil
}
