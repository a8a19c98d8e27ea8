package sshalgo

import (
	"crypto/aes"
	"crypto/cipher"
	"slices"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/ssh"
)

func TestPreferCiphers(t *testing.T) {
	sup := ssh.SupportedAlgorithms().Ciphers
	aes := PreferCiphers(sup, true)
	chacha := PreferCiphers(sup, false)
	if aes[0] != ssh.CipherAES128GCM || chacha[0] != ssh.CipherChaCha20Poly1305 {
		t.Errorf("first: %s with AES instructions, %s without", aes[0], chacha[0])
	}
	for _, got := range [][]string{aes, chacha} {
		a, b := slices.Clone(got), slices.Clone(sup)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("PreferCiphers changed the set: %q, want %q", got, sup)
		}
	}
	if got := PreferCiphers([]string{ssh.CipherAES128CTR}, true); !slices.Equal(got, []string{ssh.CipherAES128CTR}) {
		t.Errorf("PreferCiphers added a cipher: %q", got)
	}
}

// The two AEADs sealing SSH-sized packets on this machine: what
// PreferCiphers's choice rests on.
//
//	go test ./internal/sshalgo -run '^$' -bench Cipher
func BenchmarkCipher(b *testing.B) {
	key := make([]byte, 32)
	block, _ := aes.NewCipher(key[:16])
	gcm, _ := cipher.NewGCM(block)
	chacha, _ := chacha20poly1305.New(key)
	for _, c := range []struct {
		name string
		aead cipher.AEAD
	}{{ssh.CipherAES128GCM, gcm}, {ssh.CipherChaCha20Poly1305, chacha}} {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 32<<10, 32<<10+16)
			nonce := make([]byte, c.aead.NonceSize())
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				c.aead.Seal(buf[:0], nonce, buf, nil)
			}
		})
	}
}
