package knownhosts

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/ssh"
)

// TrustOnFirstUse pins keys for host on port into the file at path, which
// need not be one of the Set's, if nothing vouches for the host. Under the
// file's lock (see Update) it reads that file and the Set's other files
// afresh and looks the host up again, so that two runs trusting the same
// host at once agree:
//
//   - if the fresh files vouch for the host now, nothing is written and
//     every key must verify against them (the error is Verify's);
//   - if a line naming the host cannot be read, nothing is written and
//     the error is an *UnreadableError naming it (ssh may enforce it);
//   - otherwise the keys are appended, atomically (Plan, Apply). A revoked
//     key is a *RevokedError; a certificate is refused, as it would be
//     pinned as a key it is not.
//
// It returns how many keys it wrote. The Set then reads the file as
// written.
func (s *Set) TrustOnFirstUse(path, host string, port int, keys ...ssh.PublicKey) (added int, err error) {
	if len(keys) == 0 {
		return 0, errors.New("knownhosts: no keys to trust")
	}
	for _, k := range keys {
		if _, ok := k.(*ssh.Certificate); ok {
			return 0, fmt.Errorf("knownhosts: a certificate cannot be trusted on first use; pin its CA with %s", MarkerCA)
		}
	}
	var fresh []*File
	err = Update(path, func(f *File) error {
		others, err := s.reread(path)
		if err != nil {
			return err
		}
		fresh = append([]*File{f}, others...)
		m, err := lookup(fresh, host, port)
		if err != nil {
			return err
		}
		if m.Found() {
			for _, k := range keys {
				if err := m.Verify(k); err != nil {
					return err
				}
			}
			return nil
		}
		if len(m.Unreadable) > 0 {
			return &UnreadableError{Name: m.exact.name, Lines: m.Unreadable}
		}
		ch, err := f.Plan(host, port, keys, MergeOptions{})
		if err != nil {
			return err
		}
		added = len(ch.Added)
		return f.Apply(ch)
	})
	if err != nil {
		return 0, err
	}
	s.replace(path, fresh)
	return added, nil
}

// reread reads the Set's files other than path again.
func (s *Set) reread(path string) ([]*File, error) {
	s.mu.Lock()
	names := append([]string(nil), s.names...)
	s.mu.Unlock()
	var out []*File
	for _, n := range names {
		if resolve(n) == resolve(path) {
			continue
		}
		o, err := Open(n)
		if err != nil {
			return nil, err
		}
		out = append(out, o.files...)
	}
	return out, nil
}

// replace makes the Set hold the files just read under the lock, the
// written one in its place (or, if it was not one of the Set's, last).
func (s *Set) replace(path string, fresh []*File) {
	if len(fresh) == 0 {
		return
	}
	written := fresh[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	var files []*File
	placed := false
	others := fresh[1:]
	for _, n := range s.names {
		if resolve(n) == resolve(path) {
			if !placed {
				files, placed = append(files, written), true
			}
			continue
		}
		for len(others) > 0 && others[0].Name == n {
			files, others = append(files, others[0]), others[1:]
		}
	}
	if !placed {
		s.names = append(s.names, path)
		files = append(files, written)
	}
	s.files = files
}
