package sftpx

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pkg/sftp"
)

// The check-file extension (draft-ietf-secsh-filexfer-extensions-00 §3,
// ProFTPD's mod_sftp serves it): the server hashes a file itself, so
// that a transfer is proved end to end without sending the file back.
const (
	checkFileExtension = "check-file"
	checkFileName      = "check-file-name"
	checkFileHash      = "sha256"
)

// Proofs a transferred file got, weakest first (Result.Proof).
const (
	// ProofSize: every write acknowledged, the size the server reports
	// (after fsync@openssh.com, where it has it) equal to what was sent or
	// received. It does not prove the bytes: a server that stores zeros
	// in a file of the right size passes.
	ProofSize = "size"
	// ProofServerHash: also the SHA-256 the server computed of the file it
	// holds (check-file) equal to the SHA-256 of the bytes this side sent
	// or received. It proves what the server says it stores; a server that
	// lies about its hash as well as its bytes passes.
	ProofServerHash = "sha256-server"
	// ProofReadBack: the bytes read back from the server (for get: read a
	// second time, when the server has no hash) hash to the same SHA-256.
	ProofReadBack = "sha256-readback"
)

// checkFileRate is the slowest a server is assumed to hash: its answer
// may take the timeout plus the file's size at this rate, since it reads
// the whole file before it says anything.
const checkFileRate = 8 << 20 // bytes per second

// hasCheckFile tells whether the server offers check-file: it says so in
// its VERSION, or it is ProFTPD's mod_sftp, which (1.3.8) serves
// check-file-name to every client but names it only to SFTP v5 and v6
// ones, until it answers that it does not (SFTPExtensions -CheckFile).
// Other servers are not asked what they did not offer: OpenSSH logs every
// extended request it does not know as an error.
func (c *Client) hasCheckFile() bool {
	if c.ses == nil {
		return false
	}
	if c.ses.exts[checkFileExtension] {
		return true
	}
	return c.conn != nil && isModSFTP(c.conn.ServerVersion()) && !c.ses.checkUnsupported.Load()
}

// serverSHA256 asks the server for the SHA-256 of its file p, of size
// bytes (check-file-name). ok is false when the server does not offer
// check-file or does not give a SHA-256 of this file: the transfer then
// has only its size as proof, and the first refusal is reported as a
// warning. An empty file is not asked about (ProFTPD refuses to hash one,
// and its size says all). err is the connection's failure; the request
// runs inside c.do.
func (c *Client) serverSHA256(ctx context.Context, p string, size int64) (sum string, ok bool, err error) {
	if !c.hasCheckFile() || size == 0 {
		return "", false, nil
	}
	body := appendString(nil, []byte(p))
	body = appendString(body, []byte(checkFileHash))
	body = binary.BigEndian.AppendUint64(body, 0) // from the start
	body = binary.BigEndian.AppendUint64(body, 0) // to the end
	body = binary.BigEndian.AppendUint32(body, 0) // one hash of it all
	// The server reads the whole file before it answers: that is no
	// stall, and has a deadline of its own.
	limit := c.opts.Timeout + time.Duration(float64(size)/checkFileRate*float64(time.Second))
	back := c.g.StepOut()
	lctx, cancel := context.WithTimeout(context.Background(), limit)
	r, err := c.ses.extended(ctx, checkFileName, body, lctx.Done())
	cancel()
	back()
	switch {
	case errors.Is(err, errExtTimeout):
		terr := fmt.Errorf("%w: the server did not answer %s within %s", ErrTimeout, checkFileName, limit.Round(time.Second))
		c.g.Trip(terr)
		return "", false, terr
	case err != nil:
		if f := c.g.Failure(); f != nil {
			return "", false, f
		}
		return "", false, connectionLost(err)
	}
	if r.typ == fxpStatus {
		if !c.ses.exts[checkFileExtension] && len(r.body) >= 4 && binary.BigEndian.Uint32(r.body) == uint32(sftp.ErrSSHFxOpUnsupported) {
			c.ses.checkUnsupported.Store(true) // not offered after all
			return "", false, nil
		}
		c.checkFileRefused(p, statusText(r.body))
		return "", false, nil
	}
	h, err := parseCheckFile(r.body)
	if err != nil {
		c.checkFileRefused(p, err.Error())
		return "", false, nil
	}
	return hex.EncodeToString(h), true, nil
}

// checkFileRefused reports, once per Client, that a server offering
// check-file gave no SHA-256.
func (c *Client) checkFileRefused(p, why string) {
	if c.ses.checkRefused.CompareAndSwap(false, true) {
		emit(c.opts.Events, Event{Kind: EventWarning, Remote: p,
			Message: fmt.Sprintf("the server offers %s but gave no SHA-256 of %s (%s): files it does not hash are proved by their size only", checkFileExtension, p, why)})
	}
}

// parseCheckFile reads a check-file reply after its request id. The
// draft's reply starts with the string "check-file"; ProFTPD's goes
// straight to the hash name. Then the hash itself, which must be one
// SHA-256: this package asks for nothing else and one block only.
func parseCheckFile(b []byte) ([]byte, error) {
	name, rest, ok := sshString(b)
	if !ok {
		return nil, errors.New("malformed check-file reply")
	}
	if string(name) == checkFileExtension {
		if name, rest, ok = sshString(rest); !ok {
			return nil, errors.New("malformed check-file reply")
		}
	}
	if !strings.EqualFold(string(name), checkFileHash) {
		return nil, fmt.Errorf("the server hashed with %q, not %s", truncate(string(name), 40), checkFileHash)
	}
	if len(rest) != 32 {
		return nil, fmt.Errorf("a SHA-256 of %d bytes", len(rest))
	}
	return rest, nil
}

// statusText is the code and message of an SSH_FXP_STATUS body after
// its request id.
func statusText(b []byte) string {
	if len(b) < 4 {
		return "malformed status"
	}
	code := binary.BigEndian.Uint32(b)
	msg, _, _ := sshString(b[4:])
	if len(msg) > 0 {
		return fmt.Sprintf("%s: %s", (&sftp.StatusError{Code: code}).FxCode(), truncate(string(msg), 80))
	}
	return fmt.Sprint((&sftp.StatusError{Code: code}).FxCode())
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
