package knownhosts

// Authorities lists what f's @cert-authority lines vouch for: the hosts
// they name literally (in file order, without repeats, and not already
// pinned plainly: Hosts lists those), and the lines whose every host is a
// pattern or hashed, which name no host a check could list.
func (f *File) Authorities() (named []HostPort, unnamed []*Line) {
	plain, _, _ := f.Hosts()
	seen := make(map[HostPort]bool)
	for _, hp := range plain {
		seen[hp] = true
	}
	for _, l := range f.Lines {
		if l.Kind == Invalid || l.Marker != MarkerCA {
			continue
		}
		found := false
		if !l.Hashed {
			for _, p := range l.Hosts {
				hp, ok := literalName(p)
				if !ok {
					continue
				}
				found = true
				if !seen[hp] {
					seen[hp] = true
					named = append(named, hp)
				}
			}
		}
		if !found {
			unnamed = append(unnamed, l)
		}
	}
	return named, unnamed
}
