package report

import (
	"io"
	"strings"

	"github.com/clipperhouse/displaywidth"
)

// DefaultWidth is the width output is laid out for when nothing says
// otherwise (stdout is not a terminal and COLUMNS is not set).
const DefaultWidth = 80

// Sized is a writer that knows how many columns the terminal (or page)
// behind it has. The renderers read the width from it, so that a caller
// that does not care passes any io.Writer and gets DefaultWidth.
type Sized struct {
	io.Writer
	Width int
}

// WidthOf is the width w renders to.
func WidthOf(w io.Writer) int {
	if s, ok := w.(*Sized); ok && s.Width > 0 {
		return s.Width
	}
	return DefaultWidth
}

// textWidth is how many terminal columns s takes (East Asian wide
// characters take two; safe has already escaped control characters).
func textWidth(s string) int { return displaywidth.String(s) }

// column is one column of a table.
type column struct {
	header string
	// wide cells may leave the row for a line of their own under it when
	// the row does not fit; label names them there ("" for free text).
	wide  bool
	label string
	// flex cells are free text: they wrap at spaces within their column.
	flex bool
}

type row struct {
	group string // a heading row when set: the cells below belong to it
	cells []string
}

// table is the one table every command renders: columns aligned with two
// spaces between them, no borders, laid out for the writer's width. A row
// that does not fit moves its wide cells, right to left, onto indented
// lines under it, and when even the rest does not fit every cell but the
// first goes under it, labelled. Nothing is ever cut: a word longer than
// the space it has is broken across lines.
type table struct {
	w      io.Writer
	cols   []column
	rows   []row
	groups bool
}

const (
	colGap  = 2  // spaces between two columns
	subIn   = 4  // indent of a cell moved under its row
	minFlex = 24 // a free-text column narrower than this moves under its row
)

func newTable(w io.Writer, header ...string) *table {
	t := &table{w: w}
	for _, h := range header {
		t.cols = append(t.cols, column{header: h})
	}
	return t
}

// under marks column i as one that may move under its row, named label
// there; flex says it is free text that may wrap within the column.
func (t *table) under(i int, label string, flex bool) *table {
	t.cols[i].wide, t.cols[i].label, t.cols[i].flex = true, label, flex
	return t
}

// wraps marks column i as free text that wraps within its column and
// never leaves the row.
func (t *table) wraps(i int) *table {
	t.cols[i].flex = true
	return t
}

// Append adds a row; missing cells are empty.
func (t *table) Append(cells []string) error {
	c := make([]string, len(t.cols))
	copy(c, cells)
	t.rows = append(t.rows, row{cells: c})
	return nil
}

// Group starts a section headed by title (a host, say) at the left
// margin; the rows after it are indented under it.
func (t *table) Group(title string) {
	t.groups = true
	t.rows = append(t.rows, row{group: title})
}

func (t *table) natural(i int) int {
	n := textWidth(t.cols[i].header)
	for _, r := range t.rows {
		if r.group != "" {
			continue
		}
		for _, l := range strings.Split(r.cells[i], "\n") {
			n = max(n, textWidth(l))
		}
	}
	return n
}

func (t *table) empty(i int) bool {
	for _, r := range t.rows {
		if r.group == "" && r.cells[i] != "" {
			return false
		}
	}
	return true
}

// layout decides which columns stay in the row and how wide each is.
func (t *table) layout(width, indent int) (inline []bool, widths []int) {
	n := len(t.cols)
	inline, widths = make([]bool, n), make([]int, n)
	nat := make([]int, n)
	for i, c := range t.cols {
		// A column that may leave its rows and has nothing in any of them
		// is left out, header and all.
		inline[i], nat[i] = !c.wide || !t.empty(i), t.natural(i)
	}
	for {
		fixed, flexN, count := indent, 0, 0
		for i, c := range t.cols {
			if !inline[i] {
				continue
			}
			count++
			if c.flex {
				flexN++
			} else {
				fixed += nat[i]
			}
		}
		fixed += colGap * max(count-1, 0)
		avail := width - fixed
		total := fixed
		for i, c := range t.cols {
			if inline[i] && c.flex {
				total += nat[i]
			}
		}
		if total <= width || (flexN > 0 && avail/flexN >= minFlex) {
			// Fits, with free text wrapped in its column if need be.
			copy(widths, nat)
			if total > width {
				share := avail / flexN
				for i, c := range t.cols {
					if inline[i] && c.flex {
						widths[i] = min(nat[i], share)
					}
				}
			}
			return inline, widths
		}
		moved := false
		for i := n - 1; i >= 0; i-- {
			if inline[i] && t.cols[i].wide {
				inline[i], moved = false, true
				break
			}
		}
		if !moved {
			// Even the narrow columns do not fit: the first stays, the
			// others go under it, labelled.
			for i := 1; i < n; i++ {
				if inline[i] {
					inline[i] = false
					if t.cols[i].label == "" && !t.cols[i].flex {
						t.cols[i].label = strings.ToLower(t.cols[i].header)
					}
				}
			}
			widths[0] = min(nat[0], max(width-indent, 1))
			return inline, widths
		}
	}
}

// Render writes the table.
func (t *table) Render() error {
	if len(t.rows) == 0 {
		return nil
	}
	width := WidthOf(t.w)
	indent := 0
	if t.groups {
		indent = 2
	}
	inline, widths := t.layout(width, indent)
	var b strings.Builder
	pad := strings.Repeat(" ", indent)
	line := func(cells []string) {
		// Each inline cell becomes lines no wider than its column.
		var cols [][]string
		height := 0
		for i, c := range t.cols {
			if !inline[i] {
				continue
			}
			var ls []string
			for _, l := range strings.Split(cells[i], "\n") {
				ls = append(ls, wrapLine(l, widths[i], c.flex)...)
			}
			cols = append(cols, ls)
			height = max(height, len(ls))
		}
		for h := 0; h < height; h++ {
			var s strings.Builder
			s.WriteString(pad)
			k := 0
			for i := range t.cols {
				if !inline[i] {
					continue
				}
				cell := ""
				if h < len(cols[k]) {
					cell = cols[k][h]
				}
				if k > 0 {
					s.WriteString(strings.Repeat(" ", colGap))
				}
				s.WriteString(cell)
				s.WriteString(strings.Repeat(" ", max(widths[i]-textWidth(cell), 0)))
				k++
			}
			b.WriteString(strings.TrimRight(s.String(), " "))
			b.WriteByte('\n')
		}
	}
	var head []string
	for _, c := range t.cols {
		head = append(head, c.header)
	}
	// The header goes under each group's heading, or once on top.
	if !t.groups {
		line(head)
	}
	for _, r := range t.rows {
		if r.group != "" {
			for _, l := range wrapLine(r.group, width, true) {
				b.WriteString(l + "\n")
			}
			line(head)
			continue
		}
		line(r.cells)
		for i, c := range t.cols {
			if inline[i] || r.cells[i] == "" {
				continue
			}
			prefix := pad + strings.Repeat(" ", subIn)
			if c.label != "" {
				prefix += c.label + ": "
			}
			b.WriteString(indented(r.cells[i], prefix, width))
		}
	}
	_, err := io.WriteString(t.w, b.String())
	return err
}

// indented writes text after prefix, every line of it wrapped to width,
// continuation lines aligned under the first one's text.
func indented(text, prefix string, width int) string {
	if label := strings.TrimLeft(prefix, " "); label != "" && width-textWidth(prefix) < 16 {
		// Too little room beside a label: the text goes under it.
		base := prefix[:len(prefix)-len(label)]
		return strings.TrimRight(prefix, " ") + "\n" + indented(text, base, width)
	}
	var b strings.Builder
	cont := strings.Repeat(" ", textWidth(prefix))
	p := prefix
	for _, l := range strings.Split(text, "\n") {
		for _, w := range wrapLine(l, max(width-textWidth(p), 1), true) {
			b.WriteString(strings.TrimRight(p+w, " ") + "\n")
			p = cont
		}
	}
	return b.String()
}

// Wrap is wrapText for the CLI's own multi-line messages.
func Wrap(text string, width int) string { return wrapText(text, width) }

// wrapText wraps each line of text to width, a continuation line indented
// as far as the text of the line it continues. An empty line stays.
func wrapText(text string, width int) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if l == "" {
			b.WriteByte('\n')
			continue
		}
		lead := len(l) - len(strings.TrimLeft(l, " "))
		b.WriteString(indented(l[lead:], l[:lead], width))
	}
	return b.String()
}

// wrapLine breaks s into lines no wider than width. Free text (words) breaks
// at spaces and after commas; anything else, and a word longer than width,
// breaks where the width ends: nothing is cut.
func wrapLine(s string, width int, words bool) []string {
	if width < 1 {
		width = 1
	}
	if textWidth(s) <= width {
		return []string{s}
	}
	if !words {
		return hardBreak(s, width)
	}
	var out []string
	cur := ""
	for _, tok := range tokens(s) {
		switch {
		case textWidth(cur+tok) <= width:
			cur += tok
		case textWidth(strings.TrimRight(cur+tok, " ")) <= width:
			cur += tok
		default:
			if strings.TrimSpace(cur) != "" {
				out = append(out, strings.TrimRight(cur, " "))
			}
			tok = strings.TrimLeft(tok, " ")
			if word := strings.TrimRight(tok, " "); textWidth(word) > width {
				parts := hardBreak(word, width)
				out = append(out, parts[:len(parts)-1]...)
				tok = parts[len(parts)-1] + tok[len(word):]
			}
			cur = tok
		}
	}
	if strings.TrimSpace(cur) != "" || len(out) == 0 {
		out = append(out, strings.TrimRight(cur, " "))
	}
	return out
}

// tokens splits s after each run of spaces and after each comma, keeping
// every byte: joined back they are s.
func tokens(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == ',':
			out = append(out, s[start:i+1])
			start = i + 1
		case s[i] == ' ' && (i+1 == len(s) || s[i+1] != ' '):
			out = append(out, s[start:i+1])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// hardBreak cuts s into pieces of at most width columns, between
// graphemes.
func hardBreak(s string, width int) []string {
	var out []string
	var cur strings.Builder
	n := 0
	g := displaywidth.StringGraphemes(s)
	for g.Next() {
		w := g.Width()
		if n+w > width && n > 0 {
			out = append(out, cur.String())
			cur.Reset()
			n = 0
		}
		cur.WriteString(g.Value())
		n += w
	}
	if cur.Len() > 0 || len(out) == 0 {
		out = append(out, cur.String())
	}
	return out
}

// WrapLine breaks s into lines no wider than width, at spaces and commas,
// or where the width ends for a word longer than it: for the CLI's own
// line-by-line output (a pin file's comments), where every line needs a
// prefix of its own.
func WrapLine(s string, width int) []string { return wrapLine(s, width, true) }

// PlainField is a field of a plain record: escaped, spaces written \x20,
// "-" for nothing.
func PlainField(s string) string { return plainField(s) }
