package kexinit

// Limits bounds everything a server can make a reader hold or do. The zero
// value of a field means its default.
type Limits struct {
	MaxLineLen       int    // a line before the version line
	MaxPreambleLines int    // lines before the version line
	KeepPreamble     int    // of those, how many the Hello keeps
	MaxPacketLen     uint32 // one binary packet's length field
	MaxSkipped       int    // IGNORE/DEBUG packets before KEXINIT
	MaxBytes         int    // all bytes after the version line up to KEXINIT
}

// DefaultLimits follow OpenSSH's client where it has a bound (1024
// pre-banner lines) and RFC 4253 §6.1 for packets, with room for servers
// that send long lists.
var DefaultLimits = Limits{
	MaxLineLen:       1024,
	MaxPreambleLines: 1024,
	KeepPreamble:     16,
	MaxPacketLen:     256 << 10,
	MaxSkipped:       64,
	MaxBytes:         512 << 10,
}

func (l Limits) orDefault() Limits {
	d := DefaultLimits
	if l.MaxLineLen > 0 {
		d.MaxLineLen = l.MaxLineLen
	}
	if l.MaxPreambleLines > 0 {
		d.MaxPreambleLines = l.MaxPreambleLines
	}
	if l.KeepPreamble > 0 {
		d.KeepPreamble = l.KeepPreamble
	}
	if l.MaxPacketLen > 0 {
		d.MaxPacketLen = l.MaxPacketLen
	}
	if l.MaxSkipped > 0 {
		d.MaxSkipped = l.MaxSkipped
	}
	if l.MaxBytes > 0 {
		d.MaxBytes = l.MaxBytes
	}
	return d
}
