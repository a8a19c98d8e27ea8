package sftpx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/sshwire"
)

// SFTP packet types this file speaks itself (draft-ietf-secsh-filexfer-02).
const (
	fxpInit          = 1
	fxpVersion       = 2
	fxpStatus        = 101
	fxpExtended      = 200
	fxpExtendedReply = 201
)

const (
	// limitsExtension asks an OpenSSH (>= 8.7) server for the largest
	// reads and writes it serves whole.
	limitsExtension = "limits@openssh.com"
	// safeChunk is the read and write size every server must accept
	// (draft-ietf-secsh-filexfer-02 §3: 32768 bytes of data).
	safeChunk = 32768
	// maxChunk bounds what a server's limits can make us use: OpenSSH
	// serves 255 KiB; more gains nothing and costs memory (pkg/sftp keeps
	// one buffer per request in flight).
	maxChunk = 256 << 10
	// maxHandshakePacket bounds the VERSION and limits replies we read.
	maxHandshakePacket = 256 << 10
	// requestsInFlight per transfer, as OpenSSH's sftp -R defaults to.
	requestsInFlight = 64
)

// session is the SFTP subsystem with the sizes it was started with.
type session struct {
	client *sftp.Client
	ssh    *ssh.Session
	// chunk is the data size of each read and write request: what the
	// server's limits@openssh.com reply allows, else safeChunk. A read
	// larger than what the server serves whole comes back short, and
	// pkg/sftp's concurrent WriteTo then leaves a hole with no error
	// (pkg/sftp#658): the size is never a guess.
	chunk int
	// limits is the server's limits@openssh.com reply; zero without it.
	limits serverLimits
	// warned holds the keys of the warnings already given on this
	// connection (Client.warnOnce).
	warned sync.Map
	// exts are the extensions the server's VERSION names.
	exts map[string]bool
	// demux, writer and nextID carry this package's own requests
	// (extended.go) beside pkg/sftp's.
	demux  *demux
	writer *packetWriter
	// readdirs follows the READDIRs of this session (listednames.go,
	// listinglimit.go).
	readdirs *readdirIDs
	nextID   ownIDs
	// checkRefused: a check-file refusal was reported (checkFileRefused).
	checkRefused atomic.Bool
	// checkUnsupported: a server that did not announce check-file said
	// it does not have it (hasCheckFile).
	checkUnsupported atomic.Bool
	// timesRefused: a refusal to set an upload's times was reported.
	timesRefused atomic.Bool
	// openModes are the modes the OPENs of temporary files carry, and
	// createdModes what the server made of them (openmode.go).
	openModes    openModes
	createdModes sync.Map // createdKey -> *createdMode
}

type serverLimits struct {
	Packet, Read, Write, Handles uint64
}

// startSession starts the sftp subsystem on sc. It does the SFTP
// handshake itself, to ask for the server's limits before pkg/sftp sizes
// its requests, then hands pkg/sftp a stream that replays the server's
// VERSION and drops pkg/sftp's own INIT. Every request pkg/sftp writes
// reaches the channel in one Write, so that a write's header and data
// share SSH packets instead of costing one packet more each. Every reply
// that comes in calls replied (replyReader): the connection's deadline
// follows the server's answers.
func startSession(sc *ssh.Client, replied func(), events func(Event)) (*session, error) {
	s, err := sc.NewSession()
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*session, error) {
		s.Close()
		return nil, err
	}
	w, err := s.StdinPipe()
	if err != nil {
		return fail(err)
	}
	r, err := s.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	if err := s.RequestSubsystem("sftp"); err != nil {
		return fail(err)
	}
	ses, err := startSFTP(r, w, replied, events)
	if err != nil {
		return fail(err)
	}
	ses.ssh = s
	return ses, nil
}

// startSFTP is the SFTP handshake on a stream: r is what the server
// sends, w what it reads. An SSH channel is one such stream, a command's
// standard input and output or a socket another (DialStream). Every
// reply that comes in calls replied (replyReader), so that the
// connection's deadline follows the server's answers.
func startSFTP(r io.Reader, w io.WriteCloser, replied func(), events func(Event)) (*session, error) {
	fail := func(err error) (*session, error) { return nil, err }
	if _, err := w.Write(packet(fxpInit, binary.BigEndian.AppendUint32(nil, 3))); err != nil {
		return fail(err)
	}
	version, err := readPacket(r)
	if err != nil {
		return fail(fmt.Errorf("reading the server's VERSION: %w", err))
	}
	if version[4] != fxpVersion {
		return fail(fmt.Errorf("the server answered INIT with packet type %d, not VERSION", version[4]))
	}
	exts, err := parseVersion(version[5:])
	if err != nil {
		return fail(err)
	}
	readdirs := &readdirIDs{} // listednames.go: suspect names in listings
	ses := &session{chunk: safeChunk, exts: exts, readdirs: readdirs,
		demux:  newDemux(&replyReader{r: r, arm: replied}),
		writer: &packetWriter{w: w, drop: 1, sent: readdirs.sent}}
	ses.writer.rewrite = ses.openModes.rewrite
	if exts[limitsExtension] {
		lim, warning, err := askLimits(r, w)
		if err != nil {
			return fail(err)
		}
		if warning != "" {
			emit(events, Event{Kind: EventWarning, Message: warning + fmt.Sprintf("; using %d-byte reads and writes, which every server takes", safeChunk)})
		}
		ses.limits = lim
		ses.chunk = lim.chunk()
	}
	ses.client, err = sftp.NewClientPipe(
		io.MultiReader(&replay{b: version}, &nameFilter{r: ses.demux, ids: readdirs}),
		ses.writer,
		sftp.UseFstat(true),
		sftp.MaxPacketUnchecked(ses.chunk),
		sftp.MaxConcurrentRequestsPerFile(requestsInFlight),
	)
	if err != nil {
		return fail(err)
	}
	return ses, nil
}

// chunk is the request size the limits allow: reads and writes both (one
// size serves both in pkg/sftp), and a write packet with its header within
// max-packet-length, with the slack OpenSSH's own client leaves.
func (l serverLimits) chunk() int {
	if l.Read == 0 || l.Write == 0 {
		return safeChunk
	}
	c := min(l.Read, l.Write, maxChunk)
	if l.Packet > 0 {
		if l.Packet <= 1024 {
			return safeChunk
		}
		c = min(c, l.Packet-1024)
	}
	return int(c)
}

// askLimits sends limits@openssh.com (OpenSSH's PROTOCOL §4.8) and reads
// the reply. A server that refuses the request, or answers it with
// something else than the reply (then warning says what), leaves the safe
// sizes: only a stream that fails is an error.
func askLimits(r io.Reader, w io.Writer) (lim serverLimits, warning string, err error) {
	const id = 1
	body := binary.BigEndian.AppendUint32(nil, id)
	body = appendString(body, []byte(limitsExtension))
	if _, err := w.Write(packet(fxpExtended, body)); err != nil {
		return serverLimits{}, "", err
	}
	p, err := readPacket(r)
	if err != nil {
		return serverLimits{}, "", fmt.Errorf("reading the %s reply: %w", limitsExtension, err)
	}
	if len(p) < 9 || binary.BigEndian.Uint32(p[5:9]) != id {
		return serverLimits{}, fmt.Sprintf("the server answered %s with a malformed packet (%d bytes, type %d)", limitsExtension, len(p), p[4]), nil
	}
	switch p[4] {
	case fxpStatus:
		return serverLimits{}, "", nil
	case fxpExtendedReply:
	default:
		return serverLimits{}, fmt.Sprintf("the server answered %s with packet type %d", limitsExtension, p[4]), nil
	}
	d := p[9:]
	if len(d) < 32 {
		return serverLimits{}, fmt.Sprintf("the server's %s reply is %d bytes, want 32", limitsExtension, len(d)), nil
	}
	be := binary.BigEndian
	return serverLimits{Packet: be.Uint64(d), Read: be.Uint64(d[8:]), Write: be.Uint64(d[16:]), Handles: be.Uint64(d[24:])}, "", nil
}

// packet frames an SFTP packet: uint32 length, byte type, body.
func packet(typ byte, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 5+len(body)), uint32(1+len(body)))
	b = append(b, typ)
	return append(b, body...)
}

// readPacket reads one SFTP packet, length prefix included.
func readPacket(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n < 1 || n > maxHandshakePacket {
		return nil, fmt.Errorf("SFTP packet of %d bytes", n)
	}
	p := make([]byte, 4+n)
	copy(p, hdr[:])
	if _, err := io.ReadFull(r, p[4:]); err != nil {
		return nil, err
	}
	return p, nil
}

// parseVersion returns the extension names of a VERSION body (after the
// type byte): uint32 version, then pairs of strings.
func parseVersion(b []byte) (map[string]bool, error) {
	if len(b) < 4 {
		return nil, errors.New("the server's VERSION packet is truncated")
	}
	exts := map[string]bool{}
	b = b[4:]
	for len(b) > 0 {
		name, rest, ok := sshString(b)
		if !ok {
			return nil, errors.New("the server's VERSION packet has a malformed extension")
		}
		_, rest, ok = sshString(rest)
		if !ok {
			return nil, errors.New("the server's VERSION packet has a malformed extension")
		}
		exts[string(name)] = true
		b = rest
	}
	return exts, nil
}

// sshString is sshwire.String, by the name the SFTP parsers here use.
func sshString(b []byte) (s, rest []byte, ok bool) { return sshwire.String(b) }

func appendString(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// replay returns b once, then EOF (io.MultiReader goes on to the stream).
type replay struct{ b []byte }

func (r *replay) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// packetWriter passes pkg/sftp's stream to the channel one whole SFTP
// packet per Write: pkg/sftp writes a request's header and its data in two
// calls, and x/crypto sends every call in packets of its own, so a 32 KiB
// write would cost two SSH packets, the second of 29 bytes. The first drop
// packets are swallowed (pkg/sftp's INIT, already sent).
type packetWriter struct {
	mu   sync.Mutex // serialises emit and inject
	w    io.WriteCloser
	drop int
	buf  []byte // the packet being assembled
	need int    // its length with the prefix, once the prefix is known

	sent func(packet []byte) // told every packet before it goes out (names.go)
	// rewrite, when set, may replace a packet before it goes out (nil
	// keeps it): the OPEN of an upload's temporary file gets its mode.
	rewrite func(packet []byte) []byte
}

func (pw *packetWriter) Write(p []byte) (int, error) {
	written := len(p)
	for len(p) > 0 {
		if len(pw.buf) == 0 && len(p) >= 4 {
			need := 4 + int(binary.BigEndian.Uint32(p))
			if len(p) >= need {
				// A whole packet in one call: no copy.
				if err := pw.emit(p[:need]); err != nil {
					return 0, err
				}
				p = p[need:]
				continue
			}
		}
		if len(pw.buf) < 4 {
			k := min(4-len(pw.buf), len(p))
			pw.buf = append(pw.buf, p[:k]...)
			p = p[k:]
			if len(pw.buf) < 4 {
				break
			}
			pw.need = 4 + int(binary.BigEndian.Uint32(pw.buf))
		}
		k := min(pw.need-len(pw.buf), len(p))
		pw.buf = append(pw.buf, p[:k]...)
		p = p[k:]
		if len(pw.buf) == pw.need {
			err := pw.emit(pw.buf)
			pw.buf = pw.buf[:0]
			if err != nil {
				return 0, err
			}
		}
	}
	return written, nil
}

func (pw *packetWriter) emit(b []byte) error {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	if pw.drop > 0 {
		pw.drop--
		return nil
	}
	if pw.rewrite != nil {
		if r := pw.rewrite(b); r != nil {
			b = r
		}
	}
	if pw.sent != nil {
		pw.sent(b)
	}
	_, err := pw.w.Write(b)
	return err
}

// inject sends one whole packet of this package's own between
// pkg/sftp's.
func (pw *packetWriter) inject(b []byte) error {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	_, err := pw.w.Write(b)
	return err
}

func (pw *packetWriter) Close() error { return pw.w.Close() }
