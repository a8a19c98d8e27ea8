package report

import (
	"io"
	"strings"

	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/sshpin/sshpin/scan"
)

// KnownHostsLines are the lines ssh-keyscan prints for r: plain keys only
// (ssh-keyscan prints certificates only with -c), the host as named, in
// [host]:port form off port 22, hashed like ssh-keyscan -H when hash is set.
func KnownHostsLines(r *scan.Result, hash bool) []string {
	var out []string
	name := r.Target.KnownHostsName()
	for _, k := range r.Keys {
		if k.Cert != nil {
			continue
		}
		line := knownhosts.Line([]string{name}, k.Key)
		if hash {
			_, rest, _ := strings.Cut(line, " ")
			line = knownhosts.HashHostname(name) + " " + rest
		}
		out = append(out, line)
	}
	return out
}

// WriteKnownHosts writes KnownHostsLines.
func WriteKnownHosts(w io.Writer, r *scan.Result, hash bool) error {
	for _, l := range KnownHostsLines(r, hash) {
		if _, err := io.WriteString(w, l+"\n"); err != nil {
			return err
		}
	}
	return nil
}
