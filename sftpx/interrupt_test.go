package sftpx

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/knownhosts"
)

// pinnedAt pins p's host keys under the forwarder's address.
func pinnedAt(t *testing.T, f *testpeer.Forwarder, p *testpeer.Peer) (*knownhosts.File, string) {
	t.Helper()
	return pinFile(t, f.Host, f.Port, p.Keys(t)...)
}

// tempFiles lists the upload temporary files in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, n := range dirNames(t, dir) {
		if isTempName(n) {
			out = append(out, n)
		}
	}
	return out
}

// noWarnings fails the test for every warning ev holds.
func noWarnings(t *testing.T, ev *events) {
	t.Helper()
	ev.mu.Lock()
	defer ev.mu.Unlock()
	for _, e := range ev.all {
		if e.Kind == EventWarning {
			t.Errorf("warning: %s", e.Message)
		}
	}
}

// Ctrl-C during a put left the partial temporary file on the server: the
// cancellation killed the connection before the upload could remove it.
// Now the upload stops sending, lets the requests in flight finish and
// removes the file on the live connection before it returns. The server's
// directory is looked at directly: sshd runs on this machine.
func TestInterruptedPutLeavesNoTempFile(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	data := randomBytes(t, 16<<20)
	src := filepath.Join(t.TempDir(), "src")
	writeLocal(t, src, data)
	for _, tc := range []struct {
		name string
		old  []byte // the destination's content before; nil: none
	}{
		{"new file", nil},
		{"replacing", []byte("precious")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			dst := filepath.Join(dir, "dst")
			if tc.old != nil {
				writeLocal(t, dst, tc.old)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ev := &events{}
			o := sshdOptions(t, p, "", key, f)
			var progressed *atomic.Bool
			o.Events, progressed = atFirstMiB(ev, cancel)
			c, err := Dial(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			r := c.PutFile(ctx, src, dst)
			if !progressed.Load() {
				t.Fatalf("no progress, so no cancellation: %+v", r)
			}
			if !errors.Is(r.Err, context.Canceled) || r.SHA256 != "" {
				t.Fatalf("PutFile = %+v, want context.Canceled", r)
			}
			if got := tempFiles(t, dir); len(got) != 0 {
				t.Errorf("the server kept the temporary file %q of the interrupted upload", got)
			}
			got, err := os.ReadFile(dst)
			switch {
			case tc.old == nil && !errors.Is(err, fs.ErrNotExist):
				t.Errorf("the destination exists after an interrupted upload: %d bytes, %v", len(got), err)
			case tc.old != nil && !bytes.Equal(got, tc.old):
				t.Errorf("the destination holds %d bytes (%v) after an interrupted upload, want its old %q", len(got), err, tc.old)
			}
			noWarnings(t, ev)
			if d := describe(r.Err.(*TransferError).Err); d != "interrupted" {
				t.Errorf("the reason reads %q, want \"interrupted\"", d)
			}
			// As before: after a cancellation the connection is done with.
			if _, err := c.List(context.Background(), dir); !errors.Is(err, context.Canceled) {
				t.Errorf("List after the cancellation: %v, want context.Canceled", err)
			}
		})
	}
}

// The same for cp: the destination's temporary file is removed, though
// the source's connection is killed at once.
func TestInterruptedCopyLeavesNoTempFile(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	srcDir, dir := t.TempDir(), t.TempDir()
	writeLocal(t, filepath.Join(srcDir, "src"), randomBytes(t, 16<<20))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	from, err := Dial(context.Background(), sshdOptions(t, p, "", key, f))
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	ev := &events{}
	o := sshdOptions(t, p, "", key, f)
	var progressed *atomic.Bool
	o.Events, progressed = atFirstMiB(ev, cancel)
	to, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer to.Close()
	r := to.CopyFile(ctx, from, filepath.Join(srcDir, "src"), filepath.Join(dir, "dst"))
	if !progressed.Load() {
		t.Fatalf("no progress, so no cancellation: %+v", r)
	}
	if !errors.Is(r.Err, context.Canceled) {
		t.Fatalf("CopyFile = %+v, want context.Canceled", r)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("after an interrupted cp the destination directory holds %q", names)
	}
	noWarnings(t, ev)
	if d := r.Err.(*TransferError).Reason(); d != "interrupted" {
		t.Errorf("the reason reads %q, want \"interrupted\"", d)
	}
}

// A get interrupted halfway leaves no local temporary file (nor the
// destination).
func TestInterruptedGetLeavesNoTempFile(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	remote := filepath.Join(t.TempDir(), "big")
	writeLocal(t, remote, randomBytes(t, 16<<20))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := sshdOptions(t, p, "", key, f)
	var progressed *atomic.Bool
	o.Events, progressed = atFirstMiB(nil, cancel)
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	r := c.GetFile(ctx, remote, filepath.Join(dir, "big"))
	if !progressed.Load() || !errors.Is(r.Err, context.Canceled) {
		t.Fatalf("GetFile = %+v (progress %v), want context.Canceled", r, progressed.Load())
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("after an interrupted get the local directory holds %q", names)
	}
	if d := r.Err.(*TransferError).Reason(); d != "interrupted" {
		t.Errorf("the reason reads %q, want \"interrupted\"", d)
	}
}

// A server that stops answering while an interrupted upload cleans up
// cannot hold it: the connection is killed after the cleanup's grace
// (here the timeout, shorter), and the error is still the interruption's.
func TestInterruptedPutStalledServerIsBounded(t *testing.T) {
	p, key, _ := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	fw := testpeer.Forward(t, p.Addr, 1<<62)
	pinned, _ := pinnedAt(t, fw, p)
	src := filepath.Join(t.TempDir(), "src")
	writeLocal(t, src, randomBytes(t, 16<<20))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := Options{Host: fw.Host, Port: fw.Port, User: testpeer.CurrentUser(), Pinned: knownhosts.NewSet(pinned), Timeout: time.Second, Auth: Auth{KeyFiles: []string{key}}}
	var progressed *atomic.Bool
	o.Events, progressed = atFirstMiB(nil, func() {
		fw.Hold()
		cancel()
	})
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := c.PutFile(ctx, src, filepath.Join(t.TempDir(), "dst"))
	if !progressed.Load() || !errors.Is(r.Err, context.Canceled) {
		t.Fatalf("PutFile = %+v, want context.Canceled", r)
	}
}

// When the connection died during an upload (the server's process killed,
// here its connection cut), the user was told "the server did not serve a
// read of the file being uploaded (connection lost); it is read back after
// the upload instead", as if reads were what the server lacked; or that
// the uploaded file differs, when pkg/sftp's io.EOF for a closed channel
// passed for the server's end of file. A read fails over to the read-back
// after the upload only when the server answered it with a status.
func TestLostConnectionDuringPutIsNoReadWarning(t *testing.T) {
	p, key, _ := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	fw := testpeer.Forward(t, p.Addr, 1<<62)
	pinned, _ := pinnedAt(t, fw, p)
	src := filepath.Join(t.TempDir(), "src")
	writeLocal(t, src, randomBytes(t, 16<<20))
	ev := &events{}
	o := Options{Host: fw.Host, Port: fw.Port, User: testpeer.CurrentUser(), Pinned: knownhosts.NewSet(pinned), Timeout: 20 * time.Second, Auth: Auth{KeyFiles: []string{key}}}
	// The worker that reports this write reads its chunk back next: that
	// read meets a dead connection.
	var killed *atomic.Bool
	o.Events, killed = atFirstMiB(ev, fw.Kill)
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := c.PutFile(context.Background(), src, filepath.Join(t.TempDir(), "dst"))
	if !killed.Load() || r.Err == nil {
		t.Fatalf("PutFile = %+v, want a failure", r)
	}
	noWarnings(t, ev)
	var ve *VerifyError
	if errors.As(r.Err, &ve) {
		t.Errorf("PutFile: %v: a lost connection is no verification failure", r.Err)
	}
	if !strings.Contains(r.Err.Error(), "connection lost") {
		t.Errorf("PutFile: %v, want it to say the connection was lost", r.Err)
	}
}

// atFirstMiB returns Events that pass every event to ev (when not nil)
// and call do, once, when a transfer reports its first MiB: well into it,
// with requests of both kinds in flight. fired says whether it did.
func atFirstMiB(ev *events, do func()) (_ func(Event), fired *atomic.Bool) {
	fired = new(atomic.Bool)
	return func(e Event) {
		if ev != nil {
			ev.add(e)
		}
		if e.Kind == EventProgress && e.Bytes >= 1<<20 && fired.CompareAndSwap(false, true) {
			do()
		}
	}, fired
}
