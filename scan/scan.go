// Package scan collects a server's host keys through real key exchanges
// (golang.org/x/crypto/ssh), one per host key type it offers. Every key it
// returns was proved: the server signed the exchange hash with it.
package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/kexinit"
	"github.com/sshpin/sshpin/target"
)

// Options configure a scan of one target.
type Options struct {
	Timeout time.Duration  // the whole conversation with one target
	Legacy  bool           // allow the SHA-1 and CBC algorithms x/crypto can still speak
	Limits  kexinit.Limits // bounds on what the server may send before KEXINIT
	// Pace is the least time between the starts of two connections to
	// one target. Waiting for it does not count against Timeout.
	Pace time.Duration
	// LegacyHint, when set, is added to the reason of a key type or
	// algorithm that only Legacy would reach ("...: LegacyHint"): how to
	// ask for Legacy is the caller's to word (a command line names its
	// flag), not this package's.
	LegacyHint string

	clock clock // nil: the real one; tests set a fake
}

// NotRetrieved is a host key type the server offers whose key could not be
// collected. It is reported, never dropped.
type NotRetrieved struct {
	Type       string   `json:"type"`
	Algorithms []string `json:"algorithms"`
	Reason     string   `json:"reason"`
	// PublicKey is the key the server sent when this client refused to
	// parse it (an RSA exponent over 24 bits): read in the clear, never
	// proved, kept so that audit can rate it.
	PublicKey string `json:"public_key,omitempty"`
}

// Result is what one target gave. Err is set when nothing useful could be
// read; a server that gave its hello but not every key has Err nil and the
// missing types in NotRetrieved.
type Result struct {
	Target       target.Target
	Address      string // the IP that answered
	Hello        *kexinit.Hello
	Keys         []Key
	NotRetrieved []NotRetrieved
	Connections  int // TCP connections this target cost
	Err          error
}

// errCaptured aborts a handshake once the host key is in hand: it is
// returned from HostKeyCallback, so no user name or credential is ever sent.
var errCaptured = errors.New("scan: host key captured")

// Scan runs one handshake per host key type t offers. The first handshake
// also reads the server's hello, so no connection is spent on a probe.
func Scan(ctx context.Context, t target.Target, opts Options) *Result {
	r := &Result{Target: t}
	algs := newClientAlgorithms(opts.Legacy)
	algs.legacyHint = opts.LegacyHint
	p := newPacer(ctx, opts)

	hctx, cancel, err := p.next()
	if err != nil {
		r.Err = err
		return r
	}
	key, hello, err := r.handshake(hctx, algs, algs.hostKeys, opts.Limits)
	cancel()
	if hello == nil {
		r.Err = err
		return r
	}
	r.Hello = hello
	got := map[string]bool{}
	// dropped is the family the first handshake chose when the server
	// hung up on it: tried again on its own below, like every other type,
	// instead of failing the whole target. dropbear 2022.83 offers
	// rsa-sha2-256 and ssh-rsa with no RSA host key and dies on an
	// assertion when a client picks one; ssh-keyscan still lists its
	// other keys, and so must we.
	dropped := ""
	var refused *RefusedKeyError
	if key != nil {
		r.Keys = append(r.Keys, *key)
		got[familyOf(key.Algorithm)] = true
	} else if errors.As(err, &refused) {
		// Not a failure of the scan: no client built on x/crypto can
		// prove this key, and the other types are still to collect.
		f := familyOf(chosen(algs.hostKeys, hello))
		r.NotRetrieved = append(r.NotRetrieved, refusedEntry(f, hello, refused))
		got[f] = true
		err = nil
	} else if err != nil && !isNegotiation(err) {
		dropped = familyOf(chosen(algs.hostKeys, hello))
		if !hungUp(err) || dropped == "" {
			r.Err = err
			return r
		}
		err = nil
	}
	if err != nil {
		// No key at all: every offered type is reported with the reason.
		for _, f := range families(hello.KexInit.ServerHostKeyAlgos) {
			r.NotRetrieved = append(r.NotRetrieved, NotRetrieved{Type: f.name, Algorithms: f.offered, Reason: negotiationReason(err, f, algs)})
		}
		return r.finish()
	}
	// stop is why the remaining types were not tried (the deadline, an
	// interrupt); failed are the types this client could have retrieved
	// but did not, which makes the target's result incomplete.
	var stop, firstErr error
	var failed []string
	for _, f := range families(hello.KexInit.ServerHostKeyAlgos) {
		if got[f.name] {
			continue
		}
		use := f.usable(algs)
		if len(use) == 0 {
			r.NotRetrieved = append(r.NotRetrieved, NotRetrieved{Type: f.name, Algorithms: f.offered, Reason: f.whyNot(algs)})
			continue
		}
		if stop != nil {
			r.NotRetrieved = append(r.NotRetrieved, NotRetrieved{Type: f.name, Algorithms: f.offered, Reason: "not tried: " + describe(stop)})
			failed = append(failed, f.name)
			continue
		}
		hctx, cancel, err := p.next()
		if err == nil {
			var key *Key
			key, _, err = r.handshake(hctx, algs, use, opts.Limits)
			cancel()
			if err == nil {
				r.Keys = append(r.Keys, *key)
				continue
			}
		}
		if errors.As(err, &refused) {
			r.NotRetrieved = append(r.NotRetrieved, refusedEntry(f.name, hello, refused))
			continue
		}
		if f.name == dropped && hungUp(err) {
			// Twice, and on this type alone: the server's defect, not a
			// failure to scan it. Its other keys are the whole answer.
			r.NotRetrieved = append(r.NotRetrieved, NotRetrieved{Type: f.name, Algorithms: f.offered, Reason: "the server hangs up whenever this type is negotiated (twice): it offers a host key type it cannot serve"})
			continue
		}
		r.NotRetrieved = append(r.NotRetrieved, NotRetrieved{Type: f.name, Algorithms: f.offered, Reason: describe(err)})
		failed = append(failed, f.name)
		if firstErr == nil {
			firstErr = err
		}
		if p.spent() || ctx.Err() != nil {
			stop = err
		}
	}
	if len(failed) > 0 {
		r.Err = &IncompleteError{Types: failed, Err: firstErr}
	}
	// Report keys in the server's order, not in the order handshakes ran.
	fams := families(hello.KexInit.ServerHostKeyAlgos)
	slices.SortStableFunc(r.Keys, func(a, b Key) int {
		return familyIndex(fams, a.Algorithm) - familyIndex(fams, b.Algorithm)
	})
	return r.finish()
}

func refusedEntry(name string, hello *kexinit.Hello, e *RefusedKeyError) NotRetrieved {
	var offered []string
	for _, f := range families(hello.KexInit.ServerHostKeyAlgos) {
		if f.name == name {
			offered = f.offered
		}
	}
	return NotRetrieved{Type: name, Algorithms: offered, Reason: e.Error(), PublicKey: authorizedKey(e.Type, e.Blob)}
}

func familyIndex(fams []family, algo string) int {
	return slices.IndexFunc(fams, func(f family) bool { return f.name == familyOf(algo) })
}

// finish fails a result that holds no key: the server answered, but the job,
// collecting its keys, was not done.
func (r *Result) finish() *Result {
	if r.Err == nil && len(r.Keys) == 0 {
		var why []string
		for _, n := range r.NotRetrieved {
			why = append(why, n.Type+": "+n.Reason)
		}
		if len(why) == 0 {
			why = append(why, "the server offers no host key algorithm")
		}
		r.Err = &NoKeyError{Reasons: why}
	}
	return r
}

// IncompleteError means some key types this client can retrieve were not
// (a timeout, a dropped connection): the keys that were are in the result,
// but the target's job was not done, and a pin must not take it as whole.
type IncompleteError struct {
	Types []string
	Err   error
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("scan: %s not retrieved: %s", strings.Join(e.Types, ", "), describe(e.Err))
}

func (e *IncompleteError) Unwrap() error { return e.Err }

// NoKeyError means a server answered but no host key could be collected.
type NoKeyError struct{ Reasons []string }

func (e *NoKeyError) Error() string {
	return "scan: no host key could be retrieved: " + strings.Join(e.Reasons, "; ")
}

// handshake runs one key exchange offering hostKeys and returns the key the
// server proved, and the hello it sent on the way.
func (r *Result) handshake(ctx context.Context, algs *clientAlgorithms, hostKeys []string, lim kexinit.Limits) (*Key, *kexinit.Hello, error) {
	var conn net.Conn
	var err error
	if r.Address == "" {
		conn, err = kexinit.Dial(ctx, r.Target.Host, r.Target.Port)
	} else {
		conn, err = kexinit.Dial(ctx, r.Address, r.Target.Port)
	}
	if err != nil {
		return nil, nil, err
	}
	r.Connections++
	r.Address = kexinit.AddrOf(conn)
	defer conn.Close()

	tap := kexinit.NewTap(conn, lim)
	var captured ssh.PublicKey
	cb := func(_ string, _ net.Addr, k ssh.PublicKey) error {
		captured = k
		return errCaptured
	}
	cfg := algs.config("sshpin", hostKeys, cb)
	c, _, _, err := ssh.NewClientConn(tap, r.Target.String(), cfg)
	if c != nil {
		// Unreachable while the callback always fails; kept so that a
		// future change cannot leak a connection.
		c.Close()
	}
	hello, tapErr := tap.Hello()
	// A key without the hello is not a result: the families to scan next
	// come from the KEXINIT. It happens when the server breaks a bound the
	// Tap keeps (64 IGNORE packets) that x/crypto does not.
	if errors.Is(err, errCaptured) && captured != nil && hello != nil {
		algo := chosen(hostKeys, hello)
		k := NewKey(captured, algo)
		return &k, hello, nil
	}
	if err == nil || errors.Is(err, errCaptured) {
		err = errors.New("scan: handshake ended without a host key")
	}
	if rk := refusedKey(tap.HostKeyBlob()); rk != nil && hello != nil {
		return nil, hello, rk
	}
	// The tap's error names the bound or the field the server broke; the
	// handshake's only says the stream ended.
	if tapErr != nil {
		err = tapErr
	} else if ctx.Err() != nil || isTimeout(err) {
		err = &kexinit.Error{Kind: kexinit.KindTimeout, Phase: "kex", Detail: "timed out during the key exchange", Err: err}
	}
	return nil, hello, err
}

// chosen is the host key algorithm negotiation picked: the first of ours
// the server offers (RFC 4253 §7.1).
func chosen(ours []string, hello *kexinit.Hello) string {
	if hello == nil {
		return ""
	}
	for _, a := range ours {
		if slices.Contains(hello.KexInit.ServerHostKeyAlgos, a) {
			return a
		}
	}
	return ""
}

// hungUp tells a server that closed the connection in the middle of the
// key exchange from one that timed out or broke the protocol.
func hungUp(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

func isNegotiation(err error) bool {
	var ne *ssh.AlgorithmNegotiationError
	return errors.As(err, &ne)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// negotiationReason words an AlgorithmNegotiationError for one family.
func negotiationReason(err error, f family, algs *clientAlgorithms) string {
	var ne *ssh.AlgorithmNegotiationError
	if !errors.As(err, &ne) {
		return describe(err)
	}
	if ne.What == "host key" || strings.Contains(ne.What, "host key") {
		return f.whyNot(algs)
	}
	hint := ""
	if slices.ContainsFunc(ne.RequestedAlgorithms, func(a string) bool { return algs.legacyOnly[a] }) {
		hint = algs.hint()
	}
	return fmt.Sprintf("no common %s algorithm (server offers %s)%s", ne.What, strings.Join(ne.RequestedAlgorithms, ","), hint)
}

// describe words an error for the report without the "ssh: handshake
// failed:" chains x/crypto builds.
func describe(err error) string {
	var ie *IncompleteError
	if errors.As(err, &ie) {
		return strings.TrimPrefix(ie.Error(), "scan: ")
	}
	var ke *kexinit.Error
	if errors.As(err, &ke) {
		return strings.TrimPrefix(ke.Error(), "kexinit: ")
	}
	s := err.Error()
	for _, p := range []string{"ssh: handshake failed: ", "ssh: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

// Describe is describe for callers that render results.
func Describe(err error) string { return describe(err) }
