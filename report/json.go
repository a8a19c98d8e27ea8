// Package report turns results into what people and scripts read: tables,
// JSON Lines, known_hosts lines. Its functions are pure: results in, bytes
// out, nothing read from the network or the environment.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/sshpin/sshpin/kexinit"
	"github.com/sshpin/sshpin/scan"
)

// Record is one target's JSON Lines object. Field names are fixed by the
// user contract; fields beyond it are additions, never renames.
type Record struct {
	Target      string          `json:"target"`
	Host        string          `json:"host"`
	Port        int             `json:"port"`
	Address     string          `json:"address,omitempty"`
	Error       string          `json:"error,omitempty"`
	ErrorKind   string          `json:"error_kind,omitempty"`
	Banner      string          `json:"banner,omitempty"`
	BannerParts *kexinit.Banner `json:"banner_parts,omitempty"`
	Preamble    []string        `json:"preamble,omitempty"`
	// PreambleLines is how many lines came before the version line: the
	// server may send more than preamble keeps.
	PreambleLines int                 `json:"preamble_lines,omitempty"`
	HasshServer   string              `json:"hassh_server,omitempty"`
	KexInit       *kexinit.KexInit    `json:"kexinit,omitempty"`
	Keys          []scan.Key          `json:"keys,omitempty"`
	NotRetrieved  []scan.NotRetrieved `json:"not_retrieved,omitempty"`
	Connections   int                 `json:"connections"`
}

// NewRecord builds r's JSON object. withKeys is false for probe, whose
// records carry no keys field at all rather than an empty one.
func NewRecord(r *scan.Result, withKeys bool) Record {
	rec := Record{
		Target:      r.Target.Raw,
		Host:        r.Target.Host,
		Port:        r.Target.Port,
		Address:     r.Address,
		Connections: r.Connections,
	}
	if r.Err != nil {
		rec.Error = scan.Describe(r.Err)
		rec.ErrorKind = ErrorKind(r.Err)
	}
	if h := r.Hello; h != nil {
		rec.Banner = h.Banner.Raw
		b := h.Banner
		rec.BannerParts = &b
		rec.Preamble = h.Preamble
		rec.PreambleLines = h.PreambleLines
		if h.KexInit != nil {
			rec.HasshServer = h.KexInit.HasshServer()
			rec.KexInit = h.KexInit
		}
	}
	if withKeys {
		rec.Keys = r.Keys
		if rec.Keys == nil && r.Err == nil {
			rec.Keys = []scan.Key{}
		}
		rec.NotRetrieved = r.NotRetrieved
	}
	return rec
}

// ErrorKind names the class of a failure for scripts: "incomplete" when
// some key types were retrieved and others not, the kexinit kinds, "no-key"
// when a server answered but gave no key, "error" otherwise.
func ErrorKind(err error) string {
	var ie *scan.IncompleteError
	if errors.As(err, &ie) {
		return "incomplete"
	}
	if k := kexinit.KindOf(err); k != "" {
		return string(k)
	}
	if _, ok := err.(*scan.NoKeyError); ok {
		return "no-key"
	}
	return "error"
}

// WriteJSON writes one JSON line. encoding/json escapes C0 controls and
// U+2028/U+2029 but writes C1 controls and bidirectional controls raw,
// and JSON Lines are read on terminals too (jq, less, a tail -f): those
// are written as \uNNNN escapes as well, the same string to any JSON
// reader.
func WriteJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(escapeJSON(b), '\n'))
	return err
}

// escapeJSON rewrites in b, valid JSON from encoding/json, every code
// point Safe escapes (escaped) as \uNNNN. Outside strings JSON text is
// ASCII, so every such code point is inside a string, where the escape
// means the same.
func escapeJSON(b []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if escaped(r) {
			if out == nil {
				out = make([]byte, 0, len(b)+16)
			}
			out = append(out, b[last:i]...)
			out = fmt.Appendf(out, `\u%04x`, r)
			last = i + n
		}
		i += n
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}
