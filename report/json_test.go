package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/sshpin/sshpin/results"
	"github.com/sshpin/sshpin/scan"
	"github.com/sshpin/sshpin/target"
)

// What WriteJSON writes, its extra escapes included, results reads back to
// the same record: the escapes change the bytes, not the strings.
func TestWriteJSONReadsBack(t *testing.T) {
	tg, err := target.Parse("192.0.2.1:2222")
	if err != nil {
		t.Fatal(err)
	}
	r := &scan.Result{Target: tg, Address: "192.0.2.1", Connections: 1,
		Err: &scan.NoKeyError{Reasons: []string{"ssh-rsa: \u0085\u202e\u2066 said the server"}}}
	var b bytes.Buffer
	if err := WriteJSON(&b, results.NewRecord(r, true)); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsRune(b.Bytes(), '\u202e') || bytes.ContainsRune(b.Bytes(), '\u0085') {
		t.Fatalf("WriteJSON left a raw control: %q", &b)
	}
	back, _, err := results.ParseRecord(bytes.TrimSpace(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(results.NewRecord(r, true))
	got, _ := json.Marshal(results.NewRecord(back, true))
	if !bytes.Equal(got, want) {
		t.Errorf("read back as\n%s\nwant\n%s", got, want)
	}
}
