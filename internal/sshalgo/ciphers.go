package sshalgo

import (
	"slices"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/cpu"
)

// FastAES tells whether this CPU has the instructions Go's AES-GCM
// assembly uses (AES rounds and carry-less multiplication for GHASH).
// Without them Go's AES is a constant-time software fallback several
// times slower than ChaCha20-Poly1305, which needs no special
// instructions.
var FastAES = cpu.X86.HasAES && cpu.X86.HasPCLMULQDQ ||
	cpu.ARM64.HasAES && cpu.ARM64.HasPMULL ||
	cpu.S390X.HasAES && cpu.S390X.HasAESGCM ||
	cpu.PPC64.IsPOWER8

// PreferCiphers orders the ciphers (all of them rated ok: the list is not
// changed, only its order) by speed on a machine with or without fastAES,
// since the client's order decides what is negotiated: AES-GCM first
// where the CPU accelerates it (bench: 32 KiB packets, ciphers_test.go),
// else ChaCha20-Poly1305 first. A connection that moves bulk data uses
// it; scan, which only looks, offers x/crypto's order.
func PreferCiphers(ciphers []string, fastAES bool) []string {
	first := []string{ssh.CipherChaCha20Poly1305}
	if fastAES {
		first = []string{ssh.CipherAES128GCM, ssh.CipherAES256GCM}
	}
	out := make([]string, 0, len(ciphers))
	for _, c := range first {
		if slices.Contains(ciphers, c) {
			out = append(out, c)
		}
	}
	for _, c := range ciphers {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
