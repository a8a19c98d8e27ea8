package kexinit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/kexinit"
)

// Golden transcripts: the bytes real servers sent, from their first byte up
// to the end of their first KEXINIT, replayed without the servers.
//
//	go test ./kexinit -run TestGolden -record   # re-record from real servers, rewrite the .json
//	go test ./kexinit -run TestGolden -update   # rewrite the .json from the .bin files
const helloDir = "../testdata/hello"

var (
	recordFlag = boolFlag("record", "TestGolden: record testdata/hello/*.bin from real sshd and dropbear (implies -update)")
	updateFlag = boolFlag("update", "rewrite golden files")
)

// boolFlag defines the flag in init, after every package-level variable of
// the test binary, so that another test file defining the same flag as a
// variable is not a "flag redefined" panic; the value is read when needed.
func boolFlag(name, usage string) func() bool {
	defs = append(defs, [2]string{name, usage})
	return func() bool {
		f := flag.Lookup(name)
		return f != nil && f.Value.String() == "true"
	}
}

var defs [][2]string

func init() {
	for _, d := range defs {
		if flag.Lookup(d[0]) == nil {
			flag.Bool(d[0], false, d[1])
		}
	}
}

// recorded are the servers -record captures, by file name.
var recorded = []struct {
	name  string
	start func(testing.TB) *testpeer.Peer
}{
	{"openssh-modern", testpeer.Modern},
	{"openssh-legacy", testpeer.Legacy},
	{"dropbear", func(t testing.TB) *testpeer.Peer { return testpeer.Dropbear(t) }},
}

// golden is what a transcript must parse to. The names are the probe's JSON
// names from the user contract.
type golden struct {
	Banner        string           `json:"banner"`
	Preamble      []string         `json:"preamble,omitempty"`
	PreambleLines int              `json:"preamble_lines,omitempty"`
	Skipped       int              `json:"skipped,omitempty"`
	HasshServer   string           `json:"hassh_server"`
	KexInit       *kexinit.KexInit `json:"kexinit"`
}

func goldenOf(h *kexinit.Hello) []byte {
	g := golden{
		Banner:        h.Banner.Raw,
		Preamble:      h.Preamble,
		PreambleLines: h.PreambleLines,
		Skipped:       h.Skipped,
		HasshServer:   h.KexInit.HasshServer(),
		KexInit:       h.KexInit,
	}
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

func TestGolden(t *testing.T) {
	if recordFlag() {
		recordAll(t)
	}
	bins, err := filepath.Glob(filepath.Join(helloDir, "*.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(bins) == 0 {
		t.Fatalf("no transcripts in %s; record them with -record", helloDir)
	}
	for _, bin := range bins {
		name := strings.TrimSuffix(filepath.Base(bin), ".bin")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			h, err := kexinit.ReadHello(bytes.NewReader(data), kexinit.Limits{})
			if err != nil {
				t.Fatalf("ReadHello: %v", err)
			}
			got := goldenOf(h)
			jsonPath := strings.TrimSuffix(bin, ".bin") + ".json"
			if updateFlag() || recordFlag() {
				if err := os.WriteFile(jsonPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s parses differently from %s:\n got %s\nwant %s", bin, jsonPath, got, want)
			}
			if !bytes.Equal(h.Payload, kexinitPayload(t, data)) {
				t.Errorf("Payload is not the KEXINIT packet's payload")
			}

			// A server's bytes arrive in any split; the parse must not care.
			h1, err := kexinit.ReadHello(iotest.OneByteReader(bytes.NewReader(data)), kexinit.Limits{})
			if err != nil {
				t.Fatalf("ReadHello one byte at a time: %v", err)
			}
			if g1 := goldenOf(h1); !bytes.Equal(g1, got) {
				t.Errorf("one byte at a time parses differently:\n got %s\nwant %s", g1, got)
			}
			// The transcript ends with the KEXINIT: one byte less is not a hello.
			if _, err := kexinit.ReadHello(bytes.NewReader(data[:len(data)-1]), kexinit.Limits{}); err == nil {
				t.Errorf("a transcript cut short by one byte still parsed")
			}
		})
	}
	jsons, _ := filepath.Glob(filepath.Join(helloDir, "*.json"))
	for _, j := range jsons {
		if !slices.Contains(bins, strings.TrimSuffix(j, ".json")+".bin") {
			t.Errorf("%s has no transcript", j)
		}
	}
}

// kexinitPayload frames the transcript independently of ReadHello: skip
// the lines up to the version line, then packets up to the KEXINIT, and
// fail if anything follows it.
func kexinitPayload(t *testing.T, data []byte) []byte {
	t.Helper()
	off := versionLineEnd(t, data)
	for off < len(data) {
		payload, n, err := kexinit.ParsePacket(data[off:], kexinit.DefaultLimits.MaxPacketLen)
		if err != nil {
			t.Fatalf("packet at offset %d: %v", off, err)
		}
		off += n
		if payload[0] == kexinit.MsgKexInit {
			if off != len(data) {
				t.Errorf("%d bytes after the KEXINIT", len(data)-off)
			}
			return payload
		}
	}
	t.Fatal("no KEXINIT in the transcript")
	return nil
}

func versionLineEnd(t testing.TB, data []byte) int {
	t.Helper()
	off := 0
	for {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			t.Fatal("no version line in the transcript")
		}
		line := data[off : off+i+1]
		off += i + 1
		if bytes.HasPrefix(line, []byte("SSH-")) {
			return off
		}
	}
}

func recordAll(t *testing.T) {
	if err := os.MkdirAll(helloDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, r := range recorded {
		t.Run("record/"+r.name, func(t *testing.T) {
			p := r.start(t)
			data := recordHello(t, p)
			writeFile(t, filepath.Join(helloDir, r.name+".bin"), data)
		})
	}
	writeFile(t, filepath.Join(helloDir, "preamble.bin"), handMadePreamble())
}

// recordHello sends the probe's hello to p and keeps every byte the server
// sends back, cut right after its first KEXINIT.
func recordHello(t *testing.T, p *testpeer.Peer) []byte {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	conn, err := kexinit.Dial(ctx, p.Host, p.Port)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(kexinit.ClientHello()); err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	if _, err := kexinit.ReadHello(io.TeeReader(conn, &raw), kexinit.Limits{}); err != nil {
		t.Fatalf("%v\nserver log:\n%s", err, p.Log())
	}
	data := raw.Bytes()
	off := versionLineEnd(t, data)
	for {
		payload, n, err := kexinit.ParsePacket(data[off:], kexinit.DefaultLimits.MaxPacketLen)
		if err != nil {
			t.Fatalf("packet at offset %d: %v", off, err)
		}
		off += n
		if payload[0] == kexinit.MsgKexInit {
			return data[:off]
		}
	}
}

// handMadePreamble is a server no package here can start: lines before the
// version line (CR LF, bare LF, an empty one), IGNORE and DEBUG packets
// before the KEXINIT, and the KEXINIT fields real servers leave at their
// defaults (a language, first_kex_packet_follows, differing directions).
func handMadePreamble() []byte {
	b := []byte("Welcome to the hand-made golden server.\r\n" +
		"Unauthorised access is prohibited.\n" +
		"\r\n" +
		"SSH-2.0-HandMade_1.0 golden transcript\r\n")
	b = kexinit.AppendPacket(b, append([]byte{2, 0, 0, 0, 4}, "junk"...))
	debug := []byte{4, 1, 0, 0, 0, 5}
	debug = append(debug, "hello"...)
	debug = append(debug, 0, 0, 0, 0)
	b = kexinit.AppendPacket(b, debug)
	k := kexinit.KexInit{
		KexAlgos:                []string{"curve25519-sha256", "diffie-hellman-group14-sha256", "kex-strict-s-v00@openssh.com"},
		ServerHostKeyAlgos:      []string{"ssh-ed25519", "rsa-sha2-512"},
		CiphersClientServer:     []string{"aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com"},
		CiphersServerClient:     []string{"chacha20-poly1305@openssh.com"},
		MACsClientServer:        []string{"hmac-sha2-256-etm@openssh.com"},
		MACsServerClient:        []string{"hmac-sha2-512", "hmac-sha1"},
		CompressionClientServer: []string{"none"},
		CompressionServerClient: []string{"zlib@openssh.com", "none"},
		LanguagesClientServer:   []string{},
		LanguagesServerClient:   []string{"en-US"},
		FirstKexFollows:         true,
	}
	for i := range k.Cookie {
		k.Cookie[i] = byte(i)
	}
	return kexinit.AppendPacket(b, k.Marshal())
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
