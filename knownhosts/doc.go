// Package knownhosts reads, lints, looks up, merges and atomically writes
// OpenSSH known_hosts files ("pinned files").
//
// Reading never stops at a bad line: every line is kept with its raw bytes,
// so a file can be written back byte for byte, and a bad line only becomes an
// Invalid line that Lint reports. Host matching is golang.org/x/crypto's
// (hashed hosts, patterns, negation), fed the host name the way OpenSSH forms
// it, so that the answers are OpenSSH's: see matcher.go and Lookup.
package knownhosts
