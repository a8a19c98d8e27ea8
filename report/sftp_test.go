package report

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"testing"
	"time"
)

// TestTransfer: the line, the failure message and the JSON record of each
// kind of transfer, names escaped on the terminal and kept in JSON.
func TestTransfer(t *testing.T) {
	tests := []struct {
		name          string
		t             Transfer
		line, failure string
		json          string
	}{
		{"get", Transfer{Op: "get", Remote: "web-1:/srv/a", Local: "a", Bytes: 2048, Took: 2 * time.Second, SHA256: "ab", Proof: "size"},
			"web-1:/srv/a -> a  2.0 KiB in 2.00s (1.0 KiB/s)  sha256:ab  verified:size\n", "get web-1:/srv/a -> a: ",
			`{"remote":"web-1:/srv/a","local":"a","bytes":2048,"seconds":2,"sha256":"ab","verified":"size"}`},
		{"put", Transfer{Op: "put", Remote: "web-1:/in/b", Local: "b\x1b[2J", Bytes: 10},
			"b\\x1b[2J -> web-1:/in/b  10 B in 0.00s (-/s)  sha256:  verified:\n", "put b\x1b[2J -> web-1:/in/b: ",
			`{"remote":"web-1:/in/b","local":"b\u001b[2J","bytes":10,"seconds":0}`},
		{"cp", Transfer{Op: "cp", Remote: "dst:/x", Source: "src:/x", Bytes: 1 << 20, Took: time.Second, Newest: &NewestRecord{Pattern: "src:/*", Name: "x"}},
			"src:/x -> dst:/x  1.0 MiB in 1.00s (1.0 MiB/s)  sha256:  verified:\n", "cp src:/x -> dst:/x: ",
			`{"remote":"dst:/x","source":"src:/x","bytes":1048576,"seconds":1,"newest":{"pattern":"src:/*","name":"x","mtime":"","size":0,"matched":0,"candidates":0,"tied":0}}`},
		{"cp before its destination", Transfer{Op: "cp", Source: "src:/*.gz", Err: "no file matches"},
			"", "cp src:/*.gz: ", `{"remote":"","source":"src:/*.gz","bytes":0,"seconds":0,"error":"no file matches"}`},
		{"glob", Transfer{Op: "glob", Remote: "h:/*.gz", Err: "no file matches"},
			"", "glob h:/*.gz: ", `{"remote":"h:/*.gz","bytes":0,"seconds":0,"error":"no file matches"}`},
		{"skipped put", Transfer{Op: "put", Remote: "h:/d/fifo", Local: "d/fifo", Skipped: true, Reason: "a FIFO"},
			"skipped: d/fifo: a FIFO\n", "",
			`{"remote":"h:/d/fifo","local":"d/fifo","bytes":0,"seconds":0,"skipped":true,"reason":"a FIFO"}`},
		{"not UTF-8", Transfer{Op: "get", Remote: "h:/\xff", Local: "\xff", Skipped: true, Reason: "link"},
			"skipped: h:/\\xff: link\n", "",
			`{"remote":"h:/\ufffd","remote_escaped":"h:/\\xff","local":"\ufffd","local_escaped":"\\xff","bytes":0,"seconds":0,"skipped":true,"reason":"link"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.line != "" {
				var b bytes.Buffer
				WriteTransfer(&b, tt.t, 0)
				if b.String() != tt.line {
					t.Errorf("line = %q, want %q", b.String(), tt.line)
				}
			}
			if tt.failure != "" {
				if got := TransferFailure(tt.t); got != tt.failure+tt.t.Err {
					t.Errorf("failure = %q, want %q", got, tt.failure+tt.t.Err)
				}
			}
			got, err := json.Marshal(tt.t.Record())
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.json {
				t.Errorf("json = %s\nwant   %s", got, tt.json)
			}
		})
	}
}

func TestSizeRateFileType(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 30: "5.0 GiB", 1 << 62: "4.0 EiB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Rate(1<<20, 0); got != "-" {
		t.Errorf("Rate(_, 0) = %q", got)
	}
	if got := Rate(3<<20, 2*time.Second); got != "1.5 MiB" {
		t.Errorf("Rate = %q", got)
	}
	for m, want := range map[fs.FileMode]string{0o644: "file", fs.ModeDir | 0o755: "dir", fs.ModeSymlink: "symlink", fs.ModeNamedPipe: "other"} {
		if got := FileType(m); got != want {
			t.Errorf("FileType(%v) = %q, want %q", m, got, want)
		}
	}
}

// A transfer line wider than the terminal puts the SHA-256 on a line of
// its own, and both lines fit 80 columns; one that fits stays one line.
func TestTransferFitsWidth(t *testing.T) {
	sum := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	tr := Transfer{Op: "put", Remote: "backup-1:/srv/backups/db.dump", Local: "db.dump", Bytes: 3 << 20, Took: time.Second, SHA256: sum, Proof: "sha256-readback"}
	var b bytes.Buffer
	WriteTransfer(&b, tr, 80)
	want := "db.dump -> backup-1:/srv/backups/db.dump  3.0 MiB in 1.00s (3.0 MiB/s)  verified:sha256-readback\n  sha256:" + sum + "\n"
	if b.String() != want {
		t.Errorf("at 80 columns:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	WriteTransfer(&b, tr, 200)
	if want := "db.dump -> backup-1:/srv/backups/db.dump  3.0 MiB in 1.00s (3.0 MiB/s)  sha256:" + sum + "  verified:sha256-readback\n"; b.String() != want {
		t.Errorf("at 200 columns: %q, want %q", b.String(), want)
	}
}
