package report

import "testing"

// A banner is the server's to choose: an escape sequence in it must not
// reach the terminal through the table.
func TestSafeEscapesControlCharacters(t *testing.T) {
	for in, want := range map[string]string{
		"SSH-2.0-OpenSSH_9.6":    "SSH-2.0-OpenSSH_9.6",
		"evil\x1b[2J\x1b[Hclear": `evil\x1b[2J\x1b[Hclear`,
		"bell\a":                 `bell\a`,
		"caf\xc3\xa9 ok":         "café ok",
		"bad utf8 \xff":          `bad utf8 \xff`,
		"c1 control \u009b31m":   `c1 control \u009b31m`,
	} {
		if got := safe(in); got != want {
			t.Errorf("safe(%q) = %q, want %q", in, got, want)
		}
	}
}
