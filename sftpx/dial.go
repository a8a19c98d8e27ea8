package sftpx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"sshpin/knownhosts"
	"sshpin/target"
)

// Options say how to reach a server and how to decide it is the right one.
type Options struct {
	Host string // a name or an IP literal, without brackets
	Port int    // 0 means 22
	User string

	// Pinned are the known_hosts files that vouch for servers, read
	// together as ssh reads its user and global files.
	Pinned []*knownhosts.File
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

	// Events receives what a user may want to know; nil drops them. Calls
	// never overlap, and all of an operation's calls return before it does.
	Events func(Event)
}

// Auth says which credentials to offer, in this order: the identity files,
// the agent's keys, then a password. Every secret is fetched lazily, after
// the server proved a pinned key.
type Auth struct {
	// KeyFiles are private keys in OpenSSH or PEM format. They are read
	// before dialling, so a missing file fails early; encrypted ones are
	// decrypted with Passphrase when the server asks for a key.
	KeyFiles []string
	// Passphrase returns the passphrase of an encrypted key file; nil
	// skips encrypted keys.
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
	// EventProgress: Bytes of Total moved for Remote/Local; Verify is set
	// while an upload is read back.
	EventProgress
	// EventNotAtomic: the server lacks posix-rename@openssh.com, so an
	// upload replaced Remote by removing it first: for a moment Remote
	// did not exist.
	EventNotAtomic
)

// Event is one thing a user may want to know. Which fields are set depends
// on Kind.
type Event struct {
	Kind    EventKind
	Addr    string        // the address that answered
	Key     ssh.PublicKey // the host key
	Path    string        // the pinned file written, for EventTrusted
	Op      string        // "get" or "put"
	Remote  string
	Local   string
	Bytes   int64
	Total   int64
	Verify  bool
	Message string
}

// Client is an SFTP session on a server that proved a pinned key. Its
// methods may be called from several goroutines but run one at a time:
// each owns the connection's deadline while it runs.
type Client struct {
	ssh  *ssh.Client
	sftp *sftp.Client
	g    *guard

	// Addr is the address that answered; HostKey the key it proved.
	Addr    string
	HostKey ssh.PublicKey

	opts Options
	mu   sync.Mutex
}

// Dial connects, verifies the server's host key against the pinned files,
// authenticates and starts SFTP. A *HostKeyError means the server was
// refused before any credential was sent.
func Dial(ctx context.Context, o Options) (*Client, error) {
	if o.Port == 0 {
		o.Port = target.DefaultPort
	}
	if o.Timeout <= 0 {
		return nil, errors.New("sftpx: Options.Timeout must be positive")
	}
	if o.InsecureAcceptAny && o.TrustOnFirstUse {
		return nil, errors.New("sftpx: InsecureAcceptAny and TrustOnFirstUse exclude each other")
	}
	if o.TrustOnFirstUse && o.TrustFile == "" {
		return nil, errors.New("sftpx: TrustOnFirstUse needs a TrustFile")
	}
	addr := target.Target{Host: o.Host, Port: o.Port}.String()
	keys, err := loadKeyFiles(o.Auth.KeyFiles)
	if err != nil {
		return nil, err
	}
	m, err := lookup(o.Pinned, o.Host, o.Port)
	if err != nil {
		return nil, fmt.Errorf("sftpx: %w", err)
	}
	algos := newAlgorithms(o.Legacy)
	hostKeyAlgos, err := algos.hostKeysFor(m, o)
	if err != nil {
		return nil, err
	}

	d := net.Dialer{Timeout: o.Timeout}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if isTimeout(err) {
			err = fmt.Errorf("%w: no connection within %s", ErrTimeout, o.Timeout)
		}
		return nil, &ConnectError{Addr: addr, Err: err}
	}
	g := newGuard(raw, o.Timeout)
	// One deadline for the whole setup, as for every other command: a
	// server that trickles its key exchange cannot hold us past it.
	g.arm()
	stop := context.AfterFunc(ctx, func() { g.trip(ctx.Err()) })
	defer stop()

	v := &verifier{o: o, m: m, events: o.Events}
	creds := &credentials{auth: o.Auth, keys: keys, g: g, events: o.Events, user: o.User, addr: addr}
	defer creds.close()
	cfg := &ssh.ClientConfig{
		Config: ssh.Config{
			KeyExchanges: algos.kex,
			Ciphers:      algos.ciphers,
			MACs:         algos.macs,
		},
		User:              o.User,
		Auth:              creds.methods(),
		HostKeyAlgorithms: hostKeyAlgos,
		HostKeyCallback:   v.check,
		ClientVersion:     "SSH-2.0-sshpin",
	}
	conn, chans, reqs, err := ssh.NewClientConn(g, addr, cfg)
	if err != nil {
		g.conn.Close()
		return nil, classify(err, g, v, creds, m, addr, o)
	}
	sc := ssh.NewClient(conn, chans, reqs)
	// 32 KiB packets, the size every server must accept: larger ones are
	// what makes pkg/sftp#658 lose data. Fstat reads the size of the open
	// handle, not of whatever the path names by then.
	fc, err := sftp.NewClient(sc, sftp.UseFstat(true), sftp.MaxPacketChecked(32768))
	if err != nil {
		sc.Close()
		if r := g.failure(); r != nil {
			err = r
		}
		return nil, &ConnectError{Addr: addr, Err: fmt.Errorf("starting SFTP: %w", err)}
	}
	g.disarm()
	return &Client{ssh: sc, sftp: fc, g: g, Addr: raw.RemoteAddr().String(), HostKey: v.key, opts: o}, nil
}

// classify turns a failed handshake into the error that says what
// happened: the host key check, a deadline, or authentication.
func classify(err error, g *guard, v *verifier, creds *credentials, m *knownhosts.Match, addr string, o Options) error {
	var hke *HostKeyError
	var te *TrustError
	var ane *ssh.AlgorithmNegotiationError
	switch {
	case errors.As(err, &hke):
		return hke
	case errors.As(err, &te):
		return te
	case g.failure() != nil:
		return &ConnectError{Addr: addr, Err: g.failure()}
	case errors.As(err, &ane) && ane.What == "host key" && m.Found() && !o.InsecureAcceptAny:
		e := &HostKeyError{Name: m.Name, Reason: KeyNoCommonType, Pinned: m.Types(), Offer: ane.RequestedAlgorithms}
		if !o.Legacy {
			legacy := newAlgorithms(true)
			if shared(knownhosts.HostKeyAlgorithms(m), ane.RequestedAlgorithms, legacy.hostKeys) {
				e.Legacy = true
			}
		}
		return e
	case v.key != nil:
		// The server proved its key, so what failed is authentication.
		return &AuthError{User: o.User, Addr: addr, Tried: creds.tried(), Err: err}
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

// lookup merges what every file says of a host, as ssh reads its user and
// global files together.
func lookup(files []*knownhosts.File, host string, port int) (*knownhosts.Match, error) {
	m, err := (&knownhosts.File{}).Lookup(host, port)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		fm, err := f.Lookup(host, port)
		if err != nil {
			return nil, err
		}
		if len(m.Keys) == 0 && len(fm.Keys) > 0 {
			m.Name, m.PortFallback = fm.Name, fm.PortFallback
		}
		m.Keys = append(m.Keys, fm.Keys...)
		m.Authorities = append(m.Authorities, fm.Authorities...)
		m.Revoked = append(m.Revoked, fm.Revoked...)
	}
	return m, nil
}

// verifier is the HostKeyCallback. x/crypto calls it after the server's
// signature over the exchange hash checked out, and before any user-auth
// message: returning an error here sends no user name and no credential.
type verifier struct {
	o      Options
	m      *knownhosts.Match
	events func(Event)
	key    ssh.PublicKey // set once the key is accepted
}

func (v *verifier) check(_ string, remote net.Addr, key ssh.PublicKey) error {
	addr := remote.String()
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

// trust pins key for an unknown host. The file is read afresh under its
// lock: if another run pinned the host meanwhile, the key must match that
// pin instead, and a host known elsewhere is never trusted on first use.
func (v *verifier) trust(key ssh.PublicKey) error {
	if _, ok := key.(*ssh.Certificate); ok {
		// Only plain keys are offered to unknown hosts; a certificate here
		// would be pinned as a key it is not.
		return &HostKeyError{Name: v.m.Name, Reason: KeyUnknown, Key: key}
	}
	var verr error
	err := knownhosts.Update(v.o.TrustFile, func(f *knownhosts.File) error {
		fm, err := f.Lookup(v.o.Host, v.o.Port)
		if err != nil {
			return err
		}
		if fm.Found() {
			verr = fm.Verify(key)
			if verr != nil {
				verr = keyError(fm.Name, key, verr)
			}
			return nil
		}
		ch, err := f.Plan(v.o.Host, v.o.Port, []ssh.PublicKey{key}, knownhosts.MergeOptions{})
		if err != nil {
			return err
		}
		return f.Apply(ch)
	})
	if err != nil {
		var re *knownhosts.RevokedError
		if errors.As(err, &re) {
			return &HostKeyError{Name: v.m.Name, Reason: KeyRevoked, Key: key, Err: err}
		}
		return &TrustError{Path: v.o.TrustFile, Err: err}
	}
	return verr
}

func keyError(name string, key ssh.PublicKey, err error) error {
	var re *knownhosts.RevokedError
	var ke *knownhosts.KeyError
	switch {
	case errors.As(err, &re):
		return &HostKeyError{Name: name, Reason: KeyRevoked, Key: key, Err: err}
	case errors.As(err, &ke) && len(ke.Want) == 0:
		// Only a CA vouches for the host and the key is no certificate of it.
		return &HostKeyError{Name: name, Reason: KeyUnknown, Key: key, Err: err}
	}
	return &HostKeyError{Name: name, Reason: KeyMismatch, Key: key, Err: err}
}

func emit(events func(Event), e Event) {
	if events != nil {
		events(e)
	}
}

// algorithms are the explicit lists of a connection. x/crypto's defaults
// silently include SHA-1 algorithms; explicit lists keep them off unless
// the user asked for --legacy.
type algorithms struct {
	kex, ciphers, macs, hostKeys []string
}

func newAlgorithms(legacy bool) *algorithms {
	sup, ins := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	a := &algorithms{kex: sup.KeyExchanges, ciphers: sup.Ciphers, macs: sup.MACs, hostKeys: sup.HostKeys}
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

// Close ends the SFTP session and the connection.
func (c *Client) Close() error {
	c.sftp.Close()
	return c.ssh.Close()
}

// do runs one operation under the connection's deadline, re-armed by
// progress, and cancelled with ctx. After a deadline or a cancellation the
// connection is dead and every later operation fails at once.
func (c *Client) do(ctx context.Context, fn func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.g.failure(); r != nil {
		return r
	}
	c.g.arm()
	stop := context.AfterFunc(ctx, func() { c.g.trip(ctx.Err()) })
	err := fn()
	stop()
	c.g.disarm()
	if err != nil {
		if r := c.g.failure(); r != nil {
			return r
		}
	}
	return err
}

// guard is the connection with one deadline that operations arm, progress
// pushes back, prompts suspend, and a cancellation trips for good. It is
// the net.Conn x/crypto reads and writes, so that it can tell a deadline
// that fired from any other broken connection.
type guard struct {
	conn    net.Conn
	timeout time.Duration

	mu     sync.Mutex
	reason error // why the connection was killed; nil while it is alive
}

func newGuard(c net.Conn, timeout time.Duration) *guard {
	return &guard{conn: c, timeout: timeout}
}

func (g *guard) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.reason == nil {
		g.conn.SetDeadline(time.Now().Add(g.timeout))
	}
}

func (g *guard) disarm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.reason == nil {
		g.conn.SetDeadline(time.Time{})
	}
}

// trip kills the connection for reason: a deadline in the past wakes every
// blocked read and write at once.
func (g *guard) trip(reason error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.reason == nil {
		g.reason = reason
	}
	g.conn.SetDeadline(time.Unix(1, 0))
}

func (g *guard) failure() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.reason
}

// pause runs a prompt without the deadline: a user typing a passphrase is
// not a stalled server.
func (g *guard) pause(fn func()) {
	g.disarm()
	defer g.arm()
	fn()
}

func (g *guard) noteTimeout(err error) {
	if isTimeout(err) {
		g.mu.Lock()
		if g.reason == nil {
			g.reason = fmt.Errorf("%w: the server did not answer within %s", ErrTimeout, g.timeout)
		}
		g.mu.Unlock()
	}
}

func (g *guard) Read(p []byte) (int, error) {
	n, err := g.conn.Read(p)
	if err != nil {
		g.noteTimeout(err)
	}
	return n, err
}

func (g *guard) Write(p []byte) (int, error) {
	n, err := g.conn.Write(p)
	if err != nil {
		g.noteTimeout(err)
	}
	return n, err
}

func (g *guard) Close() error                       { return g.conn.Close() }
func (g *guard) LocalAddr() net.Addr                { return g.conn.LocalAddr() }
func (g *guard) RemoteAddr() net.Addr               { return g.conn.RemoteAddr() }
func (g *guard) SetDeadline(t time.Time) error      { return g.conn.SetDeadline(t) }
func (g *guard) SetReadDeadline(t time.Time) error  { return g.conn.SetReadDeadline(t) }
func (g *guard) SetWriteDeadline(t time.Time) error { return g.conn.SetWriteDeadline(t) }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
