package kexinit_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/kexinit"
)

// gexServer is a scripted server that offers group exchange: it reads the
// client's hello, sends its own, reads the group request and hands it to
// answer, which writes whatever the case wants.
func gexServer(t *testing.T, kex []string, answer func(c net.Conn, req kexinit.GroupRequest)) (string, int, chan kexinit.GroupRequest) {
	t.Helper()
	reqs := make(chan kexinit.GroupRequest, 8)
	host, port := hostile(t, func(c net.Conn, done <-chan struct{}) {
		br := bufio.NewReader(c)
		if _, err := br.ReadString('\n'); err != nil {
			return
		}
		if _, err := readPayload(br); err != nil {
			return
		}
		w := opensshWire()
		w.KexAlgos = kex
		c.Write(append([]byte("SSH-2.0-gextest\r\n"), framePacket(ssh.Marshal(w))...))
		p, err := readPayload(br)
		if err != nil || len(p) != 13 || p[0] != 34 {
			return
		}
		req := kexinit.GroupRequest{Min: binary.BigEndian.Uint32(p[1:]), N: binary.BigEndian.Uint32(p[5:]), Max: binary.BigEndian.Uint32(p[9:])}
		reqs <- req
		answer(c, req)
	})
	return host, port, reqs
}

func readPayload(br *bufio.Reader) ([]byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, err
	}
	length := binary.BigEndian.Uint32(hdr[:])
	if length > 35000 || uint32(hdr[4])+1 >= length {
		return nil, errors.New("framing")
	}
	body := make([]byte, length-1)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, err
	}
	return body[:len(body)-int(hdr[4])], nil
}

// groupOf is an odd number of exactly bits bits: the probe reads sizes, it
// never computes with the group, so it need not be prime.
func groupOf(bits int) *big.Int {
	p := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	return p.Add(p, big.NewInt(1))
}

func groupPayload(p, g *big.Int) []byte {
	b := []byte{31}
	b = appendMpint(b, p)
	return appendMpint(b, g)
}

func appendMpint(b []byte, v *big.Int) []byte {
	raw := v.Bytes()
	if len(raw) > 0 && raw[0]&0x80 != 0 {
		raw = append([]byte{0}, raw...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(raw)))
	return append(b, raw...)
}

// sendGroup answers with the smallest of the sizes the server "has" that
// fits the request, the way RFC 4419 §3 asks.
func sendGroup(sizes ...int) func(net.Conn, kexinit.GroupRequest) {
	return func(c net.Conn, req kexinit.GroupRequest) {
		pick := sizes[len(sizes)-1]
		for _, s := range sizes {
			if uint32(s) >= req.Min && uint32(s) >= req.N {
				pick = s
				break
			}
		}
		for _, s := range sizes {
			if uint32(s) >= req.Min && uint32(s) <= req.Max && uint32(s) >= req.N {
				pick = s
				break
			}
		}
		c.Write(framePacket(groupPayload(groupOf(pick), big.NewInt(2))))
		drainUntilClose(c)
	}
}

func probeGroup(t *testing.T, host string, port int) (*kexinit.Hello, *kexinit.GroupMeasure, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := kexinit.Dial(ctx, host, port)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return kexinit.ProbeGroup(conn, kexinit.Limits{}, kexinit.ModernRequest)
}

func TestProbeGroup(t *testing.T) {
	gex := []string{"curve25519-sha256", "diffie-hellman-group-exchange-sha256"}
	tests := []struct {
		name   string
		kex    []string
		answer func(net.Conn, kexinit.GroupRequest)
		bits   int          // 0: no group
		kind   kexinit.Kind // of the measure's error
		broken bool
		none   bool // no measure at all: group exchange not offered
	}{
		{name: "2048-bit group", kex: gex, answer: sendGroup(2048), bits: 2048},
		{name: "3072 from several", kex: gex, answer: sendGroup(1024, 2048, 3072, 4096), bits: 3072},
		{name: "1024 is all it has", kex: gex, answer: sendGroup(1024), bits: 1024},
		{name: "sha1 only", kex: []string{"diffie-hellman-group-exchange-sha1"}, answer: sendGroup(4096), bits: 4096},
		{name: "ignore packets first", kex: gex, answer: func(c net.Conn, r kexinit.GroupRequest) {
			c.Write(ignorePacket())
			c.Write(ignorePacket())
			sendGroup(2048)(c, r)
		}, bits: 2048},
		{name: "resets when gex is chosen (paramiko 2.12)", kex: gex, answer: func(c net.Conn, _ kexinit.GroupRequest) {
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}, kind: kexinit.KindClosed, broken: true},
		{name: "disconnects", kex: gex, answer: func(c net.Conn, _ kexinit.GroupRequest) {
			c.Write(disconnectPacket(3, "no groups"))
		}, kind: kexinit.KindDisconnect, broken: true},
		{name: "wrong message", kex: gex, answer: func(c net.Conn, _ kexinit.GroupRequest) {
			c.Write(framePacket([]byte{33, 0, 0, 0, 0}))
		}, kind: kexinit.KindMalformed, broken: true},
		{name: "hostile mpint length", kex: gex, answer: func(c net.Conn, _ kexinit.GroupRequest) {
			c.Write(framePacket([]byte{31, 0xff, 0xff, 0xff, 0xff, 1}))
		}, kind: kexinit.KindMalformed, broken: true},
		{name: "hostile packet length", kex: gex, answer: func(c net.Conn, _ kexinit.GroupRequest) {
			c.Write([]byte{0xff, 0xff, 0xff, 0xf0, 4})
		}, kind: kexinit.KindMalformed, broken: true},
		{name: "no group exchange offered", kex: []string{"curve25519-sha256"}, none: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, port, reqs := gexServer(t, tt.kex, tt.answer)
			h, m, err := probeGroup(t, host, port)
			if err != nil || h == nil || h.KexInit == nil {
				t.Fatalf("hello: %v", err)
			}
			if tt.none {
				if m != nil {
					t.Fatalf("measure %+v on a server without group exchange", m)
				}
				return
			}
			if m == nil || m.NotSent != "" {
				t.Fatalf("measure %+v", m)
			}
			if got := <-reqs; got != kexinit.ModernRequest {
				t.Errorf("server read request %+v, want %+v", got, kexinit.ModernRequest)
			}
			if tt.bits > 0 {
				if m.Err != nil || m.Group == nil || m.Group.Bits() != tt.bits {
					t.Fatalf("got %+v, want a %d-bit group", m, tt.bits)
				}
				return
			}
			if m.Group != nil || kexinit.KindOf(m.Err) != tt.kind || m.Broken() != tt.broken {
				t.Fatalf("got group %v err %v (kind %q, broken %v), want kind %q broken %v", m.Group, m.Err, kexinit.KindOf(m.Err), m.Broken(), tt.kind, tt.broken)
			}
		})
	}
}

// TestMeasureGroupsConnections: the smallest group costs one connection
// more when the probe measured the modern one, two when it did not, and
// none when the first answer already breaks the floor or broke the server.
func TestMeasureGroupsConnections(t *testing.T) {
	gex := []string{"diffie-hellman-group-exchange-sha256"}
	tests := []struct {
		name             string
		answer           func(net.Conn, kexinit.GroupRequest)
		fromProbe        bool
		conns            int
		modern, smallest int // bits; -1: broken
	}{
		{"probe measured, asyncssh-like", sendGroup(1024, 2048, 3072), true, 1, 3072, 1024},
		{"scan mode, two connections", sendGroup(1024, 2048, 3072), false, 2, 3072, 1024},
		{"floor already broken", sendGroup(1024), true, 0, 1024, 1024},
		{"openssh-like floor", sendGroup(2048, 3072), true, 1, 3072, 2048},
		{"broken on the modern request", func(c net.Conn, _ kexinit.GroupRequest) { c.Close() }, true, 0, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, port, _ := gexServer(t, gex, tt.answer)
			h, m, err := probeGroup(t, host, port)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.fromProbe {
				m = nil
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			waits := 0
			gx := kexinit.MeasureGroups(ctx, host, port, h.KexInit, m, kexinit.Limits{}, func() error { waits++; return nil })
			if gx == nil {
				t.Fatal("no measures")
			}
			if gx.Connections != tt.conns || waits != tt.conns {
				t.Errorf("connections %d (waits %d), want %d", gx.Connections, waits, tt.conns)
			}
			bits := func(m *kexinit.GroupMeasure) int {
				switch {
				case m == nil, m.NotSent != "":
					return 0
				case m.Broken():
					return -1
				case m.Group != nil:
					return m.Group.Bits()
				}
				return 0
			}
			if bits(gx.Modern) != tt.modern || bits(gx.Smallest) != tt.smallest {
				t.Errorf("modern %d smallest %d, want %d and %d (%+v / %+v)", bits(gx.Modern), bits(gx.Smallest), tt.modern, tt.smallest, gx.Modern, gx.Smallest)
			}
			if tt.smallest > 0 && gx.Smallest.Request != kexinit.SmallestRequest && tt.conns > 0 {
				t.Errorf("smallest asked with %+v", gx.Smallest.Request)
			}
		})
	}
	if gx := kexinit.MeasureGroups(context.Background(), "127.0.0.1", 1, &kexinit.KexInit{KexAlgos: []string{"curve25519-sha256"}}, nil, kexinit.Limits{}, nil); gx != nil {
		t.Errorf("measures for a server without group exchange: %+v", gx)
	}
}

func TestParseGroup(t *testing.T) {
	good := groupPayload(groupOf(2048), big.NewInt(2))
	tests := []struct {
		name string
		in   []byte
		bits int // 0: an error
	}{
		{"2048", good, 2048},
		{"trailing bytes tolerated", append(append([]byte{}, good...), 1, 2, 3), 2048},
		{"empty", nil, 0},
		{"wrong type", append([]byte{30}, good[1:]...), 0},
		{"truncated p", good[:100], 0},
		{"no g", good[:5+len(groupOf(2048).Bytes())+1], 0},
		{"negative p", []byte{31, 0, 0, 0, 1, 0x80, 0, 0, 0, 1, 2}, 0},
		{"zero p", []byte{31, 0, 0, 0, 0, 0, 0, 0, 1, 2}, 0},
		{"huge length", []byte{31, 0x7f, 0xff, 0xff, 0xff}, 0},
		{"over the size bound", append([]byte{31, 0, 0, 0x08, 0x02}, make([]byte, 0x802)...), 0},
	}
	for _, tt := range tests {
		g, err := kexinit.ParseGroup(tt.in)
		switch {
		case tt.bits == 0 && err == nil:
			t.Errorf("%s: no error, group of %d bits", tt.name, g.Bits())
		case tt.bits == 0:
			var me *kexinit.MalformedError
			if !errors.As(err, &me) {
				t.Errorf("%s: error %T %v, want *MalformedError", tt.name, err, err)
			}
		case err != nil || g.Bits() != tt.bits:
			t.Errorf("%s: %v, %v; want %d bits", tt.name, g, err, tt.bits)
		}
	}
}

// TestMeasureGroupsStopsAfterTimeout: a server that sat on the modern
// request is not asked again: a tarpit costs one timeout, not two.
func TestMeasureGroupsStopsAfterTimeout(t *testing.T) {
	server := &kexinit.KexInit{KexAlgos: []string{"diffie-hellman-group-exchange-sha256"}}
	modern := &kexinit.GroupMeasure{Algorithm: "diffie-hellman-group-exchange-sha256", Request: kexinit.ModernRequest,
		Err: &kexinit.Error{Kind: kexinit.KindTimeout, Phase: "gex", Detail: "timed out"}}
	dialed := false
	gx := kexinit.MeasureGroups(context.Background(), "127.0.0.1", 1, server, modern, kexinit.Limits{}, func() error { dialed = true; return nil })
	if gx.Connections != 0 || dialed || gx.Smallest == nil || !strings.Contains(gx.Smallest.NotSent, "timed out") {
		t.Errorf("after a timeout: %d connections, smallest %+v", gx.Connections, gx.Smallest)
	}
}
