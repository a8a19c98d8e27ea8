package sftpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/kexinit"
	"github.com/sshpin/sshpin/knownhosts"
	"github.com/sshpin/sshpin/target"
	"github.com/sshpin/sshpin/tlspin"
)

// Options say how to reach a server and how to decide it is the right one.
type Options struct {
	Host string // a name or an IP literal, without brackets
	Port int    // 0 means 22
	User string
	// HostKeyAlias, when set, is the name the host's pins are looked up
	// and trusted under instead of Host and Port, as ssh's HostKeyAlias.
	HostKeyAlias string

	// Pinned are the known_hosts files that vouch for servers, read
	// together as ssh reads its user and global files (nil: none).
	Pinned *knownhosts.Set
	// TrustOnFirstUse: a server that nothing in Pinned knows is trusted,
	// and the key it proved is appended to TrustFile (under its lock,
	// atomically) before any credential is sent. Never on a mismatch.
	TrustOnFirstUse bool
	TrustFile       string
	// InsecureAcceptAny accepts whatever key the server proves. For
	// throwaway labs only; an EventUnverified reports every use.
	InsecureAcceptAny bool
	// Legacy also speaks the SHA-1 and CBC algorithms x/crypto keeps
	// (ssh-rsa, ssh-dss, group1/14-sha1, 3des-cbc, aes128-cbc, hmac-sha1),
	// for this connection only.
	Legacy bool

	// Timeout bounds each network step: dialling through the start of the
	// SFTP session, every SFTP request, and every stall in a transfer (a
	// transfer may take as long as it needs while bytes keep moving).
	// Time spent in a passphrase or password prompt does not count.
	Timeout time.Duration

	Auth Auth

	// Jump are the hosts to go through, first to last (ssh's ProxyJump):
	// the first is dialled, and each next connection, the target's last,
	// is opened through the one before (a direct-tcpip channel, which the
	// jump host's sshd must allow: AllowTcpForwarding). Every hop is
	// verified against Pinned, with the same policy, before any
	// credential is sent to it.
	Jump []Hop
	// ProxyCommand, when set, is run with /bin/sh -c, and its standard
	// input and output carry the SSH stream to the first host, the first
	// of Jump or else the target, instead of a TCP connection (ssh's
	// ProxyCommand, tokens already expanded: a jump host's own, from the
	// configuration, reaches it the same way). Its standard error goes to
	// ProxyStderr (discarded if nil). It ends when the Client is closed.
	ProxyCommand string
	ProxyStderr  io.Writer

	// Events receives what a user may want to know; nil drops them. Calls
	// never overlap, and all of an operation's calls return before it does.
	// A recursive transfer moves several files at once: their events
	// interleave, and come from goroutines other than the caller's, also
	// while the transfer's each is being called.
	Events func(Event)
}

// Hop is a jump host: where it is, who logs in, and with what. Its Auth
// is all it is offered: the target's Options.Auth never goes to a hop.
type Hop struct {
	Host         string
	Port         int // 0 means 22
	User         string
	HostKeyAlias string
	Auth         Auth
}

// Auth says which credentials to offer, in this order: the identity files,
// the agent's keys, then a password. Every secret is fetched lazily, after
// the server proved a pinned key.
type Auth struct {
	// KeyFiles are private keys in OpenSSH or PEM format. They are read
	// before dialling, so a missing file fails early; encrypted ones are
	// decrypted with Passphrase when the server asks for a key.
	KeyFiles []string
	// OptionalKeyFiles are offered after KeyFiles when they exist (the
	// IdentityFile lines of ~/.ssh/config, ssh's default identities); a
	// missing one is skipped, one that is not a private key is skipped
	// with a warning.
	OptionalKeyFiles []string
	// DefaultKeyFiles are ssh's default identities (~/.ssh/id_ed25519,
	// ...), offered after OptionalKeyFiles when they exist. An encrypted
	// one is offered only with EncryptedDefaultKeys, and then as ssh does:
	// by its public key alone (the key file's unencrypted part, or for a
	// PEM key the .pub file beside it), and Passphrase is asked only once
	// the server said it would accept that key. A key the user never
	// named costs a prompt only where it can log in; one the agent holds
	// is left to the agent.
	DefaultKeyFiles []string
	// EncryptedDefaultKeys offers encrypted DefaultKeyFiles; without it
	// they are skipped, for a caller that has no way to ask.
	EncryptedDefaultKeys bool
	// Passphrase returns the passphrase of an encrypted key file; nil
	// skips encrypted keys. An empty passphrase skips the key.
	Passphrase func(keyFile string) ([]byte, error)
	// AgentSocket is the ssh-agent's socket (SSH_AUTH_SOCK); "" for none.
	AgentSocket string
	// Password returns the password for user at addr, for the password and
	// keyboard-interactive methods; attempt counts from 1. nil offers no
	// password.
	Password func(user, addr string, attempt int) (string, error)
}

// EventKind says what an Event reports.
type EventKind int

const (
	// EventVerified: the server proved a pinned key (Key, Addr).
	EventVerified EventKind = iota + 1
	// EventTrusted: trust on first use pinned Key into Path.
	EventTrusted
	// EventUnverified: InsecureAcceptAny accepted Key without any check.
	EventUnverified
	// EventWarning: something went wrong that did not stop the operation
	// (an unreachable agent, a key that could not be decrypted).
	EventWarning
	// EventProgress: Bytes of Total moved for Remote/Local, and for a put
	// the Verified bytes read back so far; Verify is set while an upload
	// is read back after the fact (on servers that serve no reads on a
	// file open for writing).
	EventProgress
	// EventNotAtomic: the server lacks posix-rename@openssh.com, so an
	// upload replaced Remote by moving it aside first: for a moment Remote
	// did not exist.
	EventNotAtomic
	// EventLeftover: an upload removed Remote, the temporary file an
	// earlier, interrupted upload to the same name left behind.
	EventLeftover
)

// Event is one thing a user may want to know. Which fields are set depends
// on Kind.
type Event struct {
	Kind   EventKind
	Addr   string        // the address that answered
	Key    ssh.PublicKey // the host key
	Path   string        // the pinned file written, for EventTrusted
	Op     string        // "get" or "put"
	Remote string
	Local  string
	Bytes  int64
	Total  int64
	Verify bool
	// Verified is, for a put that reads every chunk back while it
	// uploads, how many of the Bytes were read back and found equal.
	Verified int64
	Message  string
}

// Client is an SFTP session on a server that proved a pinned key. Its
// methods may be called from several goroutines, and their requests then
// share the connection (a recursive transfer moves several files at once
// so), under one deadline that progress in any of them pushes back.
type Client struct {
	ssh  *ssh.Client
	sftp *sftp.Client
	ses  *session
	g    *guard
	hops []*ssh.Client // the jump hosts' connections, first to last

	// Addr is the address that answered; HostKey the key it proved.
	Addr    string
	HostKey ssh.PublicKey

	opts    Options
	started time.Time // when Dial returned: older temporary files are leftovers
	// inFlight holds a token for every upload chunk read and not yet
	// written and read back, across all the uploads of the Client: files
	// moving at once share one upload's budget (uploadBudget).
	inFlight chan struct{}

	leftMu    sync.Mutex
	leftovers map[string][]fs.FileInfo // per directory: its temporary files
	// localLeftovers are, per local directory a download wrote to, the
	// names of temporary files found there (see removeLocalLeftovers);
	// guarded by leftMu.
	localLeftovers map[string][]string
	// readableDirs are the directories whose new files served a read
	// while open for writing (see readableIn); guarded by leftMu.
	readableDirs map[string]bool

	// TLS is what the certificate check found, for a Client DialStream
	// reached over TLS; nil otherwise.
	TLS *tlspin.Verified
	// stream is, for a Client with no SSH under it (DialStream), what
	// names its server and the command it runs.
	stream streamInfo
}

// Dial connects, verifies the server's host key against the pinned files,
// authenticates and starts SFTP. A *HostKeyError means the server was
// refused before any credential was sent. Through jump hosts (Jump), each
// hop is verified against the pins and authenticated before the next
// connection is opened through it; a *JumpError names the hop that failed.
func Dial(ctx context.Context, o Options) (*Client, error) {
	if o.Timeout <= 0 {
		return nil, errors.New("sftpx: Options.Timeout must be positive")
	}
	if o.InsecureAcceptAny && o.TrustOnFirstUse {
		return nil, errors.New("sftpx: InsecureAcceptAny and TrustOnFirstUse exclude each other")
	}
	if o.TrustOnFirstUse && o.TrustFile == "" {
		return nil, errors.New("sftpx: TrustOnFirstUse needs a TrustFile")
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
		raw, err = startProxyCommand(o.ProxyCommand, o.ProxyStderr)
		if err != nil {
			return nil, &ConnectError{Addr: first.addr, Err: fmt.Errorf("proxy command: %w", err)}
		}
	} else {
		d := net.Dialer{Timeout: o.Timeout}
		raw, err = d.DialContext(ctx, "tcp", first.addr)
		if err != nil {
			kind := dialKind(err)
			if isTimeout(err) {
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
		g := newGuard(conn, o.Timeout)
		// One deadline for the whole setup of each hop, as for every other
		// command: a server that trickles its key exchange, or a jump host
		// that never opens the next connection, cannot hold us past it.
		g.begin() // a new guard: nothing to refuse
		stop := context.AfterFunc(ctx, func() { g.trip(ctx.Err()) })
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
			ses, err := startSession(sc, g.arm, o.Events)
			stop()
			if err != nil {
				sc.Close()
				if r := g.failure(); r != nil {
					err = r
				}
				err = &ConnectError{Addr: ep.addr, Err: fmt.Errorf("starting SFTP: %w", err)}
				if i == 0 {
					err = proxyEnded(raw, err)
				}
				return fail(err)
			}
			g.end(nil)
			addr := raw.RemoteAddr().String()
			if via != "" {
				addr = ep.addr + via
			}
			return &Client{ssh: sc, sftp: ses.client, ses: ses, g: g, hops: hops, Addr: addr, HostKey: ep.key, opts: o, started: time.Now(),
				inFlight: make(chan struct{}, uploadBudget(ses.chunk))}, nil
		}
		next := eps[i+1]
		conn, err = sc.Dial("tcp", next.addr)
		stop()
		if err != nil {
			sc.Close()
			if r := g.failure(); r != nil {
				err = r
			}
			kind := kexinit.KindNetwork
			var oce *ssh.OpenChannelError
			if errors.As(err, &oce) && oce.Reason == ssh.Prohibited {
				kind = KindForwardingRefused
			}
			return fail(&JumpError{Hop: ep.addr, Err: &ConnectError{Addr: next.addr, Kind: kind, Err: fmt.Errorf("the jump host could not connect: %w", err)}})
		}
		g.end(nil)
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
		return fmt.Errorf("sftpx: %w", err)
	}
	ep.algos = newAlgorithms(o.Legacy)
	ep.hostKeyAlgos, err = ep.algos.hostKeysFor(ep.m, o)
	return err
}

// handshake runs SSH on conn: the server's key is checked against the
// pins inside the key exchange, before any credential, and then the
// credentials are offered. unlocked holds the keys decrypted for the
// hosts before.
func (ep *endpoint) handshake(g *guard, o Options, via string, unlocked map[string]ssh.Signer) (*ssh.Client, error) {
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
		ClientVersion:     "SSH-2.0-sshpin",
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
func classify(err error, g *guard, tap *kexinit.Tap, v *verifier, creds *credentials, m *knownhosts.Match, addr, user string, o Options) error {
	var hke *HostKeyError
	var te *TrustError
	var ane *ssh.AlgorithmNegotiationError
	switch {
	case errors.As(err, &hke):
		return hke
	case errors.As(err, &te):
		return te
	case g.failure() != nil:
		kind := kexinit.Kind("")
		if errors.Is(g.failure(), ErrTimeout) {
			kind = kexinit.KindTimeout
		}
		return &ConnectError{Addr: addr, Kind: kind, Err: g.failure()}
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

func anyIn(list, allowed []string) bool {
	return slices.ContainsFunc(list, func(a string) bool { return slices.Contains(allowed, a) })
}

func shared(ours, theirs, allowed []string) bool {
	for _, a := range ours {
		if slices.Contains(theirs, a) && slices.Contains(allowed, a) {
			return true
		}
	}
	return false
}

func pinned(o Options) *knownhosts.Set {
	if o.Pinned == nil {
		return knownhosts.NewSet()
	}
	return o.Pinned
}

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
	g      *guard        // the connection, to fail with a RekeyError
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
			v.g.trip(err)
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

// serialized makes the calls of events one at a time, whatever goroutine
// makes them: the files of a recursive transfer report from their own.
func serialized(events func(Event)) func(Event) {
	if events == nil {
		return nil
	}
	var mu sync.Mutex
	return func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		events(e)
	}
}

func emit(events func(Event), e Event) {
	if events != nil {
		events(e)
	}
}

// algorithms are the explicit lists of a connection. x/crypto's defaults
// silently include SHA-1 algorithms; explicit lists keep them off unless
// the caller asked for Options.Legacy.
type algorithms struct {
	kex, ciphers, macs, hostKeys []string
}

func newAlgorithms(legacy bool) *algorithms {
	sup, ins := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	a := &algorithms{kex: sup.KeyExchanges, ciphers: preferCiphers(sup.Ciphers, fastAES), macs: sup.MACs, hostKeys: sup.HostKeys}
	if legacy {
		a.kex = slices.Concat(a.kex, ins.KeyExchanges)
		a.ciphers = slices.Concat(a.ciphers, ins.Ciphers)
		a.macs = slices.Concat(a.macs, ins.MACs)
		a.hostKeys = slices.Concat(a.hostKeys, ins.HostKeys)
	}
	return a
}

// plainPreference orders the plain key algorithms offered to a host with
// nothing pinned, as OpenSSH orders its defaults.
var plainPreference = []string{
	ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}

// hostKeysFor returns the host key algorithms to offer: for a pinned host
// only its pinned types (golang/go#29286: offering more lets a server that
// prefers an unpinned type fail as a mismatch), otherwise the plain ones.
func (a *algorithms) hostKeysFor(m *knownhosts.Match, o Options) ([]string, error) {
	if m.Found() && !o.InsecureAcceptAny {
		var out []string
		for _, algo := range knownhosts.HostKeyAlgorithms(m) {
			if slices.Contains(a.hostKeys, algo) {
				out = append(out, algo)
			}
		}
		if len(out) == 0 {
			e := &HostKeyError{Name: m.Name, Reason: KeyNoCommonType, Pinned: m.Types()}
			e.Legacy = !o.Legacy && anyIn(knownhosts.HostKeyAlgorithms(m), newAlgorithms(true).hostKeys)
			return nil, e
		}
		return out, nil
	}
	// A host nothing pins gets plain keys only: trust on first use pins a
	// key, and a certificate no CA vouches for proves nothing more.
	var out []string
	for _, algo := range plainPreference {
		if slices.Contains(a.hostKeys, algo) {
			out = append(out, algo)
		}
	}
	for _, algo := range a.hostKeys {
		if !slices.Contains(out, algo) && !strings.Contains(algo, "-cert-") {
			out = append(out, algo)
		}
	}
	return out, nil
}

// SFTP returns the underlying pkg/sftp client, for what this package does
// not wrap. Its calls run without this package's deadlines.
func (c *Client) SFTP() *sftp.Client { return c.sftp }

// Close ends the SFTP session and the connection, and those to the jump
// hosts.
func (c *Client) Close() error {
	if c.ssh == nil {
		return c.closeStream()
	}
	c.sftp.Close()
	err := c.ssh.Close()
	for i := len(c.hops) - 1; i >= 0; i-- {
		c.hops[i].Close()
	}
	return err
}

// do runs one operation under the connection's deadline, re-armed by
// progress, and cancelled with ctx. After a deadline or a cancellation the
// connection is dead and every later operation fails at once. Operations
// may run at once, from several goroutines: they share the deadline (see
// guard.begin).
//
// A cancellation kills the connection at once, which wakes every request
// in flight; except while operations said they stop by themselves
// (guard.stopsOnCancel, as an upload does, to remove its temporary file):
// then the connection lives on until they are done, or for cancelGrace at
// most. Either way the error of an operation that a cancellation cut
// short is ctx's.
func (c *Client) do(ctx context.Context, fn func() error) error {
	if err := c.g.begin(); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { c.g.cancel(ctx.Err()) })
	err := fn()
	stop()
	cerr := ctx.Err()
	c.g.end(cerr)
	if cerr != nil {
		if err != nil {
			// Whatever failed then (a timeout while cleaning up, a request
			// the cancellation woke), the user stopped it.
			return cerr
		}
		return nil
	}
	if err != nil {
		if r := c.g.failure(); r != nil {
			return r
		}
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
