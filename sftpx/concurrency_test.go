package sftpx

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	pathpkg "path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// localWalkOrder is the order a put -r meets the files under root: each
// directory's entries by name, depth first.
func localWalkOrder(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	es, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		p := filepath.Join(root, e.Name())
		if e.IsDir() {
			out = append(out, localWalkOrder(t, p)...)
		} else {
			out = append(out, p)
		}
	}
	return out
}

// remoteWalkOrder is the order a get -r or cp -r meets the files under
// root: the server's listings, depth first, each in name order.
func remoteWalkOrder(t *testing.T, c *Client, root string) []string {
	t.Helper()
	var out []string
	fis, err := c.SFTP().ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(fis, func(a, b os.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
	for _, fi := range fis {
		p := pathpkg.Join(root, fi.Name())
		if fi.IsDir() {
			out = append(out, remoteWalkOrder(t, c, p)...)
		} else {
			out = append(out, p)
		}
	}
	return out
}

// oneAtATime wraps an Events callback and counts the calls that overlapped
// another.
type oneAtATime struct {
	in, overlaps atomic.Int64
}

func (o *oneAtATime) wrap(f func(Event)) func(Event) {
	return func(e Event) {
		if o.in.Add(1) > 1 {
			o.overlaps.Add(1)
		}
		defer o.in.Add(-1)
		runtime.Gosched() // a window for another call to come in
		f(e)
	}
}

// A tree of many small files and a few of several chunks each goes up
// with put -r, comes back with get -r and is copied with cp -r, the files
// moving several at once: every byte arrives, nothing else is left on
// the server, and the Results come in the order the walk met the files,
// as when they moved one at a time. Events never overlap.
func TestSSHDTreeRoundTripConcurrent(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	files := map[string][]byte{"empty": nil}
	for i := range 70 {
		files[fmt.Sprintf("d%d/f%02d", i%4, i)] = randomBytes(t, 1+i%13)
	}
	files["d1/sub/deeper/x"] = randomBytes(t, 5)
	// Several chunks each (OpenSSH serves 255 KiB), ragged ends.
	files["big1"] = randomBytes(t, 1<<20+1)
	files["d2/big2"] = randomBytes(t, 700<<10+17)
	files["d3/big3"] = randomBytes(t, 2<<20+13)
	for n, b := range files {
		writeLocal(t, filepath.Join(src, n), b)
	}
	remote := filepath.Join(dir, "remote")
	os.Mkdir(remote, 0o755)

	var once oneAtATime
	ev := &events{}
	o := sshdOptions(t, p, "", key, f)
	o.Events = once.wrap(ev.add)
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	// same checks a tree against files, and that it holds nothing else.
	same := func(what, root string) {
		t.Helper()
		var want []string
		for n := range files {
			want = append(want, n)
			for d := pathpkg.Dir(n); d != "."; d = pathpkg.Dir(d) {
				if !slices.Contains(want, d+"/") {
					want = append(want, d+"/")
				}
			}
		}
		slices.Sort(want)
		if got := tree(t, root); !slices.Equal(got, want) {
			t.Errorf("%s holds %q\nwant %q", what, got, want)
		}
		for n, b := range files {
			if got, err := os.ReadFile(filepath.Join(root, n)); err != nil || !bytes.Equal(got, b) {
				t.Errorf("%s: %s: %d bytes, %v; want %d bytes", what, n, len(got), err, len(b))
			}
		}
	}
	// results checks the Results: all good, in the order want.
	results := func(what string, rs []Result, want []string, src func(Result) string, rel func(string) string) {
		t.Helper()
		var got []string
		for _, r := range rs {
			got = append(got, src(r))
			if r.Err != nil || r.Skipped {
				t.Errorf("%s: %+v", what, r)
				continue
			}
			if b := files[rel(src(r))]; r.SHA256 != sum(b) || r.Bytes != int64(len(b)) {
				t.Errorf("%s: %s: %d bytes, sha256 %s; want %d, %s", what, src(r), r.Bytes, r.SHA256, len(b), sum(b))
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: Results in the order\n%q\nwant the walk's\n%q", what, got, want)
		}
	}

	rs := collect(func(each func(Result)) { c.Put(ctx, src, remote, TransferOptions{Recursive: true}, each) })
	results("put -r", rs, localWalkOrder(t, src), func(r Result) string { return r.Local },
		func(p string) string { return strings.TrimPrefix(p, src+"/") })
	same("the server", filepath.Join(remote, "src"))

	up := filepath.Join(remote, "src")
	order := remoteWalkOrder(t, c, up)
	back := filepath.Join(dir, "back")
	os.Mkdir(back, 0o755)
	rs = collect(func(each func(Result)) { c.Get(ctx, up, back, TransferOptions{Recursive: true}, each) })
	results("get -r", rs, order, func(r Result) string { return r.Remote },
		func(p string) string { return strings.TrimPrefix(p, up+"/") })
	same("the download", filepath.Join(back, "src"))

	from, err := Dial(context.Background(), sshdOptions(t, p, "", key, f))
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	copied := filepath.Join(dir, "copied")
	os.Mkdir(copied, 0o755)
	rs = collect(func(each func(Result)) { c.Copy(ctx, from, up, copied, TransferOptions{Recursive: true}, each) })
	results("cp -r", rs, order, func(r Result) string { return r.Local },
		func(p string) string { return strings.TrimPrefix(p, up+"/") })
	same("the copy", filepath.Join(copied, "src"))

	noWarnings(t, ev)
	if n := once.overlaps.Load(); n > 0 {
		t.Errorf("%d Events calls overlapped another", n)
	}
}

// overlapGate sits in an in-process server's SFTP stream and holds back
// the first request that ends one file's transfer (hold: a put's rename,
// a get's read) until the server has seen a second file opened. Files
// moved one at a time can never get past it: the first file waits for
// its request, and no second file is opened before it is done; the
// transfer then fails when the deadline kills the connection. The gate
// spans all the SFTP sessions of the connection (a tree's files move over
// several, lanes.go): a file opened on another session counts.
type overlapGate struct {
	hold func(typ byte, body []byte) bool

	mu       sync.Mutex
	opened   map[string]bool // files opened, by name (a temporary name by its file's)
	held     []byte          // the request held back, framed
	heldTo   *io.PipeWriter  // the session it goes on
	released bool            // it went on, with a second file open
}

// gateStream is one session's stream through the gate.
type gateStream struct {
	rwc io.ReadWriteCloser
	pr  *io.PipeReader
}

func gate(hold func(typ byte, body []byte) bool) (*overlapGate, func(io.ReadWriteCloser) io.ReadWriteCloser) {
	g := &overlapGate{hold: hold, opened: map[string]bool{}}
	return g, func(rwc io.ReadWriteCloser) io.ReadWriteCloser {
		pr, pw := io.Pipe()
		go g.pump(rwc, pw)
		return &gateStream{rwc: rwc, pr: pr}
	}
}

func (g *overlapGate) pump(rwc io.ReadWriteCloser, pw *io.PipeWriter) {
	type send struct {
		to  *io.PipeWriter
		pkt []byte
	}
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(rwc, hdr[:]); err != nil {
			pw.CloseWithError(err)
			return
		}
		pkt := make([]byte, 4+binary.BigEndian.Uint32(hdr[:]))
		copy(pkt, hdr[:])
		if _, err := io.ReadFull(rwc, pkt[4:]); err != nil {
			pw.CloseWithError(err)
			return
		}
		typ, body := pkt[4], pkt[9:] // after the type and the request id
		var out []send
		g.mu.Lock()
		switch {
		case typ == 3: // SSH_FXP_OPEN
			if name, _, ok := sshString(body); ok {
				g.opened[fileOf(string(name))] = true
			}
			out = append(out, send{pw, pkt})
			if g.held != nil && len(g.opened) >= 2 {
				out = append(out, send{g.heldTo, g.held})
				g.held, g.released = nil, true
			}
		case !g.released && g.held == nil && g.hold(typ, body):
			if len(g.opened) >= 2 {
				out, g.released = append(out, send{pw, pkt}), true
			} else {
				g.held, g.heldTo = pkt, pw
			}
		default:
			out = append(out, send{pw, pkt})
		}
		g.mu.Unlock()
		for _, p := range out {
			if _, err := p.to.Write(p.pkt); err != nil && p.to == pw {
				return
			}
		}
	}
}

// fileOf names the file an upload's temporary file is for.
func fileOf(name string) string {
	dir, base := pathpkg.Split(name)
	if i := strings.LastIndex(base, tempInfix); i > 0 && isTempName(base) {
		return dir + base[1:i]
	}
	return name
}

func (g *overlapGate) overlapped() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.released
}

func (s *gateStream) Read(p []byte) (int, error)  { return s.pr.Read(p) }
func (s *gateStream) Write(p []byte) (int, error) { return s.rwc.Write(p) }
func (s *gateStream) Close() error {
	s.pr.Close()
	return s.rwc.Close()
}

func isRename(typ byte, body []byte) bool {
	if typ == 18 { // SSH_FXP_RENAME
		return true
	}
	name, _, ok := sshString(body)
	return typ == 200 && ok && string(name) == posixRename // SSH_FXP_EXTENDED
}

func isRead(typ byte, _ []byte) bool { return typ == 5 } // SSH_FXP_READ

// The files of a put -r and of a get -r really move at once: a second file
// is opened before the first one's transfer ends (overlapGate). One file
// at a time, the first file's last request would wait for a second file
// that is never opened, until the deadline.
func TestTreeFilesOverlap(t *testing.T) {
	for _, tc := range []struct {
		name string
		hold func(byte, []byte) bool
		run  func(*testServer, *Client) []Result
	}{
		{"put", isRename, func(s *testServer, c *Client) []Result {
			src := filepath.Join(t.TempDir(), "src")
			for i := range 5 {
				writeLocal(t, filepath.Join(src, fmt.Sprint("f", i)), []byte{byte(i)})
			}
			return collect(func(each func(Result)) {
				c.Put(context.Background(), src, "/", TransferOptions{Recursive: true}, each)
			})
		}},
		{"get", isRead, func(s *testServer, c *Client) []Result {
			for i := range 5 {
				s.fs.write(t, fmt.Sprint("/src/f", i), []byte{byte(i)})
			}
			return collect(func(each func(Result)) {
				c.Get(context.Background(), "/src", t.TempDir(), TransferOptions{Recursive: true}, each)
			})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, wrap := gate(tc.hold)
			s, c, _ := dialServer(t, serverConfig{wrapStream: wrap})
			rs := tc.run(s, c)
			if len(rs) != 5 {
				t.Fatalf("%d Results, want 5: %+v", len(rs), rs)
			}
			for _, r := range rs {
				if r.Err != nil {
					t.Errorf("%s: %v", r.Remote, r.Err)
				}
			}
			if !g.overlapped() {
				t.Errorf("no second file was opened before the first one's transfer ended")
			}
		})
	}
}

// A server that stalls during a get -r of several files at once: the
// deadline still kills the connection, every file fails with ErrTimeout,
// in the walk's order, and nothing is left locally.
func TestTreeStallTimesOut(t *testing.T) {
	s, keyPath := stallingServer(t)
	for i := range 5 {
		s.fs.write(t, fmt.Sprint("/src/f", i), []byte("data"))
	}
	f, _ := pinFile(t, s.Host, s.Port, s.cfg.hostKeys[0].PublicKey())
	o := s.options(keyPath, f)
	o.Timeout = 300 * time.Millisecond
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	order := remoteWalkOrder(t, c, "/src")
	dir := t.TempDir()
	rs := collect(func(each func(Result)) {
		c.Get(context.Background(), "/src", dir, TransferOptions{Recursive: true}, each)
	})
	var got []string
	for _, r := range rs {
		got = append(got, r.Remote)
		if !errors.Is(r.Err, ErrTimeout) {
			t.Errorf("%s: %v, want ErrTimeout", r.Remote, r.Err)
		}
	}
	if !slices.Equal(got, order) {
		t.Errorf("Results for %q, want %q", got, order)
	}
	if got := tree(t, dir); !slices.Equal(got, []string{"src/"}) {
		t.Errorf("local files %q after a stalled get", got)
	}
}

// Ctrl-C during a put -r with several files in flight: every upload stops,
// removes its temporary file on the still live connection, and only then
// does the connection go. The server keeps no temporary file, and what it
// holds of the tree is whole files only.
func TestInterruptedPutTreeLeavesNoTempFiles(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	src := filepath.Join(t.TempDir(), "src")
	files := map[string][]byte{}
	for i := range 8 {
		files[fmt.Sprintf("big%d", i)] = randomBytes(t, 8<<20)
	}
	for i := range 10 {
		files[fmt.Sprintf("small/s%d", i)] = randomBytes(t, 10)
	}
	for n, b := range files {
		writeLocal(t, filepath.Join(src, n), b)
	}
	remote := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ev := &events{}
	var cancelled atomic.Bool
	moving := map[string]bool{} // files part sent; the events are serialised
	o := sshdOptions(t, p, "", key, f)
	o.Events = func(e Event) {
		ev.add(e)
		if e.Kind != EventProgress || e.Verify {
			return
		}
		moving[e.Remote] = e.Bytes > 0 && e.Bytes < e.Total
		n := 0
		for _, m := range moving {
			if m {
				n++
			}
		}
		if n >= 2 && cancelled.CompareAndSwap(false, true) {
			cancel()
		}
	}
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rs := collect(func(each func(Result)) { c.Put(ctx, src, remote, TransferOptions{Recursive: true}, each) })
	if !cancelled.Load() {
		t.Fatalf("never two files in flight, so no cancellation (%d Results)", len(rs))
	}
	interrupted := 0
	for _, r := range rs {
		switch {
		case errors.Is(r.Err, context.Canceled):
			interrupted++
			if d := r.Err.(*TransferError).Reason(); d != "interrupted" {
				t.Errorf("%s: the reason reads %q, want \"interrupted\"", r.Local, d)
			}
		case r.Err != nil:
			t.Errorf("%s: %v, want success or an interruption", r.Local, r.Err)
		}
	}
	if interrupted < 2 {
		t.Errorf("%d uploads interrupted, want the two or more in flight", interrupted)
	}
	err = filepath.WalkDir(remote, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case isTempName(d.Name()):
			t.Errorf("the server kept the temporary file %s", p)
		case d.Type().IsRegular():
			rel, _ := filepath.Rel(filepath.Join(remote, "src"), p)
			if got, _ := os.ReadFile(p); !bytes.Equal(got, files[rel]) {
				t.Errorf("%s: %d bytes, want the whole file's %d", rel, len(got), len(files[rel]))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	noWarnings(t, ev)
	// As for one file: after the cancellation the connection is done with.
	if _, err := c.List(context.Background(), remote); !errors.Is(err, context.Canceled) {
		t.Errorf("List after the cancellation: %v, want context.Canceled", err)
	}
}
