package sshdial

import (
	"errors"
	"net"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/guard"
	"github.com/sshpin/sshpin/knownhosts"
)

// verifier is the HostKeyCallback. x/crypto calls it after the server's
// signature over the exchange hash checked out, and before any user-auth
// message: returning an error here sends no user name and no credential.
type verifier struct {
	o      Options
	m      *knownhosts.Match
	events func(Event)
	host   string // the name pins are looked up and trusted under
	port   int
	addr   string        // the address, for events
	key    ssh.PublicKey // set once the key is accepted
	g      *guard.Guard  // the connection, to fail with a RekeyError
}

func (v *verifier) check(_ string, remote net.Addr, key ssh.PublicKey) error {
	addr := v.addr
	if addr == "" {
		addr = remote.String()
	}
	if v.key != nil {
		// x/crypto runs the callback at every key exchange, re-keys
		// included: the server must go on proving the key it proved
		// first. Another one, pinned or not, is refused, and the
		// connection's operations fail with that, not with the "connection
		// lost" of a closed connection.
		if sameKey(key, v.key) {
			return nil
		}
		err := &RekeyError{Addr: addr, Was: v.key, Now: key}
		if v.g != nil {
			v.g.Trip(err)
		}
		return err
	}
	switch {
	case v.o.InsecureAcceptAny:
		emit(v.events, Event{Kind: EventUnverified, Addr: addr, Key: key})
	case v.m.Found():
		if err := v.m.Verify(key); err != nil {
			return keyError(v.m.Name, key, err)
		}
		emit(v.events, Event{Kind: EventVerified, Addr: addr, Key: key})
	case v.o.TrustOnFirstUse:
		if err := v.trust(key); err != nil {
			return err
		}
		emit(v.events, Event{Kind: EventTrusted, Addr: addr, Key: key, Path: v.o.TrustFile})
	default:
		return &HostKeyError{Name: v.m.Name, Reason: KeyUnknown, Key: key}
	}
	v.key = key
	return nil
}

// trust pins key for an unknown host with knownhosts' one rule: under the
// file's lock, the pins are read afresh, and if another run pinned the
// host meanwhile the key must match that pin instead.
func (v *verifier) trust(key ssh.PublicKey) error {
	if _, ok := key.(*ssh.Certificate); ok {
		// Only plain keys are offered to unknown hosts; a certificate here
		// would be pinned as a key it is not.
		return &HostKeyError{Name: v.m.Name, Reason: KeyUnknown, Key: key}
	}
	_, err := pinned(v.o).TrustOnFirstUse(v.o.TrustFile, v.host, v.port, key)
	var re *knownhosts.RevokedError
	var ce *knownhosts.ChangedError
	var ue *knownhosts.UnknownError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re), errors.As(err, &ce), errors.As(err, &ue):
		return keyError(v.m.Name, key, err)
	}
	return &TrustError{Path: v.o.TrustFile, Err: err}
}

func keyError(name string, key ssh.PublicKey, err error) error {
	var re *knownhosts.RevokedError
	var ue *knownhosts.UnknownError
	switch {
	case errors.As(err, &re):
		return &HostKeyError{Name: name, Reason: KeyRevoked, Key: key, Err: err}
	case errors.As(err, &ue):
		// Only a CA vouches for the host and the key is no valid
		// certificate of it (nor, behind the certificate, a pinned key).
		return &HostKeyError{Name: name, Reason: KeyUnknown, Key: key, Err: err}
	}
	return &HostKeyError{Name: name, Reason: KeyMismatch, Key: key, Err: err}
}
