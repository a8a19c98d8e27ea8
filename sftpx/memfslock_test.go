package sftpx

import (
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/pkg/sftp"
)

// lockedHandlers serialises pkg/sftp's in-memory handlers' commands and
// listings, and hands out listings as copies: its Filelist returns the
// live files, whose names a rename then writes while the server formats
// them (a data race pkg/sftp's own tests never meet, and several SFTP
// sessions on one server, lanes.go, do).
func lockedHandlers(h sftp.Handlers) sftp.Handlers {
	mu := &sync.Mutex{}
	h.FileCmd = &lockedCmd{h.FileCmd, mu}
	h.FileList = &lockedList{h.FileList, mu}
	return h
}

type lockedCmd struct {
	sftp.FileCmder
	mu *sync.Mutex
}

func (l *lockedCmd) Filecmd(r *sftp.Request) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.FileCmder.Filecmd(r)
}

func (l *lockedCmd) PosixRename(r *sftp.Request) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.FileCmder.(sftp.PosixRenameFileCmder).PosixRename(r)
}

func (l *lockedCmd) StatVFS(r *sftp.Request) (*sftp.StatVFS, error) {
	return l.FileCmder.(sftp.StatVFSFileCmder).StatVFS(r)
}

type lockedList struct {
	sftp.FileLister
	mu *sync.Mutex
}

func (l *lockedList) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return snapshot(l.FileLister.Filelist(r))
}

func (l *lockedList) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return snapshot(l.FileLister.(sftp.LstatFileLister).Lstat(r))
}

func (l *lockedList) Readlink(p string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.FileLister.(sftp.ReadlinkFileLister).Readlink(p)
}

// snapshot copies a listing's entries, under the caller's lock.
func snapshot(la sftp.ListerAt, err error) (sftp.ListerAt, error) {
	if err != nil {
		return nil, err
	}
	var all []fs.FileInfo
	buf := make([]os.FileInfo, 32)
	for off := int64(0); ; {
		n, err := la.ListAt(buf, off)
		for _, fi := range buf[:n] {
			all = append(all, fileSnap{fi.Name(), fi.Size(), fi.Mode(), fi.ModTime(), fi.Sys()})
		}
		off += int64(n)
		if err == io.EOF || n == 0 {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return listerAt(all), nil
}

type fileSnap struct {
	name string
	size int64
	mode fs.FileMode
	mod  time.Time
	sys  any
}

func (f fileSnap) Name() string       { return f.name }
func (f fileSnap) Size() int64        { return f.size }
func (f fileSnap) Mode() fs.FileMode  { return f.mode }
func (f fileSnap) ModTime() time.Time { return f.mod }
func (f fileSnap) IsDir() bool        { return f.mode.IsDir() }
func (f fileSnap) Sys() any           { return f.sys }
