// Package kexinit reads an SSH server's hello, its version line and its first
// SSH_MSG_KEXINIT, straight off the wire, without any key exchange. It works
// on servers no client can negotiate with, because it never negotiates.
// Beyond the hello it reads only what a key exchange sends in the clear
// before any computation: the group-exchange group (gex.go) and the host
// key of the server's reply (hostkey.go, the Tap), then hangs up.
package kexinit

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// MsgKexInit is SSH_MSG_KEXINIT (RFC 4253 §12).
const MsgKexInit = 20

// KexInit is the body of an SSH_MSG_KEXINIT (RFC 4253 §7.1). The JSON names
// are the RFC's, which the user contract fixes.
type KexInit struct {
	Cookie                  [16]byte `json:"-"`
	KexAlgos                []string `json:"kex_algorithms"`
	ServerHostKeyAlgos      []string `json:"server_host_key_algorithms"`
	CiphersClientServer     []string `json:"encryption_algorithms_client_to_server"`
	CiphersServerClient     []string `json:"encryption_algorithms_server_to_client"`
	MACsClientServer        []string `json:"mac_algorithms_client_to_server"`
	MACsServerClient        []string `json:"mac_algorithms_server_to_client"`
	CompressionClientServer []string `json:"compression_algorithms_client_to_server"`
	CompressionServerClient []string `json:"compression_algorithms_server_to_client"`
	LanguagesClientServer   []string `json:"languages_client_to_server"`
	LanguagesServerClient   []string `json:"languages_server_to_client"`
	FirstKexFollows         bool     `json:"first_kex_packet_follows"`
	Reserved                uint32   `json:"-"`
}

// FieldNames are the RFC 4253 names of the ten name-lists, in wire order.
var FieldNames = [10]string{
	"kex_algorithms",
	"server_host_key_algorithms",
	"encryption_algorithms_client_to_server",
	"encryption_algorithms_server_to_client",
	"mac_algorithms_client_to_server",
	"mac_algorithms_server_to_client",
	"compression_algorithms_client_to_server",
	"compression_algorithms_server_to_client",
	"languages_client_to_server",
	"languages_server_to_client",
}

// Lists returns pointers to the ten name-lists in wire order, so that parsing,
// marshalling and rendering walk one table instead of ten fields.
func (k *KexInit) Lists() [10]*[]string {
	return [10]*[]string{
		&k.KexAlgos, &k.ServerHostKeyAlgos,
		&k.CiphersClientServer, &k.CiphersServerClient,
		&k.MACsClientServer, &k.MACsServerClient,
		&k.CompressionClientServer, &k.CompressionServerClient,
		&k.LanguagesClientServer, &k.LanguagesServerClient,
	}
}

// HasshServer is the hasshServer fingerprint: the MD5 of the server's kex,
// server-to-client cipher, MAC and compression lists, each joined as sent.
func (k *KexInit) HasshServer() string {
	s := strings.Join([]string{
		strings.Join(k.KexAlgos, ","),
		strings.Join(k.CiphersServerClient, ","),
		strings.Join(k.MACsServerClient, ","),
		strings.Join(k.CompressionServerClient, ","),
	}, ";")
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// MalformedError says what in a KEXINIT or packet could not be parsed.
type MalformedError struct {
	Where string // "packet", "kexinit", or the RFC 4253 §7.1 name of the field: "cookie", a name-list, "first_kex_packet_follows", "reserved"
	What  string
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("kexinit: malformed %s: %s", e.Where, e.What)
}

// maxNameList bounds one name-list; real servers send under 2 KiB in all.
const maxNameList = 64 << 10

// Parse parses a KEXINIT payload, message number included. Every length is
// checked against what remains before anything is sliced, so a hostile
// length is an error, never an allocation.
func Parse(payload []byte) (*KexInit, error) {
	if len(payload) == 0 {
		return nil, &MalformedError{"kexinit", "empty payload"}
	}
	if payload[0] != MsgKexInit {
		return nil, &MalformedError{"kexinit", fmt.Sprintf("message type %d, want %d", payload[0], MsgKexInit)}
	}
	b := payload[1:]
	k := new(KexInit)
	if len(b) < 16 {
		return nil, &MalformedError{"cookie", fmt.Sprintf("truncated: %d of 16 bytes", len(b))}
	}
	copy(k.Cookie[:], b)
	b = b[16:]
	for i, list := range k.Lists() {
		name := FieldNames[i]
		if len(b) < 4 {
			return nil, &MalformedError{name, "truncated before its length"}
		}
		n := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(n) > uint64(len(b)) {
			return nil, &MalformedError{name, fmt.Sprintf("length %d exceeds the %d bytes left", n, len(b))}
		}
		if n > maxNameList {
			return nil, &MalformedError{name, fmt.Sprintf("length %d exceeds the limit of %d", n, maxNameList)}
		}
		*list = splitNameList(string(b[:n]))
		b = b[n:]
	}
	if len(b) < 1 {
		return nil, &MalformedError{"first_kex_packet_follows", "truncated after the name-lists"}
	}
	if len(b) < 5 {
		return nil, &MalformedError{"reserved", fmt.Sprintf("truncated: %d of 4 bytes", len(b)-1)}
	}
	k.FirstKexFollows = b[0] != 0
	k.Reserved = binary.BigEndian.Uint32(b[1:])
	// Trailing bytes are tolerated: RFC 4253 §7.1 ends the message here, but
	// a reader that fails on them would lose the server's lists for nothing.
	return k, nil
}

// splitNameList never returns nil, so that JSON shows [] for an empty list.
func splitNameList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// Marshal encodes k as a KEXINIT payload, message number included.
func (k *KexInit) Marshal() []byte {
	b := []byte{MsgKexInit}
	b = append(b, k.Cookie[:]...)
	for _, list := range k.Lists() {
		s := strings.Join(*list, ",")
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	if k.FirstKexFollows {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return binary.BigEndian.AppendUint32(b, k.Reserved)
}
