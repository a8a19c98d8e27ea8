package sftpx

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// SFTP request types the tests count, besides refuse_test.go's.
const (
	fxpOpen    = 3
	fxpFstat2  = 8
	fxpWrite   = 6
	fxpOpendir = 11
	fxpStat    = 17
)

// requestCounter counts the client's SFTP requests by type (extended ones
// by name), over every session of a connection.
type requestCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (rc *requestCounter) wrap(rwc io.ReadWriteCloser) io.ReadWriteCloser {
	return &countingStream{ReadWriteCloser: rwc, rc: rc}
}

func (rc *requestCounter) counts() map[string]int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := map[string]int{}
	for k, v := range rc.n {
		out[k] = v
	}
	return out
}

type countingStream struct {
	io.ReadWriteCloser
	rc  *requestCounter
	buf []byte
}

// Read passes the client's bytes to the server, counting each whole
// packet as it goes by.
func (c *countingStream) Read(p []byte) (int, error) {
	n, err := c.ReadWriteCloser.Read(p)
	c.buf = append(c.buf, p[:n]...)
	for len(c.buf) >= 9 {
		size := int(binary.BigEndian.Uint32(c.buf))
		if len(c.buf) < 4+size {
			break
		}
		pkt := c.buf[4 : 4+size]
		c.buf = c.buf[4+size:]
		name := fmt.Sprint(pkt[0])
		switch pkt[0] {
		case fxpExtended:
			if ext, _, ok := sshString(pkt[5:]); ok {
				name = string(ext)
			}
		case fxpOpen:
			// An OPEN whose attributes carry a mode (openModes).
			if _, rest, ok := sshString(pkt[5:]); ok && len(rest) >= 8 && binary.BigEndian.Uint32(rest[4:])&attrPermissions != 0 {
				name = "open+mode"
			}
		}
		c.rc.mu.Lock()
		if c.rc.n == nil {
			c.rc.n = map[string]int{}
		}
		c.rc.n[name]++
		c.rc.mu.Unlock()
	}
	return n, err
}

// A tree of small files is made of round trips, so the requests each file
// costs are its speed (bench/sftp.sh FILES=2000). Into a directory put -r
// made, an upload has nothing to look up (no LSTAT of the destination, no
// listing for leftovers), and a file whose final mode lets only its owner
// write gets that mode at once (one FSETSTAT, no SETSTAT at the end). A
// get -r of files the listing said are regular opens them without a STAT
// first. Before: put 9 requests a file (LSTAT, OPEN, FSETSTAT, WRITE,
// fsync, SETSTAT, CLOSE, STAT, rename), get 6.
func TestTreeRequestsPerFile(t *testing.T) {
	const files = 40
	var rc requestCounter
	s, c, _ := dialServer(t, serverConfig{wrapStream: rc.wrap})
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "tree")
	for i := range files {
		writeLocal(t, filepath.Join(src, fmt.Sprintf("f%02d", i)), []byte(fmt.Sprintf("file %d\n", i)))
	}
	os.Chmod(filepath.Join(src, "f00"), 0o664) // group-writable: private until the end
	if err := s.fs.cl.MkdirAll("/up"); err != nil {
		t.Fatal(err)
	}
	before := rc.counts()
	var failed []error
	c.Put(ctx, src, "/up", TransferOptions{Recursive: true}, func(r Result) {
		if r.Err != nil {
			failed = append(failed, r.Err)
		}
	})
	if len(failed) > 0 {
		t.Fatalf("put -r: %v", failed)
	}
	put := diff(rc.counts(), before)
	for name, want := range map[string]int{
		fmt.Sprint(fxpLstat):   0, // of destinations in a new directory
		fmt.Sprint(fxpOpendir): 0, // no listing for leftovers
		fmt.Sprint(fxpOpen):    0,
		"open+mode":            files, // every OPEN carries its mode
		// The server creates every file 0644, which is what the
		// 0644 files ask for: only f00 (asked 0600 while it is
		// written, 0664 at the end) needs both.
		fmt.Sprint(fxpFsetstat): 1,
		fmt.Sprint(fxpSetstat):  1,
		fmt.Sprint(fxpWrite):    files,
		fmt.Sprint(fxpClose):    files,
		fmt.Sprint(fxpStat):     files + 1, // the size after close; and the destination, once
		posixRename:             files,
	} {
		if put[name] != want {
			t.Errorf("put -r of %d files: %d requests of type %s, want %d (all: %v)", files, put[name], name, want, put)
		}
	}
	// What the server makes of a mode is asked once per mode, per
	// session (putLanes of them).
	if n := put[fmt.Sprint(fxpFstat)]; n < 2 || n > putLanes+1 {
		t.Errorf("put -r: %d FSTAT requests, want 2 to %d (all: %v)", n, putLanes+1, put)
	}
	for i := range files {
		p := fmt.Sprintf("/up/tree/f%02d", i)
		if got := string(s.fs.read(t, p)); got != fmt.Sprintf("file %d\n", i) {
			t.Errorf("%s holds %q", p, got)
		}
	}

	dst := t.TempDir()
	before = rc.counts()
	c.Get(ctx, "/up/tree", dst, TransferOptions{Recursive: true}, func(r Result) {
		if r.Err != nil {
			failed = append(failed, r.Err)
		}
	})
	if len(failed) > 0 {
		t.Fatalf("get -r: %v", failed)
	}
	get := diff(rc.counts(), before)
	// The STATs: the source, to tell a directory (Get), and the
	// destination's parent... none per file.
	if get[fmt.Sprint(fxpStat)] > 2 || get[fmt.Sprint(fxpOpen)] != files {
		t.Errorf("get -r of %d files: %d STAT and %d OPEN requests, want at most 2 and %d (all: %v)", files, get[fmt.Sprint(fxpStat)], get[fmt.Sprint(fxpOpen)], files, get)
	}
	for i := range files {
		p := filepath.Join(dst, "tree", fmt.Sprintf("f%02d", i))
		if got, err := os.ReadFile(p); err != nil || string(got) != fmt.Sprintf("file %d\n", i) {
			t.Errorf("%s: %q, %v", p, got, err)
		}
	}
}

// A server that ignores the mode in an OPEN (this one creates every file
// 0644) must not leave a file that should be private readable while it is
// written: each 0600 upload gets an FSETSTAT before its first write.
func TestTempFilePrivateOnServerIgnoringOpenMode(t *testing.T) {
	const files = 10
	var rc requestCounter
	_, c, _ := dialServer(t, serverConfig{wrapStream: rc.wrap})
	src := filepath.Join(t.TempDir(), "keys")
	for i := range files {
		p := filepath.Join(src, fmt.Sprintf("k%d", i))
		writeLocal(t, p, []byte("secret"))
		if err := os.Chmod(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c.Put(context.Background(), src, "/", TransferOptions{Recursive: true}, func(r Result) {
		if r.Err != nil {
			t.Error(r.Err)
		}
	})
	if got := rc.counts(); got[fmt.Sprint(fxpFsetstat)] != files {
		t.Errorf("%d FSETSTAT requests for %d private files on a server that creates them 0644, want one each (all: %v)", got[fmt.Sprint(fxpFsetstat)], files, got)
	}
}

func diff(after, before map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// earlyMode decides whether a file being uploaded may carry its final mode
// while it is written: never when that lets anyone but its owner write it,
// nor when it does not let its owner write.
func TestEarlyMode(t *testing.T) {
	for _, tt := range []struct {
		mode fs.FileMode
		want bool
	}{
		{0o644, true}, {0o600, true}, {0o755, true}, {0o700, true}, {0o200, true},
		{0o664, false}, {0o666, false}, {0o775, false}, {0o646, false}, {0o662, false},
		{0o444, false}, {0o400, false}, {0o000, false}, {0o555, false},
	} {
		if got := earlyMode(tt.mode); got != tt.want {
			t.Errorf("earlyMode(%#o) = %v, want %v", tt.mode, got, tt.want)
		}
	}
}
