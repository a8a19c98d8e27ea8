package kexinit

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkReadHello parses a real OpenSSH hello (banner + KEXINIT) from
// memory: the CPU sshpin spends per server on top of the network.
func BenchmarkReadHello(b *testing.B) {
	data, err := os.ReadFile("../testdata/hello/openssh-modern.bin")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadHello(bytes.NewReader(data), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
