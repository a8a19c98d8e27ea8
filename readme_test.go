package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// constsOfType reads, from the non-test Go files of dir, the string
// constants declared with the named type: what the code can emit.
func constsOfType(t *testing.T, dir, typ string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != typ {
				return true
			}
			for _, v := range vs.Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					out = append(out, s)
				}
			}
			return true
		})
	}
	if len(out) == 0 {
		t.Fatalf("no %s constants in %s", typ, dir)
	}
	return out
}

// returnedStrings reads the string literals function fn of dir returns.
func returnedStrings(t *testing.T, path, fn string) []string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != fn {
			continue
		}
		ast.Inspect(fd, func(n ast.Node) bool {
			if r, ok := n.(*ast.ReturnStmt); ok {
				for _, v := range r.Results {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						out = append(out, s)
					}
				}
			}
			return true
		})
	}
	if len(out) == 0 {
		t.Fatalf("%s returns no string literal", fn)
	}
	return out
}

// TestReadmeNamesEveryStatus fails when the code can emit a check status
// or an error_kind the README does not document.
func TestReadmeNamesEveryStatus(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	var want []string
	statuses := constsOfType(t, "check", "Status")
	if len(statuses) == 0 {
		t.Fatal("no Status constants in check/: the test would check nothing")
	}
	want = append(want, statuses...)
	for _, k := range constsOfType(t, "baseline", "Kind") {
		want = append(want, "algo-"+k)
	}
	want = append(want, "policy-fail", "policy-warn", "drift")
	want = append(want, constsOfType(t, "kexinit", "Kind")...)
	want = append(want, returnedStrings(t, "results/record.go", "ErrorKind")...)
	for _, w := range want {
		if !strings.Contains(readme, "`"+w+"`") {
			t.Errorf("README.md does not document `%s`", w)
		}
	}
}
