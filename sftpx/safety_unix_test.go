//go:build unix

package sftpx

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sshpin/sshpin/internal/testpeer"
)

func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := unix.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
}

// finishes runs fn, which must not block on the FIFO at fifo. It is the
// guard that turns the hang this file is about into a failure rather
// than the test binary's timeout: if fn is still blocked after a minute,
// opening the FIFO's other end releases it.
func finishes(t *testing.T, fifo string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Errorf("blocked on the FIFO %s", fifo)
		if w, err := os.OpenFile(fifo, os.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		<-done
	}
}

// put of a FIFO opened it before checking its type, and the open blocked
// for ever, deaf to signals. It is refused as not a regular file, also
// when the FIFO takes a regular file's place after the type was checked.
func TestPutFIFODoesNotHang(t *testing.T) {
	for _, tc := range []struct {
		name string
		swap bool // a regular file when stat'ed, a FIFO when opened
	}{
		{"fifo", false},
		{"swapped-in", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c, _ := dialServer(t, serverConfig{})
			local := filepath.Join(t.TempDir(), "fifo")
			if tc.swap {
				writeLocal(t, local, []byte("regular"))
				beforeLocalOpen = func(p string) {
					os.Remove(p)
					mkfifo(t, p)
				}
				t.Cleanup(func() { beforeLocalOpen = func(string) {} })
			} else {
				mkfifo(t, local)
			}
			var r Result
			finishes(t, local, func() { r = c.PutFile(context.Background(), local, "/up") })
			if r.Err == nil || !strings.Contains(r.Err.Error(), "not a regular file") {
				t.Errorf("PutFile of a FIFO: %v; want not a regular file", r.Err)
			}
			if names := s.fs.names(t, "/"); len(names) != 0 {
				t.Errorf("the server holds %q", names)
			}
		})
	}
	// Put, as the command calls it.
	_, c, _ := dialServer(t, serverConfig{})
	local := filepath.Join(t.TempDir(), "fifo")
	mkfifo(t, local)
	var rs []Result
	finishes(t, local, func() {
		rs = collect(func(each func(Result)) { c.Put(context.Background(), local, "/up", TransferOptions{}, each) })
	})
	if len(rs) != 1 || rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), "not a regular file") {
		t.Errorf("Put of a FIFO: %+v", rs)
	}
}

// get of a remote FIFO made the server's open wait for a writer, and the
// get ended in "timed out". It is refused as not a regular file, at once,
// and so is cp's; the connection stays usable.
func TestGetRemoteFIFONotARegularFile(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	src, dst := twoConnections(t, p, "", key, f)
	ctx := context.Background()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)
	writeLocal(t, filepath.Join(dir, "ok"), []byte("ok"))
	out := filepath.Join(t.TempDir(), "out")
	os.Mkdir(out, 0o755)

	check := func(op string, rs []Result) {
		t.Helper()
		if len(rs) != 1 || rs[0].Err == nil || errors.Is(rs[0].Err, ErrTimeout) || !strings.Contains(rs[0].Err.Error(), "not a regular file") {
			t.Errorf("%s of a FIFO: %+v; want not a regular file", op, rs)
		}
	}
	check("get", collect(func(each func(Result)) { dst.Get(ctx, fifo, out, TransferOptions{}, each) }))
	check("GetFile", []Result{dst.GetFile(ctx, fifo, filepath.Join(out, "x"))})
	check("cp", collect(func(each func(Result)) { dst.Copy(ctx, src, fifo, out, TransferOptions{}, each) }))
	check("CopyFile", []Result{dst.CopyFile(ctx, src, fifo, filepath.Join(out, "y"))})
	if names := dirNames(t, out); len(names) != 0 {
		t.Errorf("left behind: %q", names)
	}
	for _, c := range []*Client{src, dst} {
		if r := c.GetFile(ctx, filepath.Join(dir, "ok"), filepath.Join(out, "ok")); r.Err != nil {
			t.Errorf("the connection after the refusal: %v", r.Err)
		}
	}
}

// A FIFO in a tree is skipped by get -r, put -r and cp -r, not failed.
func TestTreeSkipsFIFOs(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	src, dst := twoConnections(t, p, "", key, f)
	ctx := context.Background()
	dir := t.TempDir()
	tr := filepath.Join(dir, "tr")
	writeLocal(t, filepath.Join(tr, "a"), []byte("a"))
	mkfifo(t, filepath.Join(tr, "fifo"))
	for _, tc := range []struct {
		op  string
		run func(to string, each func(Result))
		src func(Result) string
	}{
		{"get -r", func(to string, each func(Result)) { dst.Get(ctx, tr, to, TransferOptions{Recursive: true}, each) }, func(r Result) string { return r.Remote }},
		{"put -r", func(to string, each func(Result)) { dst.Put(ctx, tr, to, TransferOptions{Recursive: true}, each) }, func(r Result) string { return r.Local }},
		{"cp -r", func(to string, each func(Result)) { dst.Copy(ctx, src, tr, to, TransferOptions{Recursive: true}, each) }, func(r Result) string { return r.Local }},
	} {
		to := t.TempDir()
		var rs []Result
		finishes(t, filepath.Join(tr, "fifo"), func() { rs = collect(func(each func(Result)) { tc.run(to, each) }) })
		var skipped []string
		for _, r := range rs {
			if r.Err != nil {
				t.Errorf("%s: %s failed: %v", tc.op, tc.src(r), r.Err)
			}
			if r.Skipped {
				skipped = append(skipped, tc.src(r)+": "+r.Reason)
			}
		}
		if want := []string{filepath.Join(tr, "fifo") + ": not a regular file"}; !slices.Equal(skipped, want) {
			t.Errorf("%s: skipped %q, want %q", tc.op, skipped, want)
		}
		if got := tree(t, filepath.Join(to, "tr")); !slices.Equal(got, []string{"a"}) {
			t.Errorf("%s: the copy holds %q", tc.op, got)
		}
	}
}
