package report

import (
	"fmt"
	"io"
	"strings"
)

// Format is how a command renders for its reader.
type Format string

const (
	FormatTable    Format = "table"    // for a person at a terminal, fitted to its width
	FormatPlain    Format = "plain"    // one record per line, fields split by spaces, for grep and awk
	FormatMarkdown Format = "markdown" // for $GITHUB_STEP_SUMMARY and merge-request notes
	FormatJSON     Format = "json"     // JSON Lines, one object per target
)

// Formats are every format, in the order help lists them.
var Formats = []Format{FormatTable, FormatPlain, FormatMarkdown, FormatJSON}

// ParseFormat reads a format's name. An unknown one is an
// *UnknownFormatError.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", &UnknownFormatError{Name: s}
}

// UnknownFormatError is a format name that is none of Formats.
type UnknownFormatError struct{ Name string }

func (e *UnknownFormatError) Error() string {
	return fmt.Sprintf("format %q: want table, plain, markdown or json", e.Name)
}

// plainField is one space-free field of a plain line: spaces inside it
// would shift every field after it, so they are escaped, and an empty
// value is "-".
func plainField(s string) string {
	if s == "" {
		return "-"
	}
	return strings.ReplaceAll(Safe(s), " ", `\x20`)
}

func splitLines(s string) []string {
	return strings.Split(s, "\n")
}

// plural is "1 host", "2 hosts".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Plural is plural for the CLI's own messages.
func Plural(n int, noun string) string { return plural(n, noun) }

// md builds a markdown document: headings, paragraphs and tables.
type md struct {
	b    strings.Builder
	cols int
}

func (m *md) heading(s string) {
	m.end()
	fmt.Fprintf(&m.b, "### %s\n\n", mdEscape(Safe(s)))
}

func (m *md) para(s string) {
	m.end()
	fmt.Fprintf(&m.b, "%s\n\n", mdEscape(Safe(s)))
}

func (m *md) header(cols ...string) {
	m.end()
	m.cols = len(cols)
	m.b.WriteString("| " + strings.Join(cols, " | ") + " |\n|" + strings.Repeat("---|", len(cols)) + "\n")
}

// row takes cells already escaped (mdCell, code).
func (m *md) row(cells ...string) {
	m.b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

func (m *md) end() {
	if m.cols > 0 {
		m.b.WriteString("\n")
		m.cols = 0
	}
}

func (m *md) flush(w io.Writer) error {
	m.end()
	_, err := io.WriteString(w, m.b.String())
	return err
}

// mdCell is text a server or a file chose, made safe for a table cell.
func mdCell(s string) string { return mdEscape(Safe(s)) }

// MarkdownCell is mdCell for the CLI's own tables.
func MarkdownCell(s string) string { return mdCell(s) }

// code is s in backquotes, for a fingerprint or an algorithm name; a
// backquote inside s could end the span early, so it is escaped.
func code(s string) string {
	if s == "" {
		return ""
	}
	s = Safe(s)
	if strings.Contains(s, "`") {
		return mdEscape(s)
	}
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

func codeList(names []string) string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, code(n))
	}
	return strings.Join(out, "<br>")
}
