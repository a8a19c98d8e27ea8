// Package report turns results into what people and scripts read: tables,
// JSON Lines, known_hosts lines. Its functions are pure: results in, bytes
// out, nothing read from the network or the environment.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

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
