package report

import (
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// newTable is the one table style every command uses: headers as written
// (tablewriter title-cases them by default), left-aligned, cells never
// wrapped, so that a fingerprint is always one copyable line.
func newTable(w io.Writer, header ...string) *tablewriter.Table {
	cfg := tablewriter.NewConfigBuilder().
		WithHeaderAutoFormat(tw.Off).
		WithHeaderAlignment(tw.AlignLeft).
		WithRowAlignment(tw.AlignLeft).
		WithRowAutoWrap(tw.WrapNone).
		WithHeaderAutoWrap(tw.WrapNone).
		Build()
	t := tablewriter.NewTable(w, tablewriter.WithConfig(cfg))
	h := make([]any, len(header))
	for i, s := range header {
		h[i] = s
	}
	t.Header(h...)
	return t
}
