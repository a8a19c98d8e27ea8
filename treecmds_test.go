package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// treeCmds are the script commands that compare whole directory trees,
// which cmp and dir-is check one file or one level at a time.
func treeCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
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
