package sshdial

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/guard"
	"github.com/sshpin/sshpin/internal/proxycmd"
	"github.com/sshpin/sshpin/kexinit"
	"github.com/sshpin/sshpin/knownhosts"
	"github.com/sshpin/sshpin/target"
)

// Dial connects, verifies the server's host key against the pinned files
// and authenticates. A *HostKeyError means the server was refused before
// any credential was sent. Through jump hosts (Jump), each hop is verified
// against the pins and authenticated before the next connection is opened
// through it; a *JumpError names the hop that failed. Other failures are a
// *ConnectError, an *AuthError, a *TrustError, a *KeyFileError or an
// *InvalidNameError; errors.As finds them, and a *ProxyError or a
// *NegotiationError inside a *ConnectError.
//
// Cancelling ctx stops Dial; once it returned, ctx has no say over the
// Client.
func Dial(ctx context.Context, o Options) (*Client, error) {
	if o.Timeout <= 0 {
		return nil, errors.New("sshdial: Options.Timeout must be positive")
	}
	if o.InsecureAcceptAny && o.TrustOnFirstUse {
		return nil, errors.New("sshdial: InsecureAcceptAny and TrustOnFirstUse exclude each other")
	}
	if o.TrustOnFirstUse && o.TrustFile == "" {
		return nil, errors.New("sshdial: TrustOnFirstUse needs a TrustFile")
	}
	// Before anything is dialled or run: a ProxyCommand was built from
	// these names, and a caller may have skipped CheckNames.
	if err := checkNames(o); err != nil {
		return nil, err
	}
	o.Events = serialized(o.Events)
	eps := make([]*endpoint, 0, len(o.Jump)+1)
	for _, h := range o.Jump {
		eps = append(eps, newEndpoint(h))
	}
	eps = append(eps, newEndpoint(Hop{Host: o.Host, Port: o.Port, User: o.User, HostKeyAlias: o.HostKeyAlias, Auth: o.Auth}))
	unlocked := map[string]ssh.Signer{}
	// Every identity file is read and every pin looked up before the
	// first packet: a typo fails here, not halfway along the chain.
	for _, ep := range eps {
		if err := ep.prepare(o); err != nil {
			return nil, err
		}
	}

	first := eps[0]
	var raw net.Conn
	var err error
	if o.ProxyCommand != "" {
		raw, err = proxycmd.Start(o.ProxyCommand, o.ProxyStderr)
		if err != nil {
			return nil, &ConnectError{Addr: first.addr, Err: fmt.Errorf("proxy command: %w", err)}
		}
	} else {
		d := net.Dialer{Timeout: o.Timeout}
		raw, err = d.DialContext(ctx, "tcp", first.addr)
		if err != nil {
			kind := dialKind(err)
			if guard.IsTimeout(err) {
				err = fmt.Errorf("%w: no connection within %s", ErrTimeout, o.Timeout)
			} else if kind != kexinit.KindNetwork && kind != kexinit.KindResolve {
				err = dialCause(err)
			}
			return nil, &ConnectError{Addr: first.addr, Kind: kind, Err: err}
		}
	}

	var hops []*ssh.Client
	fail := func(err error) (*Client, error) {
		for i := len(hops) - 1; i >= 0; i-- {
			hops[i].Close()
		}
		return nil, err
	}
	conn := raw
	via := ""
	for i, ep := range eps {
		last := i == len(eps)-1
		g := guard.New(conn, o.Timeout)
		// One deadline for the whole setup of each hop, as for every other
		// step: a server that trickles its key exchange, or a jump host
		// that never opens the next connection, cannot hold us past it.
		g.Begin() // a new guard: nothing to refuse
		stop := context.AfterFunc(ctx, func() { g.Trip(ctx.Err()) })
		sc, err := ep.handshake(g, o, via, unlocked)
		if err != nil {
			stop()
			if i == 0 {
				err = proxyEnded(raw, err)
			}
			if !last {
				err = &JumpError{Hop: ep.addr, Err: err}
			}
			return fail(err)
		}
		if last {
			stop()
			g.End(nil)
			addr := raw.RemoteAddr().String()
			if via != "" {
				addr = ep.addr + via
			}
			c := &Client{Client: sc, hops: hops, g: g, addr: addr, target: ep.addr, key: ep.key, match: ep.m}
			if i == 0 {
				c.raw = raw
			}
			return c, nil
		}
		next := eps[i+1]
		conn, err = sc.Dial("tcp", next.addr)
		stop()
		if err != nil {
			sc.Close()
			if r := g.Failure(); r != nil {
				err = r
			}
			kind := kexinit.KindNetwork
			var oce *ssh.OpenChannelError
			if errors.As(err, &oce) && oce.Reason == ssh.Prohibited {
				kind = KindForwardingRefused
			}
			return fail(&JumpError{Hop: ep.addr, Err: &ConnectError{Addr: next.addr, Kind: kind, Err: fmt.Errorf("the jump host could not connect: %w", err)}})
		}
		g.End(nil)
		hops = append(hops, sc)
		via = " via " + joinVia(eps[:i+1])
	}
	panic("unreachable")
}

func joinVia(eps []*endpoint) string {
	var names []string
	for _, ep := range eps {
		names = append(names, ep.addr)
	}
	return strings.Join(names, ", ")
}

// endpoint is one server of a connection: a jump host or the target.
type endpoint struct {
	Hop
	addr         string // host:port to dial
	keyHost      string // the name its pins are looked up under
	keyPort      int
	keys         []*keyFile
	m            *knownhosts.Match
	algos        *algorithms
	hostKeyAlgos []string
	key          ssh.PublicKey // the key it proved
}

func newEndpoint(h Hop) *endpoint {
	if h.Port == 0 {
		h.Port = target.DefaultPort
	}
	ep := &endpoint{Hop: h, addr: target.Target{Host: h.Host, Port: h.Port}.String(), keyHost: h.Host, keyPort: h.Port}
	if h.HostKeyAlias != "" {
		// As ssh: the alias is looked up (and trusted) as a plain name.
		ep.keyHost, ep.keyPort = h.HostKeyAlias, target.DefaultPort
	}
	return ep
}

func (ep *endpoint) prepare(o Options) error {
	var err error
	if ep.keys, err = loadKeyFiles(ep.Auth.KeyFiles, o.Timeout); err != nil {
		return err
	}
	optional, warnings := loadOptionalKeyFiles(ep.Auth.OptionalKeyFiles, o.Timeout)
	for _, w := range warnings {
		emit(o.Events, Event{Kind: EventWarning, Message: w})
	}
	defaults := loadDefaultKeyFiles(ep.Auth.DefaultKeyFiles, ep.Auth.EncryptedDefaultKeys && ep.Auth.Passphrase != nil, o.Timeout)
	ep.keys = append(append(ep.keys, optional...), defaults...)
	if ep.m, err = pinned(o).Lookup(ep.keyHost, ep.keyPort); err != nil {
		return fmt.Errorf("sshdial: %w", err)
	}
	ep.algos = newAlgorithms(o.Legacy)
	ep.hostKeyAlgos, err = ep.algos.hostKeysFor(ep.m, o)
	return err
}

// handshake runs SSH on conn: the server's key is checked against the
// pins inside the key exchange, before any credential, and then the
// credentials are offered. unlocked holds the keys decrypted for the
// hosts before.
func (ep *endpoint) handshake(g *guard.Guard, o Options, via string, unlocked map[string]ssh.Signer) (*ssh.Client, error) {
	v := &verifier{o: o, m: ep.m, events: o.Events, host: ep.keyHost, port: ep.keyPort, addr: ep.addr + via, g: g}
	creds := &credentials{auth: ep.Auth, keys: ep.keys, g: g, events: o.Events, user: ep.User, addr: ep.addr, unlocked: unlocked}
	defer creds.close()
	cfg := &ssh.ClientConfig{
		Config: ssh.Config{
			KeyExchanges: ep.algos.kex,
			Ciphers:      ep.algos.ciphers,
			MACs:         ep.algos.macs,
		},
		User:              ep.User,
		Auth:              creds.methods(),
		AuthCallback:      creds.next,
		HostKeyAlgorithms: ep.hostKeyAlgos,
		HostKeyCallback:   v.check,
		ClientVersion:     kexinit.ClientVersion,
	}
	// The tap reads the server's version line and KEXINIT as they pass,
	// as scan's handshakes do, so that a failure is told as scan tells it
	// (not an SSH server, SSH-1 only, a disconnect before the key
	// exchange), not as x/crypto's "handshake failed: EOF".
	tap := kexinit.NewTap(g, kexinit.Limits{})
	conn, chans, reqs, err := ssh.NewClientConn(tap, ep.addr, cfg)
	if err != nil {
		g.Close()
		return nil, classify(err, g, tap, v, creds, ep.m, ep.addr, ep.User, o)
	}
	ep.key = v.key
	return ssh.NewClient(conn, chans, reqs), nil
}

// classify turns a failed handshake into the error that says what
// happened: the host key check, a deadline, or authentication.
func classify(err error, g *guard.Guard, tap *kexinit.Tap, v *verifier, creds *credentials, m *knownhosts.Match, addr, user string, o Options) error {
	var hke *HostKeyError
	var te *TrustError
	var ane *ssh.AlgorithmNegotiationError
	switch {
	case errors.As(err, &hke):
		return hke
	case errors.As(err, &te):
		return te
	case g.Failure() != nil:
		kind := kexinit.Kind("")
		if errors.Is(g.Failure(), ErrTimeout) {
			kind = kexinit.KindTimeout
		}
		return &ConnectError{Addr: addr, Kind: kind, Err: g.Failure()}
	case errors.As(err, &ane) && ane.What == "host key" && m.Found() && !o.InsecureAcceptAny:
		e := &HostKeyError{Name: m.Name, Reason: KeyNoCommonType, Pinned: m.Types(), Offer: ane.RequestedAlgorithms}
		if !o.Legacy {
			legacy := newAlgorithms(true)
			if shared(knownhosts.HostKeyAlgorithms(m), ane.RequestedAlgorithms, legacy.hostKeys) {
				e.Legacy = true
			}
		}
		return e
	case errors.As(err, &ane):
		return &ConnectError{Addr: addr, Kind: KindNegotiation, Err: negotiationError(ane, o.Legacy)}
	case v.key != nil:
		// The server proved its key, so what failed is authentication:
		// when the password source gave up, that is the reason, whatever
		// x/crypto made of the methods after it.
		if creds.passErr != nil {
			err = creds.passErr
		}
		return &AuthError{User: user, Addr: addr, Tried: creds.tried(), Unverified: o.InsecureAcceptAny, Err: err}
	}
	if _, terr := tap.Hello(); terr != nil {
		// The tap's words name what the server sent (an HTTP status line,
		// binary data, a version line of SSH-1); x/crypto's only say the
		// stream ended.
		return &ConnectError{Addr: addr, Kind: kexinit.KindOf(terr), Err: &causeError{strings.TrimPrefix(terr.Error(), "kexinit: "), terr}}
	}
	if hungUp(err) {
		what := "before its KEXINIT"
		if h, _ := tap.Hello(); h != nil {
			what = "during the key exchange"
		}
		return &ConnectError{Addr: addr, Kind: kexinit.KindClosed, Err: &causeError{"the server closed the connection " + what, err}}
	}
	return &ConnectError{Addr: addr, Err: err}
}

func pinned(o Options) *knownhosts.Set {
	if o.Pinned == nil {
		return knownhosts.NewSet()
	}
	return o.Pinned
}
