package sftpx

import (
	"encoding/binary"
	"io/fs"
	"os"
	"sync"

	"github.com/pkg/sftp"
)

// An upload's temporary file is created with its mode in the OPEN's
// attributes, as OpenSSH's sftp creates its files, instead of the server's
// default mode and an FSETSTAT after: one request less per file, which in
// a tree of small files is one of seven. pkg/sftp's client sends no
// attributes with OPEN, so packetWriter adds them on the way out
// (openModes.rewrite) for the temporary names place registers.
//
// A server may ignore them (the SFTP drafts let it; stores behind SFTP
// gateways do), or apply its umask, so the first upload into a directory
// with a given mode asks what it got (FSTAT), and createdModes keeps the
// answer for the others: an upload skips the FSETSTAT when its file is no
// more open than asked, and the SETSTAT at the end when it already has
// its final mode.

// openModes are the modes to create registered paths with.
type openModes struct{ m sync.Map } // path -> fs.FileMode

// fxpOpen is SSH_FXP_OPEN; attrPermissions is SSH_FILEXFER_ATTR_PERMISSIONS.
const (
	fxpOpenRequest  = 3
	attrPermissions = 0x00000004
)

// rewrite returns pkt, an OPEN of a registered path with no attributes,
// with the path's mode as its attributes; nil for any other packet.
func (o *openModes) rewrite(pkt []byte) []byte {
	if len(pkt) < 9 || pkt[4] != fxpOpenRequest {
		return nil
	}
	path, rest, ok := sshString(pkt[9:])
	if !ok || len(rest) != 8 || binary.BigEndian.Uint32(rest[4:]) != 0 {
		return nil // not pkg/sftp's OPEN with empty attributes
	}
	v, ok := o.m.Load(string(path))
	if !ok {
		return nil
	}
	out := make([]byte, 0, len(pkt)+4)
	out = binary.BigEndian.AppendUint32(out, uint32(len(pkt)-4+4))
	out = append(out, pkt[4:len(pkt)-4]...)
	out = binary.BigEndian.AppendUint32(out, attrPermissions)
	out = binary.BigEndian.AppendUint32(out, uint32(v.(fs.FileMode).Perm()))
	return out
}

// openTemp creates the temporary file tmp with flags and, where the server
// honours it, mode (see openModes). A server that refuses an OPEN with
// attributes gets it again without them.
func (c *Client) openTemp(tmp string, flags int, mode fs.FileMode) (*sftp.File, error) {
	c.ses.openModes.m.Store(tmp, mode)
	w, err := c.sftp.OpenFile(tmp, flags)
	c.ses.openModes.m.Delete(tmp)
	if err != nil && c.refusal(err) && !os.IsExist(err) && !os.IsNotExist(err) && !os.IsPermission(err) {
		return c.sftp.OpenFile(tmp, flags)
	}
	return w, err
}

// createdAs says what mode w, just created in dir with mode asked in its
// OPEN, was given: what the first upload into dir that asked for the same
// mode was given, asked with FSTAT once (uploads that start meanwhile
// wait for the answer), then kept. A server gives the same answer to the
// same request in the same place, whether it honours the attributes,
// applies a umask to them or ignores them for its default. ok is false
// when the server would not say (FSTAT failed).
func (c *Client) createdAs(w *sftp.File, dir string, mode fs.FileMode) (got fs.FileMode, ok bool) {
	v, _ := c.ses.createdModes.LoadOrStore(createdKey{dir, mode}, &createdMode{})
	f := v.(*createdMode)
	f.once.Do(func() {
		if st, err := w.Stat(); err == nil {
			f.got, f.ok = st.Mode().Perm(), true
		}
	})
	return f.got, f.ok
}

type createdKey struct {
	dir  string
	mode fs.FileMode
}

// createdMode is the mode the server gave the first upload into a
// directory that asked for a mode.
type createdMode struct {
	once sync.Once
	got  fs.FileMode
	ok   bool
}
