package scan

import (
	"context"
	"testing"
	"time"
)

// BenchmarkProbe is one probe of an in-process x/crypto server: connect,
// hello out, hello in. It measures sshpin's own cost per target.
func BenchmarkProbe(b *testing.B) {
	ed, ec, rs := signers(b)
	srv := startServer(b, serverConfig(ed, ec, rs), nil)
	tg := srv.target(b)
	b.ReportAllocs()
	for b.Loop() {
		if r := Probe(context.Background(), tg, Options{Timeout: 10 * time.Second}); r.Err != nil {
			b.Fatal(r.Err)
		}
	}
}

// BenchmarkScan is a full scan of a server with three key types: three
// handshakes, most of the time in the server's and client's crypto.
func BenchmarkScan(b *testing.B) {
	ed, ec, rs := signers(b)
	srv := startServer(b, serverConfig(ed, ec, rs), nil)
	tg := srv.target(b)
	b.ReportAllocs()
	for b.Loop() {
		if r := Scan(context.Background(), tg, Options{Timeout: 10 * time.Second}); r.Err != nil || len(r.Keys) != 3 {
			b.Fatal(r.Err)
		}
	}
}
