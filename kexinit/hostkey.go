package kexinit

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"slices"
	"strings"
)

// ReadHostKey opens a key exchange on conn just far enough to read the
// host key the server would present for hostKeyAlg: it sends a KEXINIT
// mirroring the server's lists with that one host key algorithm, a
// throwaway key exchange message, and stops at the server's reply, which
// carries the host key blob in the clear. Nothing is proved (the
// signature is not checked): it serves to describe a key a client would
// refuse. The caller owns conn and its deadline.
func ReadHostKey(conn net.Conn, server *KexInit, hostKeyAlg string, lim Limits) ([]byte, error) {
	lim = lim.orDefault()
	kex, init, err := throwawayInit(server.KexAlgos)
	if err != nil {
		return nil, err
	}
	ours := KexInit{
		KexAlgos: []string{kex}, ServerHostKeyAlgos: []string{hostKeyAlg},
		CiphersClientServer: server.CiphersClientServer, CiphersServerClient: server.CiphersServerClient,
		MACsClientServer: server.MACsClientServer, MACsServerClient: server.MACsServerClient,
		CompressionClientServer: server.CompressionClientServer, CompressionServerClient: server.CompressionServerClient,
		LanguagesClientServer: []string{}, LanguagesServerClient: []string{},
	}
	rand.Read(ours.Cookie[:])
	if _, err := conn.Write(AppendPacket([]byte(ClientVersion+"\r\n"), ours.Marshal())); err != nil {
		return nil, classify(err, "banner", 0)
	}
	h, rest, err := readHello(conn, lim)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(h.KexInit.ServerHostKeyAlgos, hostKeyAlg) {
		return nil, &Error{Kind: KindMalformed, Phase: "kex", Detail: "the server no longer offers " + hostKeyAlg}
	}
	if _, err := conn.Write(AppendPacket(nil, init)); err != nil {
		return nil, classify(err, "kex", 0)
	}
	received := 0
	for {
		payload, n, err := readPacket(rest, lim)
		received += n
		if err != nil {
			return nil, classify(err, "kex", received)
		}
		if received > lim.MaxBytes {
			return nil, &Error{Kind: KindLimit, Phase: "kex", Detail: fmt.Sprintf("server sent more than %d bytes without a key exchange reply", lim.MaxBytes)}
		}
		switch payload[0] {
		case msgIgnore, msgDebug:
			continue
		case msgDisconnect:
			return nil, &Error{Kind: KindDisconnect, Phase: "kex", Detail: "server disconnected during the key exchange: " + disconnectReason(payload)}
		case 31:
			if blob := keyBlobAt(payload[1:]); blob != nil {
				return append([]byte(nil), blob...), nil
			}
		}
		return nil, &Error{Kind: KindMalformed, Phase: "kex", Detail: fmt.Sprintf("server sent message type %d where its key exchange reply belongs", payload[0])}
	}
}

// throwawayInit picks a key exchange the server offers whose first client
// message is easy to make (ECDH or a fixed group) and makes it with a key
// that is never used again.
func throwawayInit(server []string) (string, []byte, error) {
	for _, k := range server {
		var curve ecdh.Curve
		switch {
		case k == "curve25519-sha256" || k == "curve25519-sha256@libssh.org":
			curve = ecdh.X25519()
		case k == "ecdh-sha2-nistp256":
			curve = ecdh.P256()
		case k == "ecdh-sha2-nistp384":
			curve = ecdh.P384()
		case k == "ecdh-sha2-nistp521":
			curve = ecdh.P521()
		case strings.HasPrefix(k, "diffie-hellman-group") && !strings.Contains(k, "exchange"):
			// e = 2 lies in (1, p-1) for every fixed group: valid, and
			// nothing is ever derived from it.
			return k, []byte{30, 0, 0, 0, 1, 2}, nil
		default:
			continue
		}
		priv, err := curve.GenerateKey(rand.Reader)
		if err != nil {
			return "", nil, err
		}
		pub := priv.PublicKey().Bytes()
		b := binary.BigEndian.AppendUint32([]byte{30}, uint32(len(pub)))
		return k, append(b, pub...), nil
	}
	return "", nil, &Error{Kind: KindMalformed, Phase: "kex", Detail: "the server offers no key exchange the host key reader implements"}
}
