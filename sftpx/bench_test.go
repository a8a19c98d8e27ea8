package sftpx

import (
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// The transfer benchmarks against a real sshd on loopback. bench/sftp.sh
// compares the sshpin binary with OpenSSH's sftp; these measure the
// package alone, and what the read-back of an upload costs:
//
//	GOGC=400 SSHPIN_BENCH_MIB=1024 go test ./sftpx -run '^$' -bench SSHD -benchtime 3x
//
// (GOGC=400 is what the sshpin command sets for a transfer.)
//
// "put/unverified" uploads without reading anything back. No command does
// that; it is here to show the price of the proof.
func BenchmarkSSHD(b *testing.B) {
	mib := 64
	if v := os.Getenv("SSHPIN_BENCH_MIB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("SSHPIN_BENCH_MIB=%q", v)
		}
		mib = n
	}
	size := int64(mib) << 20
	p, key, f := sshdPeer(b, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	o := sshdOptions(b, p, "", key, f)
	o.Timeout = time.Minute
	dir := b.TempDir()
	src := filepath.Join(dir, "src.bin")
	sf, err := os.Create(src)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(sf, rand.Reader, size); err != nil {
		b.Fatal(err)
	}
	sf.Close()
	remote := filepath.Join(dir, "remote.bin")
	ctx := context.Background()

	// fresh removes a destination and writes the page cache out, untimed,
	// as bench/sftp.sh does: no run pays for another's unlink or dirty pages.
	fresh := func(b *testing.B, path string) {
		b.StopTimer()
		os.Remove(path)
		syscall.Sync()
		b.StartTimer()
	}
	dial := func(b *testing.B) *Client {
		c, err := Dial(ctx, o)
		if err != nil {
			b.Fatalf("Dial: %v\n%s", err, p.Log())
		}
		b.Cleanup(func() { c.Close() })
		return c
	}
	b.Run("put", func(b *testing.B) {
		c := dial(b)
		b.SetBytes(size)
		for range b.N {
			fresh(b, remote)
			if r := c.PutFile(ctx, src, remote); r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	})
	b.Run("put/unverified", func(b *testing.B) {
		c := dial(b)
		b.SetBytes(size)
		for range b.N {
			fresh(b, remote+".unverified")
			lf, err := os.Open(src)
			if err != nil {
				b.Fatal(err)
			}
			w, err := c.sftp.OpenFile(remote+".unverified", os.O_WRONLY|os.O_CREATE|os.O_EXCL)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, _, err := c.upload(ctx, lf, w, false, func(int64, int64) {}); err != nil {
				b.Fatal(err)
			}
			w.Close()
			lf.Close()
		}
	})
	b.Run("get", func(b *testing.B) {
		c := dial(b)
		b.SetBytes(size)
		for range b.N {
			fresh(b, filepath.Join(dir, "back.bin"))
			if r := c.GetFile(ctx, remote, filepath.Join(dir, "back.bin")); r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	})
}
