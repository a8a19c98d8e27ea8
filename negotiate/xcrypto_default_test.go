package negotiate

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"slices"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/kexinit"
)

// TestXCryptoDefaultProfileIsWhatXCryptoSends reads the KEXINIT of a real
// x/crypto client with a default ClientConfig and compares it with the
// profile, list by list.
func TestXCryptoDefaultProfileIsWhatXCryptoSends(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan *kexinit.KexInit, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		c.Write([]byte("SSH-2.0-test\r\n"))
		br := bufio.NewReader(c)
		if _, err := br.ReadString('\n'); err != nil {
			got <- nil
			return
		}
		var hdr [5]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			got <- nil
			return
		}
		body := make([]byte, binary.BigEndian.Uint32(hdr[:])-1)
		if _, err := io.ReadFull(br, body); err != nil {
			got <- nil
			return
		}
		k, _ := kexinit.Parse(body[:len(body)-int(hdr[4])])
		got <- k
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go ssh.NewClientConn(conn, "x", &ssh.ClientConfig{User: "u", HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	k := <-got
	if k == nil {
		t.Fatal("no client KEXINIT")
	}
	p, ok := ProfileByName("xcrypto-default")
	if !ok {
		t.Fatal("no xcrypto-default profile")
	}
	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"kex", k.KexAlgos, p.KexAlgos}, {"host keys", k.ServerHostKeyAlgos, p.HostKeyAlgos},
		{"ciphers", k.CiphersClientServer, p.Ciphers}, {"macs", k.MACsClientServer, p.MACs},
		{"compression", k.CompressionClientServer, p.Compression},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s:\n x/crypto sends %v\n profile has    %v", c.name, c.got, c.want)
		}
	}
}

// TestXCryptoDefaultPicksECDSA: against a server with Ed25519, ECDSA and
// RSA keys the default client verifies the ECDSA one.
func TestXCryptoDefaultPicksECDSA(t *testing.T) {
	k := &kexinit.KexInit{KexAlgos: []string{"curve25519-sha256"}, ServerHostKeyAlgos: []string{"ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512"},
		CiphersClientServer: []string{"aes128-ctr"}, CiphersServerClient: []string{"aes128-ctr"},
		MACsClientServer: []string{"hmac-sha2-256"}, MACsServerClient: []string{"hmac-sha2-256"},
		CompressionClientServer: []string{"none"}, CompressionServerClient: []string{"none"}}
	def, _ := ProfileByName("xcrypto-default")
	if got := hostKeyChoice(t, Negotiate(k, def)); got != "ecdsa-sha2-nistp256" {
		t.Errorf("default client picks %q", got)
	}
}

func hostKeyChoice(t *testing.T, r *Result) string {
	t.Helper()
	return r.Chosen(SlotHostKey)
}
