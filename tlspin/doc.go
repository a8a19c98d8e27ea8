// Package tlspin decides whether a TLS server is the one a user pinned:
// by the SHA-256 fingerprint of its certificate or of its public key
// (SPKI, as HPKP pinned), read from a pin file in the forms people copy
// (openssl's AA:BB:..., plain hex as sha256sum prints it, OpenSSH's
// SHA256: base64), or by a CA bundle with the server's name checked.
//
// It is what the SSH host key check is for SSH, for a stream sshpin does
// not carry over SSH: the check runs inside the TLS handshake, so a server
// that fails it never receives a byte of the protocol spoken over TLS.
package tlspin
