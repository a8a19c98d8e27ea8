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
			if _, _, _, err := c.upload(ctx, lf, w, size, false, func(int64, int64) {}); err != nil {
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

// BenchmarkSSHDTree is put -r and get -r of a directory of small files
// (SSHPIN_BENCH_FILES, 2000 by default) to a real sshd on loopback, what
// bench/sftp.sh FILES=2000 times against OpenSSH's sftp. A file of a few
// bytes costs round trips and syncs, not bytes; profile it with
//
//	go test ./sftpx -run '^$' -bench SSHDTree -benchtime 3x -cpuprofile cpu.out -blockprofile block.out
func BenchmarkSSHDTree(b *testing.B) {
	files := 2000
	if v := os.Getenv("SSHPIN_BENCH_FILES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("SSHPIN_BENCH_FILES=%q", v)
		}
		files = n
	}
	p, key, f := sshdPeer(b, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	o := sshdOptions(b, p, "", key, f)
	o.Timeout = time.Minute
	dir := b.TempDir()
	src := filepath.Join(dir, "many")
	if err := os.Mkdir(src, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range files {
		if err := os.WriteFile(filepath.Join(src, "f"+strconv.Itoa(i)), []byte("f"+strconv.Itoa(i)+"\n"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	c, err := Dial(ctx, o)
	if err != nil {
		b.Fatalf("Dial: %v\n%s", err, p.Log())
	}
	b.Cleanup(func() { c.Close() })
	fresh := func(b *testing.B, path string) {
		b.StopTimer()
		os.RemoveAll(path)
		syscall.Sync()
		b.StartTimer()
	}
	check := func(b *testing.B) func(Result) {
		return func(r Result) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	remote := filepath.Join(dir, "remote")
	b.Run("put-r", func(b *testing.B) {
		for range b.N {
			fresh(b, remote)
			c.Put(ctx, src, remote, TransferOptions{Recursive: true}, check(b))
		}
	})
	got := filepath.Join(dir, "got")
	b.Run("get-r", func(b *testing.B) {
		for range b.N {
			fresh(b, got)
			c.Get(ctx, remote, got, TransferOptions{Recursive: true}, check(b))
		}
	})
}
