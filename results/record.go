// Package results holds what a run leaves for scripts and for a later
// run: the JSON Lines record of each target, and the Reader that turns
// records back into results, so that a fleet scanned elsewhere (in shards,
// concatenated) can be judged without the network. It renders nothing:
// report writes records (report.WriteJSON) and everything people read.
package results

import (
	"errors"

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
