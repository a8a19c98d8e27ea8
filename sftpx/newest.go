package sftpx

import (
	"io/fs"
	"strings"
)

// NewestChoice is the file a wildcard's --newest chose, and among what.
type NewestChoice struct {
	Entry
	// Matched is how many names the pattern matched; Candidates how many
	// of them could be chosen (see ChooseNewest); Tied how many of those
	// had the chosen one's modification time, itself included.
	Matched, Candidates, Tied int
}

// ChooseNewest picks, of the entries a pattern matched (Glob), the one
// with the latest modification time; of equal times (SFTP's have whole
// seconds), the greatest name in byte order. Candidates are regular files
// and links to them (judged by what they point to), and with dirs also
// directories, which a recursive copy takes. A link to a directory is
// never chosen while another candidate matched: a recursive copy does not
// follow links to directories inside a tree, and a backup script wants
// the newest file; nor is a dangling link, a FIFO, a socket or a device.
// ok is false when no entry can be chosen.
func ChooseNewest(entries []Entry, dirs bool) (n NewestChoice, ok bool) {
	n.Matched = len(entries)
	pick := func(cands []Entry) (NewestChoice, bool) {
		for _, x := range cands {
			switch {
			case !ok:
				n.Entry, n.Tied, ok = x, 1, true
			case x.ModTime.After(n.ModTime):
				n.Entry, n.Tied = x, 1
			case x.ModTime.Equal(n.ModTime):
				n.Tied++
				if strings.Compare(x.Name, n.Name) > 0 {
					n.Entry = x
				}
			}
		}
		n.Candidates = len(cands)
		return n, ok
	}
	var cands, dirLinks []Entry
	for _, x := range entries {
		switch t := x.Mode.Type(); {
		case t.IsRegular(), t.IsDir() && dirs:
			cands = append(cands, x)
		case t == fs.ModeSymlink && x.Target.IsRegular():
			cands = append(cands, x)
		case t == fs.ModeSymlink && x.Target.IsDir() && dirs:
			dirLinks = append(dirLinks, x)
		}
	}
	if len(cands) == 0 {
		cands = dirLinks
	}
	return pick(cands)
}

// resolveLink fills in a link's Target, and its target's time and size,
// from the server's stat; it runs inside c.do.
func resolveLink(c *Client, e Entry) Entry {
	if e.Mode.Type() != fs.ModeSymlink {
		return e
	}
	e.Target = fs.ModeSymlink // dangling, until the stat says otherwise
	if st, err := c.sftp.Stat(e.Path); err == nil {
		e.Target, e.Size, e.ModTime = st.Mode(), st.Size(), st.ModTime()
	}
	return e
}
