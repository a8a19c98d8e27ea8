package kexinit

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"slices"
	"strings"
)

// GEXAlgorithms are the group-exchange key exchange names, in the order a
// probe prefers them: SHA-2 before SHA-1.
var GEXAlgorithms = []string{
	"diffie-hellman-group-exchange-sha256",
	"diffie-hellman-group-exchange-sha512@ssh.com",
	"diffie-hellman-group-exchange-sha384@ssh.com",
	"diffie-hellman-group-exchange-sha256@ssh.com",
	"diffie-hellman-group-exchange-sha224@ssh.com",
	"diffie-hellman-group-exchange-sha1",
}

// OfferedGEX lists the group-exchange names k offers, in k's order.
func OfferedGEX(k *KexInit) []string {
	var out []string
	if k == nil {
		return out
	}
	for _, n := range k.KexAlgos {
		if slices.Contains(GEXAlgorithms, n) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// GroupMeasure is one group request and what the server did with it.
// Exactly one of Group and Err is set once the request was sent; NotSent
// says why it was not (the connection could not reach group exchange).
type GroupMeasure struct {
	Algorithm string
	Request   GroupRequest
	Group     *Group
	Err       error
	NotSent   string
}

// Broken reports whether the server failed the exchange it offered: it
// closed the connection, disconnected or sent garbage once group exchange
// was chosen. A timeout is not counted: it may be the network's.
func (m *GroupMeasure) Broken() bool {
	if m == nil || m.Err == nil {
		return false
	}
	k := KindOf(m.Err)
	return k == KindClosed || k == KindDisconnect || k == KindMalformed || k == KindLimit
}

// gexProbeKexInit is the probe's KEXINIT with the group-exchange names
// first: RFC 4253 §7.1 picks the client's first name the server also
// offers, so a server that offers group exchange chooses it, and the
// probe's own connection can go on to read a group.
func gexProbeKexInit() KexInit {
	k := probeKexInit
	kex := slices.Clone(GEXAlgorithms)
	for _, n := range probeKexInit.KexAlgos {
		if !slices.Contains(kex, n) {
			kex = append(kex, n)
		}
	}
	k.KexAlgos = kex
	rand.Read(k.Cookie[:])
	return k
}

// ProbeGroup is Probe that, when the server offers group exchange, goes on
// in the same connection to send req and read the group. The measure is
// nil when the server offers no group exchange. The caller owns conn and
// its deadline.
func ProbeGroup(conn net.Conn, lim Limits, req GroupRequest) (*Hello, *GroupMeasure, error) {
	ours := gexProbeKexInit()
	if _, err := conn.Write(AppendPacket([]byte(ClientVersion+"\r\n"), ours.Marshal())); err != nil {
		return nil, nil, classify(err, "banner", 0)
	}
	h, rest, err := readHello(conn, lim)
	if err != nil {
		return nil, nil, err
	}
	m := exchangeGroup(conn, rest, &ours, h.KexInit, req, lim)
	return h, m, nil
}

// MeasureGroup opens the exchange on a fresh connection with a KEXINIT that
// mirrors server's own lists, all but the key exchange, which is alg alone:
// whatever else the server insists on, it finds it. The caller owns conn.
func MeasureGroup(conn net.Conn, server *KexInit, alg string, req GroupRequest, lim Limits) *GroupMeasure {
	ours := KexInit{
		KexAlgos:                []string{alg},
		ServerHostKeyAlgos:      server.ServerHostKeyAlgos,
		CiphersClientServer:     server.CiphersClientServer,
		CiphersServerClient:     server.CiphersServerClient,
		MACsClientServer:        server.MACsClientServer,
		MACsServerClient:        server.MACsServerClient,
		CompressionClientServer: server.CompressionClientServer,
		CompressionServerClient: server.CompressionServerClient,
		LanguagesClientServer:   []string{},
		LanguagesServerClient:   []string{},
	}
	rand.Read(ours.Cookie[:])
	m := &GroupMeasure{Algorithm: alg, Request: req}
	if _, err := conn.Write(AppendPacket([]byte(ClientVersion+"\r\n"), ours.Marshal())); err != nil {
		m.NotSent = "could not send the client hello: " + strings.TrimPrefix(classify(err, "banner", 0).Error(), "kexinit: ")
		return m
	}
	h, rest, err := readHello(conn, lim)
	if err != nil {
		m.NotSent = "could not read the server's hello again: " + strings.TrimPrefix(err.Error(), "kexinit: ")
		return m
	}
	if got := exchangeGroup(conn, rest, &ours, h.KexInit, req, lim); got != nil {
		return got
	}
	m.NotSent = "the server no longer offers " + alg
	return m
}

// exchangeGroup negotiates like RFC 4253 §7.1 and, when group exchange
// was chosen and every other list agrees, requests the group.
func exchangeGroup(conn net.Conn, rest io.Reader, ours, server *KexInit, req GroupRequest, lim Limits) *GroupMeasure {
	alg := firstCommon(ours.KexAlgos, server.KexAlgos)
	if !slices.Contains(GEXAlgorithms, alg) {
		return nil
	}
	m := &GroupMeasure{Algorithm: alg, Request: req}
	if what := disagreement(ours, server); what != "" {
		// The server would close the connection on its own; that says
		// nothing about its group exchange.
		m.NotSent = "the probe shares no " + what + " with the server"
		return m
	}
	// A guess is wrong when the server's first kex is not the one chosen.
	guess := server.FirstKexFollows && len(server.KexAlgos) > 0 && server.KexAlgos[0] != alg
	m.Group, m.Err = RequestGroup(conn, rest, req, lim, guess)
	return m
}

func firstCommon(client, server []string) string {
	for _, c := range client {
		if slices.Contains(server, c) {
			return c
		}
	}
	return ""
}

// disagreement names the first list, other than kex, with no common name.
// The MAC lists do not matter where an AEAD cipher was chosen.
func disagreement(c, s *KexInit) string {
	if firstCommon(c.ServerHostKeyAlgos, s.ServerHostKeyAlgos) == "" {
		return "host key algorithm"
	}
	for _, d := range []struct{ ciphers, macs, comp [2][]string }{
		{[2][]string{c.CiphersClientServer, s.CiphersClientServer}, [2][]string{c.MACsClientServer, s.MACsClientServer}, [2][]string{c.CompressionClientServer, s.CompressionClientServer}},
		{[2][]string{c.CiphersServerClient, s.CiphersServerClient}, [2][]string{c.MACsServerClient, s.MACsServerClient}, [2][]string{c.CompressionServerClient, s.CompressionServerClient}},
	} {
		cipher := firstCommon(d.ciphers[0], d.ciphers[1])
		if cipher == "" {
			return "cipher"
		}
		aead := cipher == "chacha20-poly1305@openssh.com" || strings.HasSuffix(cipher, "-gcm@openssh.com")
		if !aead && firstCommon(d.macs[0], d.macs[1]) == "" {
			return "MAC"
		}
		if firstCommon(d.comp[0], d.comp[1]) == "" {
			return "compression"
		}
	}
	return ""
}

// GroupExchange is what a server's group exchange hands out: the group a
// modern client gets and the smallest it gives anyone.
type GroupExchange struct {
	Offered     []string
	Modern      *GroupMeasure
	Smallest    *GroupMeasure
	Connections int // connections spent here, beyond the probe's
}

// MeasureGroups completes the measures of a server that offers group
// exchange: modern is the measure the probe's own connection made (nil when
// the probe was a key scan); the rest take at most two fresh connections to
// addr, one per missing measure. The smallest is not asked for when the
// modern answer already fails the 2048-bit floor, or when the server broke
// or timed out on the modern request. wait, when set, is called before each connection
// (the caller's pacing); its error stops the measures.
func MeasureGroups(ctx context.Context, addr string, port int, server *KexInit, modern *GroupMeasure, lim Limits, wait func() error) *GroupExchange {
	gx := &GroupExchange{Offered: OfferedGEX(server), Modern: modern}
	if len(gx.Offered) == 0 {
		return nil
	}
	alg := firstCommon(GEXAlgorithms, gx.Offered)
	measure := func(req GroupRequest) *GroupMeasure {
		m := &GroupMeasure{Algorithm: alg, Request: req}
		if wait != nil {
			if err := wait(); err != nil {
				m.NotSent = "not tried: " + err.Error()
				return m
			}
		}
		conn, err := Dial(ctx, addr, port)
		if err != nil {
			m.NotSent = "could not connect: " + strings.TrimPrefix(err.Error(), "kexinit: ")
			return m
		}
		defer conn.Close()
		gx.Connections++
		return MeasureGroup(conn, server, alg, req, lim)
	}
	if gx.Modern == nil || gx.Modern.NotSent != "" {
		gx.Modern = measure(ModernRequest)
	}
	switch {
	case gx.Modern.Broken():
		gx.Smallest = &GroupMeasure{Algorithm: alg, Request: SmallestRequest, NotSent: "not asked: the server broke on the modern request"}
	case KindOf(gx.Modern.Err) == KindTimeout:
		// A server that sat on one request would sit on the next: a
		// tarpit must not cost the run a second timeout.
		gx.Smallest = &GroupMeasure{Algorithm: alg, Request: SmallestRequest, NotSent: "not asked: the modern request timed out"}
	case gx.Modern.Group != nil && gx.Modern.Group.Bits() <= int(SmallestRequest.N):
		// Nothing smaller is worth a connection: the floor is already broken.
		gx.Smallest = gx.Modern
	default:
		gx.Smallest = measure(SmallestRequest)
	}
	return gx
}
