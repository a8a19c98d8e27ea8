package knownhosts

import (
	"errors"
	"strings"

	"golang.org/x/crypto/ssh"
)

// PinStatus is what Pin did with one host's keys. The values are the
// words pin --json writes in "status".
type PinStatus string

const (
	// StatusPinned: keys were added (or, with MergeOptions.Replace,
	// replaced); Change says which.
	StatusPinned PinStatus = "pinned"
	// StatusUnchanged: every key was pinned already; nothing written.
	StatusUnchanged PinStatus = "unchanged"
	// StatusRefused: a pinned key changed (Change holds the conflict) or
	// one of the keys is revoked (Reason); nothing written for the host.
	StatusRefused PinStatus = "refused"
	// StatusFailed: nothing written because lines that may name the host
	// cannot be read, and ssh may enforce them (Reason).
	StatusFailed PinStatus = "failed"
)

// HostPin is one host's keys to pin, and after Pin what became of them.
type HostPin struct {
	Host string
	Port int
	Keys []ssh.PublicKey

	Status PinStatus
	Change *Change // the plan, for StatusPinned, StatusUnchanged and a refused conflict
	Reason string  // why, for a revoked key or unreadable lines
}

// Pin merges every host's keys into the file at path, under its lock
// (Update), in order, each host on its own: a host refused or failed
// writes nothing and does not stop the others. The error is for the file
// as a whole (it cannot be read, locked or written); a host's fate is in
// its Status. With no hosts Pin does nothing, not even take the lock.
func Pin(path string, hosts []*HostPin, opts MergeOptions) error {
	if len(hosts) == 0 {
		return nil
	}
	return Update(path, func(f *File) error {
		for _, h := range hosts {
			if err := h.plan(f, opts); err != nil {
				return err
			}
		}
		return nil
	})
}

// plan pins h's keys into f, or records why it may not. It runs under
// the file's lock, possibly more than once: it starts from scratch.
func (h *HostPin) plan(f *File, opts MergeOptions) error {
	h.Status, h.Change, h.Reason = "", nil, ""
	ch, err := f.Plan(h.Host, h.Port, h.Keys, opts)
	var ce *ConflictError
	var re *RevokedError
	var ue *UnreadableError
	switch {
	case errors.As(err, &ue):
		// ssh may enforce a line sshpin cannot read: writing beside it
		// could override that pin.
		h.Status, h.Reason = StatusFailed, ue.Reason()
		return nil
	case errors.As(err, &ce):
		h.Status, h.Change = StatusRefused, ce.Change
		return nil
	case errors.As(err, &re):
		h.Status, h.Reason = StatusRefused, strings.TrimPrefix(re.Error(), "knownhosts: ")
		return nil
	case err != nil:
		return err
	}
	if err := f.Apply(ch); err != nil {
		return err
	}
	h.Change, h.Status = ch, StatusPinned
	if len(ch.Added) == 0 && !ch.Conflict() {
		h.Status = StatusUnchanged
	}
	return nil
}
