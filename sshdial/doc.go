// Package sshdial connects over SSH to a host, directly, through jump
// hosts or through a proxy command, proves each hop's host key against
// pinned known_hosts files (a knownhosts.Set) before any credential is
// sent to it, and returns the verified connection: a *Client, which embeds
// the *ssh.Client. What runs on it is the caller's: sessions, commands,
// port forwarding, or SFTP (package sftpx transfers files on it, and
// github.com/pkg/sftp's NewClient takes its Client).
//
// # The host key, before anything else
//
// Dial offers only the host key algorithms of the types pinned for the
// host (so that a server preferring an unpinned type cannot masquerade as
// a mismatch, golang/go#29286), and checks the key the server proved in
// the key exchange against the pins. x/crypto runs that check before it
// sends any user-auth message, so a host that fails it never sees a user
// name, a password or a key signature: Dial returns a *HostKeyError, and
// the server saw nothing. Every later key exchange (a re-key) must prove
// the same key, or the connection is closed with a *RekeyError.
//
// A host nothing pins is refused, unless Options.TrustOnFirstUse pins the
// key it proved (under the pinned file's lock) before authenticating; a
// host whose pins do not match is refused whatever the policy.
// Options.InsecureAcceptAny accepts any key and says so in an Event.
//
// # Jump hosts and proxy commands
//
// Options.Jump are hops in order, each dialled through the one before (a
// direct-tcpip channel), as ssh's ProxyJump: every hop is verified and
// authenticated with its own Hop.Auth before the next connection is
// opened through it, and a *JumpError names the hop that failed. The
// target's credentials never go to a hop. Options.ProxyCommand carries the
// first connection over a command's standard input and output instead, as
// ssh's ProxyCommand; a command that ends the stream is told as a
// *ProxyError. Every user and host name is checked as ssh checks them
// (CheckUser, CheckHost: CVE-2023-51385) before a command runs.
//
// # Secrets, late
//
// Identity files are read before the first packet, so that a missing one
// fails early, but a passphrase is asked, an agent is asked for its keys,
// and a password is asked, only once the server proved a pinned key.
// ssh's default identities, which the user never named, are offered by
// their public key alone and cost a passphrase prompt only when the
// server would accept them. Time spent in a prompt does not count against
// Options.Timeout.
//
// # Algorithms
//
// The key exchanges, ciphers and MACs offered are x/crypto's secure ones,
// the same lists package scan offers, with the AEAD this CPU runs fastest
// first; Options.Legacy adds the SHA-1 and CBC ones for one connection.
// The client version line is kexinit.ClientVersion.
//
// # Errors and events
//
// Errors say what happened, in words and in typed fields (errors.As):
// they never name a command-line flag, since what the user should do
// next depends on the caller. The package never prints: what a user may
// want to see (a key verified or trusted on first use, a key file
// skipped) arrives through Options.Events. Error and event texts may hold
// names a user or a server chose; escape them before they reach a
// terminal.
package sshdial
