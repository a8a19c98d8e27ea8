//go:build !unix

package knownhosts

import "io/fs"

func fileOwner(fs.FileInfo) (uid, gid int, ok bool) { return -1, -1, false }
