package tlspin

import (
	"fmt"
	"strings"
)

// MismatchError is a server whose certificate matches none of the pins:
// Got is what it presented, Want what the file pins. Nothing was sent
// over the connection after the TLS handshake.
type MismatchError struct {
	Addr string
	Path string
	Got  Fingerprints
	Want []Pin
}

func (e *MismatchError) Error() string {
	var want []string
	for _, p := range e.Want {
		want = append(want, fmt.Sprintf("%s %s (line %d)", p.Kind, p.Sum, p.Line))
	}
	return fmt.Sprintf("tlspin: %s: the certificate matches no pin in %s: it has certificate %s, public key (spki) %s; pinned: %s",
		e.Addr, e.Path, e.Got.Cert, e.Got.SPKI, strings.Join(want, ", "))
}

// UnknownError is a server nothing vouches for: the pin file holds no
// pin (or does not exist) and trust on first use was not asked for.
type UnknownError struct {
	Addr string
	Path string // "" when no pin file was given
	Got  Fingerprints
}

func (e *UnknownError) Error() string {
	what := "no pin file was given"
	if e.Path != "" {
		what = e.Path + " pins nothing"
	}
	return fmt.Sprintf("tlspin: %s: %s: the server presented certificate %s, public key (spki) %s", e.Addr, what, e.Got.Cert, e.Got.SPKI)
}

// CAError is a certificate the CA bundle does not vouch for, for the
// server's name: not signed by it, expired, or issued for another name.
type CAError struct {
	Addr string
	Path string // the CA bundle
	Name string // the name checked
	Got  Fingerprints
	Err  error // crypto/x509's reason
}

func (e *CAError) Error() string {
	return fmt.Sprintf("tlspin: %s: the certificate is not vouched for by %s for %q: %v (it has certificate %s, public key (spki) %s)",
		e.Addr, e.Path, e.Name, e.Err, e.Got.Cert, e.Got.SPKI)
}

func (e *CAError) Unwrap() error { return e.Err }

// TrustError is trust on first use that could not write the pin file:
// the server was not trusted.
type TrustError struct {
	Path string
	Err  error
}

func (e *TrustError) Error() string {
	return fmt.Sprintf("tlspin: cannot pin into %s: %v", e.Path, e.Err)
}

func (e *TrustError) Unwrap() error { return e.Err }
