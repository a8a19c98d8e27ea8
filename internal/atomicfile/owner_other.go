//go:build !unix

package atomicfile

import "io/fs"

func fileOwner(fs.FileInfo) (uid, gid int, ok bool) { return -1, -1, false }
