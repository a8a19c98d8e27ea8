package kexinit

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// unitKexInit is an OpenSSH 9.6-like server KEXINIT.
func unitKexInit() *KexInit {
	return &KexInit{
		Cookie:                  [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		KexAlgos:                []string{"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "diffie-hellman-group14-sha256", "kex-strict-s-v00@openssh.com"},
		ServerHostKeyAlgos:      []string{"rsa-sha2-512", "rsa-sha2-256", "ecdsa-sha2-nistp256", "ssh-ed25519"},
		CiphersClientServer:     []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes256-gcm@openssh.com"},
		CiphersServerClient:     []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes256-gcm@openssh.com"},
		MACsClientServer:        []string{"umac-64-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "hmac-sha1"},
		MACsServerClient:        []string{"umac-64-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "hmac-sha1"},
		CompressionClientServer: []string{"none", "zlib@openssh.com"},
		CompressionServerClient: []string{"none", "zlib@openssh.com"},
		LanguagesClientServer:   []string{},
		LanguagesServerClient:   []string{},
	}
}

// wireKexInit has x/crypto's kexInitMsg layout, so ssh.Marshal and
// ssh.Unmarshal give an encoding this package did not write.
type wireKexInit struct {
	Cookie                  [16]byte `sshtype:"20"`
	KexAlgos                []string
	ServerHostKeyAlgos      []string
	CiphersClientServer     []string
	CiphersServerClient     []string
	MACsClientServer        []string
	MACsServerClient        []string
	CompressionClientServer []string
	CompressionServerClient []string
	LanguagesClientServer   []string
	LanguagesServerClient   []string
	FirstKexFollows         bool
	Reserved                uint32
}

func toWire(k *KexInit) *wireKexInit {
	return &wireKexInit{k.Cookie, k.KexAlgos, k.ServerHostKeyAlgos, k.CiphersClientServer, k.CiphersServerClient,
		k.MACsClientServer, k.MACsServerClient, k.CompressionClientServer, k.CompressionServerClient,
		k.LanguagesClientServer, k.LanguagesServerClient, k.FirstKexFollows, k.Reserved}
}

func TestParseMatchesXCryptoEncoding(t *testing.T) {
	want := unitKexInit()
	want.FirstKexFollows = true
	want.Reserved = 7
	payload := ssh.Marshal(toWire(want))
	got, err := Parse(payload)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse = %+v\nwant    %+v", got, want)
	}
	if m := want.Marshal(); string(m) != string(payload) {
		t.Errorf("Marshal differs from ssh.Marshal:\n%x\n%x", m, payload)
	}
}

func TestMarshalParseRoundTrip(t *testing.T) {
	empty := &KexInit{}
	for _, l := range empty.Lists() {
		*l = []string{}
	}
	one := &KexInit{Cookie: [16]byte{0xff}, FirstKexFollows: true, Reserved: 0xdeadbeef}
	for i, l := range one.Lists() {
		*l = []string{FieldNames[i]}
	}
	long := unitKexInit()
	for i := range 500 {
		long.KexAlgos = append(long.KexAlgos, strings.Repeat("k", i%60)+"@example.com")
	}
	emptyNames := unitKexInit()
	emptyNames.MACsClientServer = []string{"", "hmac-sha1", ""}
	for _, tt := range []struct {
		name string
		k    *KexInit
	}{
		{"OpenSSH-like", unitKexInit()},
		{"all lists empty", empty},
		{"one name each, flags set", one},
		{"long kex list", long},
		{"empty names inside a list", emptyNames},
		{"probe's own", &probeKexInit},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.k.Marshal())
			if err != nil {
				t.Fatalf("Parse(Marshal()): %v", err)
			}
			if !reflect.DeepEqual(got, tt.k) {
				t.Errorf("Parse(Marshal()) = %+v\nwant              %+v", got, tt.k)
			}
			var w wireKexInit
			if err := ssh.Unmarshal(tt.k.Marshal(), &w); err != nil {
				t.Errorf("ssh.Unmarshal(Marshal()): %v", err)
			}
		})
	}
}

// An empty name-list is [] in JSON, never null: the contract promises arrays.
func TestEmptyNameListIsEmptySliceNotNil(t *testing.T) {
	k := unitKexInit()
	k.LanguagesClientServer, k.LanguagesServerClient, k.CompressionServerClient = nil, nil, nil
	got, err := Parse(k.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range got.Lists() {
		if *l == nil {
			t.Errorf("%s is nil", FieldNames[i])
		}
	}
	if got.LanguagesServerClient == nil || len(got.LanguagesServerClient) != 0 {
		t.Errorf("languages_server_to_client = %#v, want []string{}", got.LanguagesServerClient)
	}
	js, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range FieldNames {
		if _, ok := m[f].([]any); !ok {
			t.Errorf("JSON %s = %#v, want an array", f, m[f])
		}
	}
	if _, ok := m["first_kex_packet_follows"].(bool); !ok {
		t.Errorf("JSON has no first_kex_packet_follows bool: %s", js)
	}
}

// fieldAt names the field a truncation at offset i of a marshalled KEXINIT
// falls in, walking the layout independently of Parse.
func fieldAt(payload []byte, i int) string {
	if i == 0 {
		return "kexinit" // not even a message number
	}
	off := 1
	if i < off+16 {
		return "cookie"
	}
	off += 16
	for _, name := range FieldNames {
		n := int(binary.BigEndian.Uint32(payload[off:]))
		if i < off+4+n {
			return name
		}
		off += 4 + n
	}
	if i < off+1 {
		return "first_kex_packet_follows"
	}
	return "reserved"
}

// Every proper prefix of a valid KEXINIT is malformed, and the error names
// the field the payload ends in, so a report can say what was cut short.
func TestParseTruncatedAtEveryOffset(t *testing.T) {
	payload := unitKexInit().Marshal()
	for i := range len(payload) {
		_, err := Parse(payload[:i])
		var me *MalformedError
		if !errors.As(err, &me) {
			t.Fatalf("Parse(payload[:%d]) = %v, want a *MalformedError", i, err)
		}
		if want := fieldAt(payload, i); me.Where != want {
			t.Errorf("Parse(payload[:%d]): Where = %q, want %q (%s)", i, me.Where, want, me.What)
		}
		if me.What == "" {
			t.Errorf("Parse(payload[:%d]): no What", i)
		}
	}
	if _, err := Parse(payload); err != nil {
		t.Errorf("Parse(payload): %v", err)
	}
}

func TestParseRejects(t *testing.T) {
	valid := unitKexInit().Marshal()
	// listAt returns the offset of name-list i's length field.
	listAt := func(i int) int {
		off := 17
		for range i {
			off += 4 + int(binary.BigEndian.Uint32(valid[off:]))
		}
		return off
	}
	withLen := func(list int, n uint32) []byte {
		b := append([]byte(nil), valid...)
		binary.BigEndian.PutUint32(b[listAt(list):], n)
		return b
	}
	huge := &KexInit{}
	for _, l := range huge.Lists() {
		*l = []string{}
	}
	huge.ServerHostKeyAlgos = []string{strings.Repeat("h", maxNameList+1)}
	tests := []struct {
		name    string
		payload []byte
		where   string
	}{
		{"nil", nil, "kexinit"},
		{"wrong message type", append([]byte{21}, valid[1:]...), "kexinit"},
		{"IGNORE instead", []byte{2, 0, 0, 0, 0}, "kexinit"},
		{"kex list length 0xFFFFFFFF", withLen(0, 0xFFFFFFFF), "kex_algorithms"},
		{"kex list length 0xFFFFFFF0", withLen(0, 0xFFFFFFF0), "kex_algorithms"},
		{"kex list length one past the end", withLen(0, uint32(len(valid))), "kex_algorithms"},
		{"languages length past the end", withLen(9, 6), "languages_server_to_client"},
		{"name-list over the bound", huge.Marshal(), "server_host_key_algorithms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := Parse(tt.payload)
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("Parse = %+v, %v; want a *MalformedError", k, err)
			}
			if me.Where != tt.where {
				t.Errorf("Where = %q (%s), want %q", me.Where, me.What, tt.where)
			}
		})
	}
}

func TestParseTolerates(t *testing.T) {
	valid := unitKexInit().Marshal()
	trailing := append(append([]byte(nil), valid...), 0xde, 0xad)
	k, err := Parse(trailing)
	if err != nil {
		t.Fatalf("trailing bytes: %v", err)
	}
	if !reflect.DeepEqual(k, unitKexInit()) {
		t.Errorf("trailing bytes: %+v", k)
	}
	// Any non-zero byte is true (RFC 4251 §5 boolean).
	odd := append([]byte(nil), valid...)
	odd[len(odd)-5] = 0x80
	if k, err := Parse(odd); err != nil || !k.FirstKexFollows {
		t.Errorf("first_kex_packet_follows 0x80 = %+v, %v; want true", k, err)
	}
}

func TestHasshServer(t *testing.T) {
	// The OpenSSH 5.3 server of the hassh README (DESIGN.md).
	k := &KexInit{
		KexAlgos: strings.Split("diffie-hellman-group-exchange-sha256,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1", ","),
		// The client-to-server lists and host key types are not part of
		// hasshServer: these differ on purpose.
		ServerHostKeyAlgos:      []string{"ssh-rsa", "ssh-dss"},
		CiphersClientServer:     []string{"aes128-ctr"},
		CiphersServerClient:     strings.Split("aes128-ctr,aes192-ctr,aes256-ctr,arcfour256,arcfour128,aes128-cbc,3des-cbc,blowfish-cbc,cast128-cbc,aes192-cbc,aes256-cbc,arcfour,rijndael-cbc@lysator.liu.se", ","),
		MACsClientServer:        []string{"hmac-sha1"},
		MACsServerClient:        strings.Split("hmac-md5,hmac-sha1,umac-64@openssh.com,hmac-ripemd160,hmac-ripemd160@openssh.com,hmac-sha1-96,hmac-md5-96", ","),
		CompressionClientServer: []string{"none"},
		CompressionServerClient: []string{"none", "zlib@openssh.com"},
		LanguagesClientServer:   []string{"en"},
		LanguagesServerClient:   []string{"en"},
	}
	const want = "b1c6c0d56317555b85c7005a3de29325"
	if got := k.HasshServer(); got != want {
		t.Errorf("HasshServer = %s, want %s", got, want)
	}
	// And through the wire: what Parse reads hashes the same.
	p, err := Parse(k.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if got := p.HasshServer(); got != want {
		t.Errorf("HasshServer after Parse = %s, want %s", got, want)
	}
	// Order matters: hasshServer is over the lists as sent.
	k.CompressionServerClient = []string{"zlib@openssh.com", "none"}
	if got := k.HasshServer(); got == want {
		t.Errorf("HasshServer ignores list order")
	}
}

func TestClientHello(t *testing.T) {
	a, b := ClientHello(), ClientHello()
	line, rest, ok := strings.Cut(string(a), "\r\n")
	if !ok || line != ClientVersion {
		t.Fatalf("ClientHello starts %q, want %q CR LF", line, ClientVersion)
	}
	if _, err := ParseBanner(line); err != nil {
		t.Errorf("our own version line: %v", err)
	}
	payload, n, err := ParsePacket([]byte(rest), DefaultLimits.MaxPacketLen)
	if err != nil || n != len(rest) {
		t.Fatalf("ClientHello packet: n=%d of %d, %v", n, len(rest), err)
	}
	var w wireKexInit
	if err := ssh.Unmarshal(payload, &w); err != nil {
		t.Fatalf("x/crypto cannot read our KEXINIT: %v", err)
	}
	k, err := Parse(payload)
	if err != nil {
		t.Fatal(err)
	}
	k.Cookie = probeKexInit.Cookie
	if !reflect.DeepEqual(k, &probeKexInit) {
		t.Errorf("ClientHello KEXINIT = %+v, want the probe's", k)
	}
	if string(a) == string(b) {
		t.Errorf("two ClientHellos are identical: the cookie is not random")
	}
	if probeKexInit.Cookie != ([16]byte{}) {
		t.Errorf("ClientHello wrote its cookie into the shared probeKexInit")
	}
}
