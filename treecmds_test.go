package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// treeCmds are the script commands that compare whole directory trees,
// which cmp and dir-is check one file or one level at a time, and what a
// copy kept of a file: its date and mode.
func treeCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		// [!] mtime-is PATH RFC3339 checks PATH's modification time is (or
		// with !, is not) the one given, to the nanosecond.
		"mtime-is": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 2 {
				ts.Fatalf("usage: [!] mtime-is PATH RFC3339")
			}
			want, err := time.Parse(time.RFC3339Nano, args[1])
			ts.Check(err)
			st, err := os.Lstat(ts.MkAbs(args[0]))
			ts.Check(err)
			if st.ModTime().Equal(want) == neg {
				ts.Fatalf("%s has date %s, want %s%s", args[0], st.ModTime().UTC().Format(time.RFC3339Nano), map[bool]string{true: "other than ", false: ""}[neg], args[1])
			}
		},
		// mode-is PATH OCTAL checks PATH's permission bits.
		"mode-is": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 2 {
				ts.Fatalf("usage: mode-is PATH OCTAL")
			}
			want, err := strconv.ParseUint(args[1], 8, 32)
			ts.Check(err)
			st, err := os.Lstat(ts.MkAbs(args[0]))
			ts.Check(err)
			if got := st.Mode().Perm(); uint64(got) != want {
				ts.Fatalf("%s has mode %04o, want %04o", args[0], got, want)
			}
		},
		// tree-cmp WANT GOT checks GOT holds the same entries as WANT
		// (directories, empty ones too, and files), each file with the
		// same bytes, and nothing else: no temporary file left behind.
		"tree-cmp": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 2 {
				ts.Fatalf("usage: tree-cmp WANT GOT")
			}
			want, got := ts.MkAbs(args[0]), ts.MkAbs(args[1])
			wn, gn := treeNames(ts, want), treeNames(ts, got)
			if !slices.Equal(wn, gn) {
				ts.Fatalf("%s holds %q, want %q", args[1], gn, wn)
			}
			for _, n := range wn {
				if strings.HasSuffix(n, "/") {
					continue
				}
				a, err := os.ReadFile(filepath.Join(want, n))
				ts.Check(err)
				b, err := os.ReadFile(filepath.Join(got, n))
				ts.Check(err)
				if !bytes.Equal(a, b) {
					ts.Fatalf("%s/%s: %d bytes differ from %s/%s (%d bytes)", args[1], n, len(b), args[0], n, len(a))
				}
			}
		},
	}
}

// treeNames lists root's entries, relative, sorted, directories with a
// trailing slash.
func treeNames(ts *testscript.TestScript, root string) []string {
	var names []string
	ts.Check(filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if d.IsDir() {
			rel += "/"
		}
		names = append(names, rel)
		return err
	}))
	return names
}
