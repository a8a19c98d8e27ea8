// Package audit rates what an SSH server offers: every algorithm of its
// KEXINIT, its host keys, its exposure to Terrapin (CVE-2023-48795) and its
// post-quantum readiness, and says which sshd_config lines would fix what
// failed. It also checks a server against a policy.
//
// Everything here is a pure function of a parsed KEXINIT and a list of host
// keys: nothing dials, nothing prints. An algorithm name this package does not
// know is reported as unknown with rating info, never as an error, because
// servers invent names faster than any table can follow.
package audit
