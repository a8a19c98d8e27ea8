package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/kexinit"
	"github.com/sshpin/sshpin/scan"
	"github.com/sshpin/sshpin/target"
)

// ReadLimits bound what reading results back from JSON Lines may cost. A
// record as scan writes it is a few KiB; the largest a server within
// kexinit's default limits can make is under 2 MiB.
type ReadLimits struct {
	MaxLine    int // bytes in one line, its line ending included
	MaxRecords int // records in all, over every input one Reader reads
}

// DefaultReadLimits are what check and audit --from read with.
var DefaultReadLimits = ReadLimits{MaxLine: 4 << 20, MaxRecords: 1_000_000}

// ReadError is a line of JSON Lines input that is not a record: File:Line
// says where, Err what.
type ReadError struct {
	File string
	Line int
	Err  error
}

func (e *ReadError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

func (e *ReadError) Unwrap() error { return e.Err }

// TooManyRecordsError is a list of records longer than
// ReadLimits.MaxRecords: it is refused rather than held in memory, and is
// to be judged in parts.
type TooManyRecordsError struct{ Max int }

func (e *TooManyRecordsError) Error() string {
	return fmt.Sprintf("more than %d records: judge the list in parts", e.Max)
}

// Loaded is one record read back as the result it was written from.
type Loaded struct {
	Result *scan.Result
	File   string
	Line   int
	// Keyed is false for a record with neither keys nor an error: a
	// probe's (or audit --no-keys'), which never looked for keys.
	Keyed bool
}

// Reader rebuilds results from the JSON Lines that probe, scan, audit,
// check and pin --json write, so that a fleet scanned elsewhere (in
// shards, concatenated) can be judged here without the network. Nothing
// derived is taken from the file: each key is parsed from its public_key
// and its type, size, fingerprints and certificate are worked out again;
// the hello is rebuilt from the version line and the RFC-named lists, and
// hassh_server from those. Fields it does not know (an audit's ratings, a
// check's verdicts) are ignored.
type Reader struct {
	Limits  ReadLimits // zero fields: DefaultReadLimits'
	records int
}

// Read calls fn with every record of r, in order; name is r's name in
// errors. A line that is not a record stops it with a *ReadError naming
// name:line; an error from fn stops it and is returned as is. Blank lines
// are skipped.
func (rd *Reader) Read(r io.Reader, name string, fn func(Loaded) error) error {
	lim := rd.Limits
	if lim.MaxLine <= 0 {
		lim.MaxLine = DefaultReadLimits.MaxLine
	}
	if lim.MaxRecords <= 0 {
		lim.MaxRecords = DefaultReadLimits.MaxRecords
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(64<<10, lim.MaxLine)), lim.MaxLine)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if rd.records >= lim.MaxRecords {
			return &ReadError{name, line, &TooManyRecordsError{Max: lim.MaxRecords}}
		}
		rd.records++
		res, keyed, err := ParseRecord(b)
		if err != nil {
			return &ReadError{name, line, err}
		}
		if err := fn(Loaded{Result: res, File: name, Line: line, Keyed: keyed}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &ReadError{name, line + 1, fmt.Errorf("line longer than %d bytes", lim.MaxLine)}
		}
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return nil
}

// recordIn is what a record is read back from: the facts, none of what
// is derived from them.
type recordIn struct {
	Target        string              `json:"target"`
	Host          *string             `json:"host"`
	Port          *int                `json:"port"`
	Address       string              `json:"address"`
	Error         string              `json:"error"`
	ErrorKind     string              `json:"error_kind"`
	Banner        *string             `json:"banner"`
	Preamble      []string            `json:"preamble"`
	PreambleLines int                 `json:"preamble_lines"`
	KexInit       *kexinit.KexInit    `json:"kexinit"`
	Keys          []keyIn             `json:"keys"`
	NotRetrieved  []scan.NotRetrieved `json:"not_retrieved"`
	Connections   int                 `json:"connections"`
}

type keyIn struct {
	PublicKey string `json:"public_key"`
	Algorithm string `json:"algorithm"`
}

// ParseRecord rebuilds the result one JSON line was written from. keyed is
// false for a record without keys or error (see Loaded).
func ParseRecord(line []byte) (r *scan.Result, keyed bool, err error) {
	var in recordIn
	if err := json.Unmarshal(line, &in); err != nil {
		return nil, false, fmt.Errorf("not a JSON record: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if in.Target == "" {
		return nil, false, errors.New(`no "target"`)
	}
	t, err := target.Parse(in.Target)
	if err != nil {
		return nil, false, err
	}
	if in.Host != nil && *in.Host != t.Host {
		return nil, false, fmt.Errorf("target %q is host %q, but the record says %q", in.Target, t.Host, *in.Host)
	}
	if in.Port != nil && *in.Port != t.Port {
		return nil, false, fmt.Errorf("target %q is port %d, but the record says %d", in.Target, t.Port, *in.Port)
	}
	if in.Connections < 0 {
		return nil, false, fmt.Errorf("connections %d", in.Connections)
	}
	r = &scan.Result{Target: t, Address: in.Address, Connections: in.Connections, NotRetrieved: in.NotRetrieved}
	switch {
	case in.Banner != nil:
		b, err := kexinit.ParseBanner(*in.Banner)
		if err != nil {
			return nil, false, fmt.Errorf("banner: %s", strings.TrimPrefix(err.Error(), "kexinit: "))
		}
		r.Hello = &kexinit.Hello{Banner: b, Preamble: in.Preamble, PreambleLines: max(in.PreambleLines, len(in.Preamble))}
		if k := in.KexInit; k != nil {
			for _, l := range k.Lists() {
				if *l == nil {
					*l = []string{}
				}
			}
			r.Hello.KexInit = k
			r.Hello.Payload = k.Marshal()
		}
	case in.KexInit != nil:
		return nil, false, errors.New(`"kexinit" without the "banner" it came after`)
	}
	for i, k := range in.Keys {
		key, err := parseKey(k.PublicKey)
		if err != nil {
			return nil, false, fmt.Errorf("keys[%d].public_key: %w", i, err)
		}
		sk := scan.NewKey(key, k.Algorithm)
		if c := sk.Cert; c != nil {
			// No record holds one: JSON has no time past the year 9999,
			// and the record could not have been written.
			for _, v := range []*time.Time{c.ValidAfter, c.ValidBefore} {
				if v != nil && v.Year() > 9999 {
					return nil, false, fmt.Errorf("keys[%d].public_key: a certificate valid from or to after the year 9999", i)
				}
			}
		}
		r.Keys = append(r.Keys, sk)
	}
	switch {
	case in.Error != "":
		r.Err = recordedError(in.Error, in.ErrorKind, in.NotRetrieved)
	case in.ErrorKind != "":
		return nil, false, fmt.Errorf("error_kind %q without an error", in.ErrorKind)
	}
	return r, in.Keys != nil || r.Err != nil, nil
}

// parseKey reads a key as scan writes it: "type base64", nothing around.
func parseKey(s string) (ssh.PublicKey, error) {
	if s == "" {
		return nil, errors.New("missing")
	}
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("more than one line")
	}
	k, comment, options, rest, err := ssh.ParseAuthorizedKey([]byte(s))
	switch {
	case err != nil:
		return nil, errors.New(strings.TrimPrefix(err.Error(), "ssh: "))
	case comment != "" || len(options) > 0 || len(rest) > 0:
		return nil, errors.New("want the key alone, as \"type base64\"")
	}
	return k, nil
}

// recordedError is an error read back: scan.Describe gives msg again, and
// ErrorKind kind, so that a result judged from a file reads and counts as
// the live one did.
func recordedError(msg, kind string, nr []scan.NotRetrieved) error {
	// An Error with no Kind is only a carrier: Describe strips the
	// "kexinit: " its Error adds, and nothing else.
	text := func(s string) error { return &kexinit.Error{Detail: s} }
	switch kind {
	case "incomplete":
		// Written as "TYPE, TYPE not retrieved: WHY".
		list, why, ok := strings.Cut(msg, " not retrieved: ")
		if ok && list != "" {
			return &scan.IncompleteError{Types: strings.Split(list, ", "), Err: text(why)}
		}
		if !ok {
			why = msg
		}
		var types []string
		for _, n := range nr {
			types = append(types, n.Type)
		}
		if len(types) == 0 {
			types = []string{"some key types"}
		}
		return &scan.IncompleteError{Types: types, Err: text(why)}
	case "no-key":
		return &scan.NoKeyError{Reasons: []string{strings.TrimPrefix(msg, "scan: no host key could be retrieved: ")}}
	case "", "error":
		return text(msg)
	}
	return &kexinit.Error{Kind: kexinit.Kind(kind), Detail: msg}
}
