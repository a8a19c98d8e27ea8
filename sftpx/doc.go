// Package sftpx transfers files over SFTP only after the server proved it
// holds a pinned host key.
//
// Dial connects with package sshdial, which proves the server's host key
// against the pinned files before any credential is sent (and every jump
// host's before the next connection is opened through it), and starts
// SFTP on the verified connection; NewClient starts it on a connection
// the caller dialled with sshdial. A host that fails the check never sees
// a user name, a password, a key signature or a file byte. The options,
// the connection's errors and the events are sshdial's; this package adds
// the transfers' (TransferError, VerifyError, progress Events).
//
// Transfers never trust the SFTP library's return values (pkg/sftp#658: a
// concurrent transfer can come back short with a nil error):
//
//   - Put uploads into a temporary name beside the destination, reads the
//     file back from the server to compare size and SHA-256 with what was
//     read locally, and only then renames it into place with
//     posix-rename@openssh.com. On servers without it, SFTP's own rename
//     cannot replace a file: an existing one is removed first, and the
//     Result and an Event say the replace was not atomic.
//   - Get downloads into a temporary file beside the destination, hashes
//     while writing, compares the size with the server's stat of the open
//     handle, syncs and renames: a failed download leaves no partial or
//     empty file, and an existing destination untouched.
//
// DialStream gives the same Client over a stream with no SSH underneath,
// as OpenSSH's sftp -D does: a command's standard input and output, a Unix
// or TCP socket, or TLS, where the server's certificate is checked
// (package tlspin) inside the TLS handshake, before the first SFTP byte.
// Every transfer works over it unchanged.
//
// A recursive transfer walks in order, making each directory before the
// files in it, and moves up to eight files at once over the one
// connection, so that their round trips overlap; their Results still come
// in the walk's order.
//
// Resolve decides where a connection goes as ssh would, from plain
// options and the ssh_config(5) files: host, port and user, the identities
// and agent to offer, the chain of jump hosts or the ProxyCommand, and the
// pinned files, every user and host name checked before a command is built
// from it (sshdial.CheckNames). Its sshdial.Options, with the caller's pins
// and policy added, go to Dial.
//
// The package never prints: what a user may want to see (a key trusted on
// first use, progress, a replace that was not atomic) arrives as an Event.
package sftpx
