package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/kexinit"
	"github.com/sshpin/sshpin/scan"
	"github.com/sshpin/sshpin/target"
)

// readKey reads one of the committed test keys.
func readKey(tb testing.TB, name string) ssh.PublicKey {
	tb.Helper()
	b, err := os.ReadFile("../testdata/knownhosts/keys/" + name + ".pub")
	if err != nil {
		tb.Fatal(err)
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// readHello is a real OpenSSH hello, or the hand-made one with a preamble.
func readHello(tb testing.TB, name string) *kexinit.Hello {
	tb.Helper()
	f, err := os.Open("../testdata/hello/" + name + ".bin")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	h, err := kexinit.ReadHello(f, kexinit.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func mustTarget(tb testing.TB, s string) target.Target {
	tb.Helper()
	t, err := target.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

type sample struct {
	name     string
	r        *scan.Result
	withKeys bool // written as scan writes it (false: as probe does)
}

// samples are results of every shape scan and probe produce.
func samples(tb testing.TB) []sample {
	modern := readHello(tb, "openssh-modern")
	ed, ec, rsa := readKey(tb, "server_ed25519"), readKey(tb, "server_ecdsa"), readKey(tb, "server_rsa")
	cert := readKey(tb, "server_ed25519-cert")
	timeout := &kexinit.Error{Kind: kexinit.KindTimeout, Phase: "kex", Detail: "timed out during the key exchange"}
	return []sample{
		{"scan", &scan.Result{
			Target: mustTarget(tb, "Web-1.Example:2222"), Address: "192.0.2.10", Hello: modern, Connections: 3,
			Keys: []scan.Key{scan.NewKey(ed, "ssh-ed25519"), scan.NewKey(ec, "ecdsa-sha2-nistp256"), scan.NewKey(rsa, "rsa-sha2-512")},
		}, true},
		{"certificate", &scan.Result{
			Target: mustTarget(tb, "[2001:db8::1]:22"), Address: "2001:db8::1", Hello: modern, Connections: 2,
			Keys: []scan.Key{scan.NewKey(ed, "ssh-ed25519"), scan.NewKey(cert, "ssh-ed25519-cert-v01@openssh.com")},
		}, true},
		{"incomplete", &scan.Result{
			Target: mustTarget(tb, "192.0.2.11"), Address: "192.0.2.11", Hello: modern, Connections: 2,
			Keys:         []scan.Key{scan.NewKey(ed, "ssh-ed25519")},
			NotRetrieved: []scan.NotRetrieved{{Type: "ssh-rsa", Algorithms: []string{"rsa-sha2-512", "rsa-sha2-256"}, Reason: "timed out during the key exchange"}},
			Err:          &scan.IncompleteError{Types: []string{"ssh-rsa"}, Err: timeout},
		}, true},
		{"refused", &scan.Result{
			Target: mustTarget(tb, "192.0.2.12:23"),
			Err:    &kexinit.Error{Kind: kexinit.KindRefused, Phase: "connect", Detail: "connection refused"},
		}, true},
		{"no-key", &scan.Result{
			Target: mustTarget(tb, "192.0.2.13"), Address: "192.0.2.13", Hello: readHello(tb, "openssh-legacy"), Connections: 1,
			NotRetrieved: []scan.NotRetrieved{{Type: "ssh-rsa", Algorithms: []string{"ssh-rsa"}, Reason: "only with SHA-1: rerun with --legacy"}},
			Err:          &scan.NoKeyError{Reasons: []string{"ssh-rsa: only with SHA-1: rerun with --legacy"}},
		}, true},
		{"plain error", &scan.Result{
			Target: mustTarget(tb, "192.0.2.14"), Address: "192.0.2.14", Hello: modern, Connections: 1,
			Err: errors.New("ssh: handshake failed: scan: handshake ended without a host key"),
		}, true},
		{"probe", &scan.Result{
			Target: mustTarget(tb, "localhost"), Address: "127.0.0.1", Hello: readHello(tb, "preamble"), Connections: 1,
		}, false},
		{"probe timeout", &scan.Result{
			Target: mustTarget(tb, "192.0.2.15"), Address: "192.0.2.15", Connections: 1,
			Err: &kexinit.Error{Kind: kexinit.KindTimeout, Phase: "banner", Detail: "timed out waiting for the server's version line (8 bytes received)"},
		}, false},
	}
}

// writeJSON is a JSON line as encoding/json writes it; report.WriteJSON
// escapes more code points, the same string to any JSON reader
// (report's TestWriteJSONReadsBack).
func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func encode(tb testing.TB, r *scan.Result, withKeys bool) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := writeJSON(&b, NewRecord(r, withKeys)); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// A record read back is the result it was written from: written again, it
// is the same line byte for byte, its error reads and counts the same
// (Describe, ErrorKind), its keys are the same keys.
func TestReadRoundTrip(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			line := encode(t, s.r, s.withKeys)
			r, keyed, err := ParseRecord(line)
			if err != nil {
				t.Fatalf("%v\n%s", err, line)
			}
			if again := encode(t, r, s.withKeys); !bytes.Equal(again, line) {
				t.Errorf("written again:\n%s\nwant\n%s", again, line)
			}
			if keyed != (s.withKeys || s.r.Err != nil) {
				t.Errorf("keyed %v", keyed)
			}
			if r.Target != s.r.Target {
				t.Errorf("target %+v, want %+v", r.Target, s.r.Target)
			}
			if (r.Err == nil) != (s.r.Err == nil) {
				t.Fatalf("err %v, want %v", r.Err, s.r.Err)
			}
			if r.Err != nil {
				if got, want := scan.Describe(r.Err), scan.Describe(s.r.Err); got != want {
					t.Errorf("Describe %q, want %q", got, want)
				}
				if got, want := ErrorKind(r.Err), ErrorKind(s.r.Err); got != want {
					t.Errorf("ErrorKind %q, want %q", got, want)
				}
				var ie *scan.IncompleteError
				if errors.As(s.r.Err, &ie) && !errors.As(r.Err, &ie) {
					t.Errorf("an incomplete scan read back as %T", r.Err)
				}
			}
			if !s.withKeys {
				return
			}
			if len(r.Keys) != len(s.r.Keys) {
				t.Fatalf("%d keys, want %d", len(r.Keys), len(s.r.Keys))
			}
			for i, k := range r.Keys {
				if !bytes.Equal(k.Key.Marshal(), s.r.Keys[i].Key.Marshal()) || (k.Cert == nil) != (s.r.Keys[i].Cert == nil) {
					t.Errorf("key %d differs", i)
				}
			}
			if s.r.Hello != nil {
				if r.Hello.KexInit.HasshServer() != s.r.Hello.KexInit.HasshServer() || r.Hello.Banner != s.r.Hello.Banner {
					t.Errorf("hello differs: %+v", r.Hello)
				}
			}
		})
	}
}

// editRecord decodes line, lets edit change it, and encodes it again.
func editRecord(t *testing.T, line []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Nothing derived is taken from the file: a key's type, size,
// fingerprints and certificate come from its public_key, hassh_server and
// banner_parts from the lists and the version line. A record whose
// public_key was swapped presents the new key, whatever its stale
// fingerprints say.
func TestReadDerivesFromTheKeysThemselves(t *testing.T) {
	s := samples(t)[0]
	other := readKey(t, "other_ed25519")
	line := editRecord(t, encode(t, s.r, true), func(m map[string]any) {
		keys := m["keys"].([]any)
		k0 := keys[0].(map[string]any)
		k0["public_key"] = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(other)))
		k1 := keys[1].(map[string]any)
		k1["type"], k1["bits"], k1["sha256"], k1["md5"] = "ssh-dss", 1024, "SHA256:forged", "MD5:forged"
		k1["certificate"] = map[string]any{"key_id": "forged"}
		m["hassh_server"] = "forged"
		m["banner_parts"] = map[string]any{"software": "forged"}
	})
	r, _, err := ParseRecord(line)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Keys[0].SHA256, ssh.FingerprintSHA256(other); got != want {
		t.Errorf("swapped key read as %s, want the new key's %s", got, want)
	}
	want := s.r.Keys[1]
	if k := r.Keys[1]; k.Type != want.Type || k.Bits != want.Bits || k.SHA256 != want.SHA256 || k.MD5 != want.MD5 || k.Cert != nil {
		t.Errorf("forged fields taken from the file: %+v", k)
	}
	rec := NewRecord(r, true)
	if rec.HasshServer != s.r.Hello.KexInit.HasshServer() || rec.BannerParts.Software != s.r.Hello.Banner.Software {
		t.Errorf("hassh %q, banner parts %+v: taken from the file", rec.HasshServer, rec.BannerParts)
	}
}

// Every malformed line is an error naming the file and the line.
func TestReadBadLinesNameFileAndLine(t *testing.T) {
	good := encode(t, samples(t)[0].r, true)
	for _, c := range []struct {
		name, line, want string
	}{
		{"not json", `{"target":`, "not a JSON record"},
		{"array", `["a"]`, "not a JSON record"},
		{"trailing text", `{"target":"a"} x`, "not a JSON record"},
		{"wrong type", `{"target":"a","port":"22"}`, "not a JSON record"},
		{"no target", `{"host":"a","port":22}`, `no "target"`},
		{"null", `null`, `no "target"`},
		{"bad target", `{"target":"a b"}`, `target: "a b"`},
		{"host mismatch", `{"target":"a:22","host":"b","port":22}`, `the record says "b"`},
		{"port mismatch", `{"target":"a:22","host":"a","port":23}`, "the record says 23"},
		{"bad key", `{"target":"a","keys":[{"public_key":"ssh-ed25519 AAAA"}]}`, "keys[0].public_key"},
		{"no key", `{"target":"a","keys":[{"algorithm":"ssh-ed25519"}]}`, "keys[0].public_key: missing"},
		{"key and comment", `{"target":"a","keys":[{"public_key":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFHDv4QQxcCcNSr0ki3aifu4CZA2HRn1sASg52UzEzMP me@there"}]}`, "the key alone"},
		{"kexinit alone", `{"target":"a","kexinit":{"kex_algorithms":["x"]}}`, `"kexinit" without`},
		{"bad banner", `{"target":"a","banner":"SSH-1.5-old"}`, "banner: server speaks only SSH-1"},
		{"kind alone", `{"target":"a","error_kind":"refused"}`, "without an error"},
		{"negative connections", `{"target":"a","connections":-1}`, "connections -1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := string(good) + "\n" + c.line + "\n"
			var rd Reader
			n := 0
			err := rd.Read(strings.NewReader(in), "fleet.jsonl", func(Loaded) error { n++; return nil })
			var re *ReadError
			if !errors.As(err, &re) || re.File != "fleet.jsonl" || re.Line != 3 {
				t.Fatalf("err %v, want one at fleet.jsonl:3", err)
			}
			if !strings.HasPrefix(err.Error(), "fleet.jsonl:3: ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %q, want it to say %q", err, c.want)
			}
			if n != 1 {
				t.Errorf("%d records before the bad line, want 1", n)
			}
		})
	}
}

// Shards' files concatenate, or are read one after the other by one
// Reader: lines are numbered per file, blank lines and CRLF endings are
// no records, and the bound on records counts all of them.
func TestReadShardsAndLimits(t *testing.T) {
	ss := samples(t)
	shard1 := strings.TrimSuffix(string(encode(t, ss[0].r, true)), "\n") + "\r\n\n" + string(encode(t, ss[3].r, true))
	shard2 := string(encode(t, ss[2].r, true))
	var got []string
	rd := Reader{Limits: ReadLimits{MaxRecords: 3}}
	for i, in := range []string{shard1, shard2} {
		name := []string{"1.jsonl", "2.jsonl"}[i]
		err := rd.Read(strings.NewReader(in), name, func(l Loaded) error {
			got = append(got, l.Result.Target.Raw+"@"+l.File+":"+string(rune('0'+l.Line)))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"Web-1.Example:2222@1.jsonl:1", "192.0.2.12:23@1.jsonl:3", "192.0.2.11@2.jsonl:1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("read %v, want %v", got, want)
	}
	err := rd.Read(strings.NewReader("\n"+shard2), "3.jsonl", func(Loaded) error { return nil })
	var tm *TooManyRecordsError
	if err == nil || !strings.HasPrefix(err.Error(), "3.jsonl:2: more than 3 records") || !errors.As(err, &tm) || tm.Max != 3 {
		t.Errorf("a fourth record: %v", err)
	}

	rd = Reader{Limits: ReadLimits{MaxLine: 64}}
	err = rd.Read(strings.NewReader(`{"target":"a"}`+"\n"+`{"target":"`+strings.Repeat("a", 100)+`"}`), "long.jsonl", func(Loaded) error { return nil })
	if err == nil || err.Error() != "long.jsonl:2: line longer than 64 bytes" {
		t.Errorf("a long line: %v", err)
	}

	stop := errors.New("stop")
	rd = Reader{}
	if err := rd.Read(strings.NewReader(shard1), "x", func(Loaded) error { return stop }); err != stop {
		t.Errorf("fn's error came back as %v", err)
	}
}

// FuzzParseRecord: no input panics the reader or makes it loop, and what
// it accepts is a result that, written and read again, stays the same:
// the first read normalises (keys re-encoded, derived fields recomputed),
// and from then on the record is a fixed point.
//
// Each execution of an accepted record costs a JSON decode and encode per
// read (some 30 µs per KiB uninstrumented, most of it encoding/json), and
// the fuzzer minimises every new input byte by byte: the full samples
// (1-3 KiB each, most of it OpenSSH's algorithm lists and fields the
// reader ignores) made each exec several times dearer than it need be and
// stalled the run for seconds per find. The seeds are the samples with
// their lists cut to two names and only the fields ParseRecord reads,
// which reach the same code; TestReadRoundTrip keeps the full ones.
func FuzzParseRecord(f *testing.F) {
	for _, s := range samples(f) {
		f.Add(factsOnly(f, encode(f, shortLists(s.r), s.withKeys)))
	}
	for _, s := range []string{
		`{"target":"a"}`,
		`{"target":"a","keys":[]}`,
		`{"target":"a","error":"x","error_kind":"incomplete","not_retrieved":[{"type":""}]}`,
		`{"target":"a","error":" not retrieved: y","error_kind":"incomplete"}`,
		`{"target":"a","error":"z","error_kind":"no-key"}`,
		`{"target":"a","error":"ssh: ssh: z"}`,
		`{"target":"a","banner":"SSH-2.0-x","kexinit":{"kex_algorithms":null}}`,
		`{"target":"a","banner":"SSH-2.0-\u0000<>","preamble":["\xff"]}`,
		`{"target":"[::1]:22","host":"::1","port":22,"keys":[{"public_key":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFHDv4QQxcCcNSr0ki3aifu4CZA2HRn1sASg52UzEzMP","algorithm":""}]}`,
		`{"TARGET":"a","Target":"b"}`,
		`{}`, `[]`, `null`, `1`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, keyed, err := ParseRecord(line)
		if err != nil {
			return
		}
		once := encode(t, r, keyed)
		r2, keyed2, err := ParseRecord(once)
		if err != nil {
			t.Fatalf("a record written from an accepted one is refused: %v\n%s", err, once)
		}
		twice := encode(t, r2, keyed2)
		if bytes.Equal(once, twice) {
			// once reads back as what wrote it: a fixed point already
			// (ParseRecord and encode are deterministic), and a third
			// read would only cost time.
			return
		}
		r3, _, err := ParseRecord(twice)
		if err != nil {
			t.Fatal(err)
		}
		if thrice := encode(t, r3, keyed2); !bytes.Equal(twice, thrice) {
			t.Fatalf("not a fixed point:\n%s\n%s", twice, thrice)
		}
		if !bytes.Equal(once, twice) {
			// keyed may drop an empty key list and what goes with it; the
			// record is the same from the second read on.
			if keyed == keyed2 {
				t.Fatalf("read twice, written differently:\n%s\n%s", once, twice)
			}
		}
	})
}

// shortLists is r with its hello's name-lists cut to two names each: the
// same shape in a tenth of the bytes.
func shortLists(r *scan.Result) *scan.Result {
	if r.Hello == nil || r.Hello.KexInit == nil {
		return r
	}
	c, h, k := *r, *r.Hello, *r.Hello.KexInit
	for _, l := range k.Lists() {
		*l = (*l)[:min(len(*l), 2)]
	}
	h.KexInit = &k
	h.Payload = k.Marshal()
	c.Hello = &h
	return &c
}

// factsOnly is a record with only what ParseRecord reads (recordIn), none
// of what it derives again.
func factsOnly(tb testing.TB, line []byte) []byte {
	var in recordIn
	if err := json.Unmarshal(line, &in); err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(in)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzRead: whole inputs, several lines; every error names a line of the
// input.
func FuzzRead(f *testing.F) {
	ss := samples(f)
	f.Add([]byte(string(encode(f, ss[0].r, true)) + string(encode(f, ss[3].r, true))))
	f.Add([]byte("\n\n{\"target\":\"a\"}\r\n{"))
	f.Add([]byte(strings.Repeat("x", 300)))
	f.Fuzz(func(t *testing.T, in []byte) {
		rd := Reader{Limits: ReadLimits{MaxLine: 256, MaxRecords: 4}}
		lines := bytes.Count(in, []byte("\n")) + 1
		err := rd.Read(bytes.NewReader(in), "in", func(Loaded) error { return nil })
		var re *ReadError
		if errors.As(err, &re) && (re.Line < 1 || re.Line > lines) {
			t.Fatalf("error at line %d of %d: %v", re.Line, lines, err)
		}
	})
}
