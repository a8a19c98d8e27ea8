package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/report"
)

// A hostile SFTP server, which no real peer can be made into: the names
// it lists are ones a terminal would act on, or not one path element at
// all, and its login directory is such a name too. The CLI must show
// every one of them escaped, and skip those that are not one element.

// hostileNames are in /d, each file holding its index in the list.
var hostileNames = []string{
	"esc\x1b]0;pwned\x07\x1b[2J",    // retitle, clear the screen
	"line\nsha256:forged",           // a forged output line
	"cr\rover",                      // overwrite the line
	"c1\u009b31m\u0085",             // C1 controls, as UTF-8
	"raw\x9b31m",                    // 8-bit CSI, not UTF-8
	"bidi\u202egnp.exe\u2066\u200f", // reordering
	"bad\xff\xfe",                   // not UTF-8
	`back\slash`,
}

// suspectNames are added to the listing of /d; no file has them.
var suspectNames = []string{"../escape", "a/b", "", "x\x00y"}

// hostileLogin is what the server resolves "." to; it holds in-login.
const hostileLogin = "/home\x1b[1;31m\u202eevil\xff"

func hostileCmds(t *testing.T) map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		// hostile-sftp -accept KEY NAME starts the hostile server,
		// letting in the client key named (client-key); $NAME is its
		// host:port, $NAME_PINS pins its key.
		"hostile-sftp": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 3 || args[0] != "-accept" {
				ts.Fatalf("usage: hostile-sftp -accept KEY NAME")
			}
			accept, name := ts.Getenv(args[1]+"_FP"), args[2]
			h := hostileHandlers(ts)
			signer, err := ssh.NewSignerFromKey(newEd25519(ts))
			ts.Check(err)
			cfg := &ssh.ServerConfig{
				PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
					if keyHex(k) == accept {
						return nil, nil
					}
					return nil, errors.New("unknown key")
				},
			}
			cfg.AddHostKey(signer)
			f := listen(ts, peersOf(t, ts), name, func(c net.Conn) { serveSFTP(c, cfg, h) })
			addr := f.ln.Addr().(*net.TCPAddr)
			pins := filepath.Join(ts.Getenv("WORK"), name+".pins")
			line := fmt.Sprintf("[127.0.0.1]:%d %s", addr.Port, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))))
			ts.Check(os.WriteFile(pins, []byte(line+"\n"), 0o600))
			ts.Setenv(name+"_PINS", pins)
		},
		// no-raw-control FILE checks no line of FILE (stdout, stderr)
		// holds anything report.Safe escapes.
		"no-raw-control": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 1 {
				ts.Fatalf("usage: no-raw-control FILE")
			}
			for l := range strings.Lines(ts.ReadFile(args[0])) {
				l = strings.TrimSuffix(l, "\n")
				if i := report.RawControl(l); i >= 0 {
					ts.Fatalf("%s: a raw control at byte %d of %q", args[0], i, l)
				}
			}
		},
		// lines-in FILE WANT checks each line of WANT, its $VARs
		// expanded, is a line of FILE; "..." at either end of a WANT line
		// stands for anything there.
		"lines-in": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 2 {
				ts.Fatalf("usage: lines-in FILE WANT")
			}
			got := strings.Split(ts.ReadFile(args[0]), "\n")
			for w := range strings.Lines(os.Expand(ts.ReadFile(args[1]), ts.Getenv)) {
				w = strings.TrimSuffix(w, "\n")
				if !containsLine(got, w) {
					ts.Fatalf("%s has no line %q:\n%s", args[0], w, ts.ReadFile(args[0]))
				}
			}
		},
		// json-locals FILE N checks FILE's records that are not skipped
		// are N and each names a file that exists by "local", or, where
		// the name is not UTF-8, by "local_escaped", which one at least
		// has: a script finds the files a run wrote by its --json.
		"json-locals": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 2 {
				ts.Fatalf("usage: json-locals FILE N")
			}
			want, err := strconv.Atoi(args[1])
			ts.Check(err)
			found, escaped := 0, 0
			for l := range strings.Lines(ts.ReadFile(args[0])) {
				var rec map[string]any
				if err := json.Unmarshal([]byte(l), &rec); err != nil {
					ts.Fatalf("not JSON: %q", l)
				}
				if rec["skipped"] == true {
					continue
				}
				local, _ := rec["local"].(string)
				if esc, ok := rec["local_escaped"].(string); ok {
					escaped++
					local, err = strconv.Unquote(`"` + strings.ReplaceAll(esc, `"`, `\"`) + `"`)
					if err != nil {
						ts.Fatalf("local_escaped %q: %v", esc, err)
					}
				}
				if _, err := os.Stat(local); err != nil {
					ts.Fatalf("%s names no file: %v", strings.TrimSpace(l), err)
				}
				found++
			}
			if found != want || escaped == 0 {
				ts.Fatalf("%d files found by their records (%d by local_escaped), want %d and some by local_escaped", found, escaped, want)
			}
		},
	}
}

func containsLine(lines []string, w string) bool {
	pre, post := strings.HasPrefix(w, "..."), strings.HasSuffix(w, "...") && len(w) >= 6
	core := w
	if pre {
		core = core[3:]
	}
	if post {
		core = core[:len(core)-3]
	}
	for _, l := range lines {
		switch {
		case pre && post && strings.Contains(l, core),
			pre && !post && strings.HasSuffix(l, core),
			!pre && post && strings.HasPrefix(l, core),
			!pre && !post && l == core:
			return true
		}
	}
	return false
}

// hostileHandlers are pkg/sftp's in-memory file system, seeded, behind
// hostileList; one lock serialises its commands and listings, which
// pkg/sftp's do not guard against one another.
func hostileHandlers(ts *testscript.TestScript) sftp.Handlers {
	mu := &sync.Mutex{}
	h := sftp.InMemHandler()
	h.FileCmd = &lockedCmd{h.FileCmd, mu}
	h.FileList = &hostileList{h.FileList, mu}
	// Seeded through a client of its own over a pipe, no SSH.
	a, b := net.Pipe()
	srv := sftp.NewRequestServer(a, h)
	go srv.Serve()
	cl, err := sftp.NewClientPipe(b, b)
	ts.Check(err)
	ts.Defer(func() { cl.Close(); srv.Close() })
	write := func(p, data string) {
		ts.Check(cl.MkdirAll(path.Dir(p)))
		f, err := cl.Create(p)
		ts.Check(err)
		_, err = f.Write([]byte(data))
		ts.Check(err)
		ts.Check(f.Close())
	}
	for i, n := range hostileNames {
		write("/d/"+n, strconv.Itoa(i))
	}
	write(hostileLogin+"/in-login", "login")
	return h
}

// serveSFTP is one SSH connection whose sessions may ask for sftp.
func serveSFTP(c net.Conn, cfg *ssh.ServerConfig, h sftp.Handlers) {
	conn, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	defer conn.Close()
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	defer wg.Wait()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer ch.Close()
			for req := range creqs {
				if req.Type != "subsystem" || len(req.Payload) < 4 || string(req.Payload[4:]) != "sftp" {
					req.Reply(false, nil)
					continue
				}
				req.Reply(true, nil)
				go ssh.DiscardRequests(creqs)
				srv := sftp.NewRequestServer(ch, h)
				srv.Serve()
				srv.Close()
				return
			}
		}()
	}
}

type lockedCmd struct {
	sftp.FileCmder
	mu *sync.Mutex
}

func (l *lockedCmd) Filecmd(r *sftp.Request) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.FileCmder.Filecmd(r)
}

func (l *lockedCmd) PosixRename(r *sftp.Request) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.FileCmder.(sftp.PosixRenameFileCmder).PosixRename(r)
}

// hostileList lists /d with suspectNames added and resolves "." to
// hostileLogin; it hands out copies of listings, taken under the lock,
// since pkg/sftp's are the live files a rename writes.
type hostileList struct {
	sftp.FileLister
	mu *sync.Mutex
}

func (l *hostileList) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fis, err := snapshot(l.FileLister.Filelist(r))
	if err != nil || r.Method != "List" || r.Filepath != "/d" || len(fis) == 0 {
		return fis, err
	}
	for _, s := range suspectNames {
		f := fis[0]
		fis = append(fis, fileSnap{s, f.size, f.mode, f.mod, f.sys})
	}
	return fis, nil
}

func (l *hostileList) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return snapshot(l.FileLister.(sftp.LstatFileLister).Lstat(r))
}

func (l *hostileList) Readlink(p string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.FileLister.(sftp.ReadlinkFileLister).Readlink(p)
}

func (l *hostileList) RealPath(p string) (string, error) {
	if p == "." || p == "" {
		return hostileLogin, nil
	}
	if !strings.HasPrefix(p, "/") {
		p = hostileLogin + "/" + p
	}
	return path.Clean(p), nil
}

func snapshot(la sftp.ListerAt, err error) (listing, error) {
	if err != nil {
		return nil, err
	}
	var all listing
	buf := make([]fs.FileInfo, 32)
	for off := int64(0); ; {
		n, err := la.ListAt(buf, off)
		for _, fi := range buf[:n] {
			all = append(all, fileSnap{fi.Name(), fi.Size(), fi.Mode(), fi.ModTime(), fi.Sys()})
		}
		off += int64(n)
		if err == io.EOF || n == 0 {
			return all, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

type listing []fileSnap

func (l listing) ListAt(out []fs.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := 0
	for _, f := range l[off:] {
		if n == len(out) {
			return n, nil
		}
		out[n] = f
		n++
	}
	return n, io.EOF
}

type fileSnap struct {
	name string
	size int64
	mode fs.FileMode
	mod  time.Time
	sys  any
}

func (f fileSnap) Name() string       { return f.name }
func (f fileSnap) Size() int64        { return f.size }
func (f fileSnap) Mode() fs.FileMode  { return f.mode }
func (f fileSnap) ModTime() time.Time { return f.mod }
func (f fileSnap) IsDir() bool        { return f.mode.IsDir() }
func (f fileSnap) Sys() any           { return f.sys }
