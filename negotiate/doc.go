// Package negotiate simulates RFC 4253 §7.1 algorithm negotiation between a
// server's raw KEXINIT and a client profile (this binary's x/crypto client,
// OpenSSH, paramiko, dropbear, PuTTY), says which category would fail and
// what would fix it on either side, and spots the pinned-key-type pitfall of
// golang/go#29286. It never dials: the server side is a recorded KEXINIT.
package negotiate
