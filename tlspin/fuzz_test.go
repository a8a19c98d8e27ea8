package tlspin

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParse: a pin file is a user file; whatever it holds, Parse returns
// pins or an error, never panics, and every pin it returns prints in a
// form that parses back to the same pin.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"# only a comment\n",
		sumA.OpenSSL() + "\n",
		"sha256 Fingerprint=" + sumA.OpenSSL() + "\n",
		hexA + "  -\n",
		"SHA256:" + b64A + "\n",
		"spki SHA256:" + b64A + " # web\n",
		"cert " + hexA + "\r\n" + "SHA256:" + b64A,
		"spki\n",
		"SHA256:" + b64A[:10],
		strings.Repeat(":", 31),
		"\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pins, err := Parse(bytes.NewReader(data))
		if err != nil {
			if len(pins) != 0 {
				t.Fatal("pins with an error")
			}
			return
		}
		for _, p := range pins {
			again, err := Parse(strings.NewReader(Line(p.Kind, p.Sum)))
			if err != nil || len(again) != 1 || again[0].Sum != p.Sum || again[0].Kind != p.Kind {
				t.Fatalf("%+v does not round-trip: %v %v", p, again, err)
			}
		}
	})
}
