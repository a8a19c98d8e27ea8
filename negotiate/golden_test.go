package negotiate_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/sshpin/sshpin/internal/recorded"
	"github.com/sshpin/sshpin/negotiate"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./negotiate/ -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./negotiate/ -update and review the diff\ngot:\n%s", path, got)
	}
}

// Every profile against every recorded server, and the pinned-type pitfall
// for each of the server's key types pinned alone.
func TestGoldenNegotiations(t *testing.T) {
	for _, s := range recorded.All() {
		t.Run(s.Name, func(t *testing.T) {
			type entry struct {
				Result   *negotiate.Result             `json:"result"`
				Pitfalls map[string]*negotiate.Pitfall `json:"pitfalls,omitempty"`
			}
			out := map[string]entry{}
			for _, p := range negotiate.Profiles() {
				e := entry{Result: negotiate.Negotiate(s.KexInit, p), Pitfalls: map[string]*negotiate.Pitfall{}}
				for _, k := range s.Keys {
					if pf := negotiate.PinnedPitfall(s.KexInit, p, []string{k.Type}); pf != nil {
						e.Pitfalls[k.Type] = pf
					}
				}
				out[p.Name] = e
			}
			golden(t, s.Name+".json", out)
		})
	}
}
