package sshdial

import (
	"io"
	"time"

	"github.com/sshpin/sshpin/knownhosts"
)

// Options say how to reach a server and how to decide it is the right one.
// Of its fields only Timeout is required; every name in them is checked
// (CheckHost, CheckUser) before anything is dialled or run.
type Options struct {
	Host string // a name or an IP literal, without brackets
	Port int    // 0 means 22
	User string
	// HostKeyAlias, when set, is the name the host's pins are looked up
	// and trusted under instead of Host and Port, as ssh's HostKeyAlias.
	HostKeyAlias string

	// Pinned are the known_hosts files that vouch for servers, read
	// together as ssh reads its user and global files (nil: none).
	Pinned *knownhosts.Set
	// TrustOnFirstUse: a server that nothing in Pinned knows is trusted,
	// and the key it proved is appended to TrustFile (under its lock,
	// atomically) before any credential is sent. Never on a mismatch.
	TrustOnFirstUse bool
	TrustFile       string
	// InsecureAcceptAny accepts whatever key the server proves. For
	// throwaway labs only; an EventUnverified reports every use.
	InsecureAcceptAny bool
	// Legacy also speaks the SHA-1 and CBC algorithms x/crypto keeps
	// (ssh-rsa, ssh-dss, group1/14-sha1, 3des-cbc, aes128-cbc, hmac-sha1),
	// for this connection only.
	Legacy bool

	// Timeout bounds each network step of Dial: the connection (or the
	// proxy command's first bytes), each hop's key exchange and
	// authentication, the opening of each next hop's connection. Time
	// spent in a passphrase or password prompt does not count. What runs
	// on the Client may use it for its own steps (package sftpx bounds
	// every SFTP request and every stall of a transfer with it).
	Timeout time.Duration

	Auth Auth

	// Jump are the hosts to go through, first to last (ssh's ProxyJump):
	// the first is dialled, and each next connection, the target's last,
	// is opened through the one before (a direct-tcpip channel, which the
	// jump host's sshd must allow: AllowTcpForwarding). Every hop is
	// verified against Pinned, with the same policy, before any
	// credential is sent to it.
	Jump []Hop
	// ProxyCommand, when set, is run with /bin/sh -c, and its standard
	// input and output carry the SSH stream to the first host, the first
	// of Jump or else the target, instead of a TCP connection (ssh's
	// ProxyCommand, tokens already expanded: a jump host's own, from the
	// configuration, reaches it the same way). Its standard error goes to
	// ProxyStderr (discarded if nil). It ends when the Client is closed.
	// The command is the caller's: Dial runs it as given, after checking
	// the names in Options, and it must quote what it pasted in
	// (sshconfig.HostConfig.ProxyCommandLine does).
	ProxyCommand string
	ProxyStderr  io.Writer

	// Events receives what a user may want to know; nil drops them. Calls
	// never overlap, and all of Dial's return before it does. What runs on
	// the Client may report its own events here too (package sftpx reports
	// its transfers', from other goroutines: see Event).
	Events func(Event)
}

// Hop is a jump host: where it is, who logs in, and with what. Its Auth
// is all it is offered: the target's Options.Auth never goes to a hop.
type Hop struct {
	Host         string
	Port         int // 0 means 22
	User         string
	HostKeyAlias string
	Auth         Auth
}

// Auth says which credentials to offer, in this order: the identity files,
// the agent's keys, then a password. Every secret is fetched lazily, after
// the server proved a pinned key.
type Auth struct {
	// KeyFiles are private keys in OpenSSH or PEM format. They are read
	// before dialling, so a missing file fails early; encrypted ones are
	// decrypted with Passphrase when the server asks for a key.
	KeyFiles []string
	// OptionalKeyFiles are offered after KeyFiles when they exist (the
	// IdentityFile lines of ~/.ssh/config, ssh's default identities); a
	// missing one is skipped, one that is not a private key is skipped
	// with a warning.
	OptionalKeyFiles []string
	// DefaultKeyFiles are ssh's default identities (~/.ssh/id_ed25519,
	// ...), offered after OptionalKeyFiles when they exist. An encrypted
	// one is offered only with EncryptedDefaultKeys, and then as ssh does:
	// by its public key alone (the key file's unencrypted part, or for a
	// PEM key the .pub file beside it), and Passphrase is asked only once
	// the server said it would accept that key. A key the user never
	// named costs a prompt only where it can log in; one the agent holds
	// is left to the agent.
	DefaultKeyFiles []string
	// EncryptedDefaultKeys offers encrypted DefaultKeyFiles; without it
	// they are skipped, for a caller that has no way to ask.
	EncryptedDefaultKeys bool
	// Passphrase returns the passphrase of an encrypted key file; nil
	// skips encrypted keys. An empty passphrase skips the key.
	Passphrase func(keyFile string) ([]byte, error)
	// AgentSocket is the ssh-agent's socket (SSH_AUTH_SOCK); "" for none.
	AgentSocket string
	// Password returns the password for user at addr, for the password and
	// keyboard-interactive methods; attempt counts from 1. nil offers no
	// password.
	Password func(user, addr string, attempt int) (string, error)
}
