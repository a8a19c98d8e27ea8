package report

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"testing"
	"time"
)

func TestListTime(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	recent := time.Date(2026, 11, 30, 7, 6, 5, 123456789, time.UTC)
	old := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		style string
		at    time.Time
		want  string
	}{
		{"", recent, "2026-11-30 07:06:05"},
		{"default", old, "2025-01-02 03:04:05"},
		{"full-iso", recent, "2026-11-30 07:06:05.123456789 +0000"},
		{"long-iso", recent, "2026-11-30 07:06"},
		{"iso", recent, "11-30 07:06"},
		{"iso", old, "2025-01-02 "},
		{"iso", now.Add(time.Hour), "2026-12-03 "}, // in the future: not recent
	} {
		got, ok := ListTime(tc.at, now, tc.style)
		if !ok || got != tc.want {
			t.Errorf("ListTime(%v, %q) = %q, %v; want %q", tc.at, tc.style, got, ok, tc.want)
		}
	}
	if _, ok := ListTime(now, now, "locale"); ok {
		t.Error("an unknown style was accepted")
	}
}

// TestListed: an entry's ls line (a directory's name with '/', the name
// escaped) and its JSON record (UTC, mode in octal, not-UTF-8 names kept).
func TestListed(t *testing.T) {
	at := time.Date(2026, 11, 30, 7, 6, 5, 0, time.UTC)
	for _, tc := range []struct {
		l          Listed
		line, json string
	}{
		{Listed{Remote: "h:/d/a.txt", Name: "a.txt", Mode: 0o640, Size: 12, ModTime: at},
			"-rw-r-----           12 " + at.Local().Format("2006-01-02 15:04:05") + " a.txt\n",
			`{"remote":"h:/d/a.txt","name":"a.txt","type":"file","mode":"0640","size":12,"mtime":"2026-11-30T07:06:05Z"}`},
		{Listed{Remote: "h:/d/sub\x1b", Name: "sub\x1b", Mode: fs.ModeDir | 0o755, ModTime: at},
			"drwxr-xr-x            0 " + at.Local().Format("2006-01-02 15:04:05") + " sub\\x1b/\n",
			`{"remote":"h:/d/sub\u001b","name":"sub\u001b","type":"dir","mode":"0755","size":0,"mtime":"2026-11-30T07:06:05Z"}`},
		{Listed{Remote: "h:/\xff", Name: "\xff", Mode: fs.ModeSymlink | 0o777, ModTime: at},
			"Lrwxrwxrwx            0 " + at.Local().Format("2006-01-02 15:04:05") + " \\xff\n",
			`{"remote":"h:/\ufffd","remote_escaped":"h:/\\xff","name":"\ufffd","name_escaped":"\\xff","type":"symlink","mode":"0777","size":0,"mtime":"2026-11-30T07:06:05Z"}`},
	} {
		var b bytes.Buffer
		WriteListed(&b, tc.l, "default", at)
		if b.String() != tc.line {
			t.Errorf("line = %q, want %q", b.String(), tc.line)
		}
		got, err := json.Marshal(tc.l.Record())
		if err != nil || string(got) != tc.json {
			t.Errorf("json = %s, %v\nwant   %s", got, err, tc.json)
		}
	}
}
