package knownhosts

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// maxNameLen bounds a host name: DNS names have at most 253 bytes.
const maxNameLen = 255

// hostName is the name OpenSSH files a host under (put_host_port): the host
// itself on port 22, "[host]:port" on any other.
func hostName(host string, port int) string {
	if port == 22 {
		return host
	}
	return "[" + host + "]:" + strconv.Itoa(port)
}

// normalizeHost checks a host name or address given by a caller and returns
// it the way OpenSSH compares it: lowercase, IPv6 without brackets.
func normalizeHost(host string, port int) (string, error) {
	if port < 1 || port > 65535 {
		return "", fmt.Errorf("knownhosts: port %d out of range", port)
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if host == "" || len(host) > maxNameLen {
		return "", fmt.Errorf("knownhosts: host name %q is empty or longer than %d bytes", host, maxNameLen)
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if c <= ' ' || c == 0x7f || strings.IndexByte(",*?![]#|@", c) >= 0 {
			return "", fmt.Errorf("knownhosts: invalid host name %q", host)
		}
	}
	if strings.Contains(host, ":") {
		if _, err := netip.ParseAddr(host); err != nil {
			return "", fmt.Errorf("knownhosts: invalid host name %q: a colon only belongs in an IPv6 address", host)
		}
	}
	return lower(host), nil
}

// lower folds ASCII only, as OpenSSH's tolower in the C locale does.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// literalName parses a host pattern that names exactly one host: no
// wildcard, no negation, and a form OpenSSH can actually look up.
func literalName(p string) (HostPort, bool) {
	if p == "" || strings.ContainsAny(p, "*?!|,") {
		return HostPort{}, false
	}
	if p[0] == '[' {
		end := strings.Index(p, "]:")
		if end < 0 {
			return HostPort{}, false
		}
		host, portStr := p[1:end], p[end+2:]
		port, err := strconv.Atoi(portStr)
		if err != nil || strconv.Itoa(port) != portStr || port == 22 {
			return HostPort{}, false
		}
		h, err := normalizeHost(host, port)
		if err != nil {
			return HostPort{}, false
		}
		return HostPort{h, port}, true
	}
	h, err := normalizeHost(p, 22)
	if err != nil || h != lower(p) { // brackets or other rewriting: not literal
		return HostPort{}, false
	}
	return HostPort{h, 22}, true
}

// HostPort is a host and port as a known_hosts file names them.
type HostPort struct {
	Host string
	Port int
}

// String returns the known_hosts form: "host", or "[host]:port" off port 22.
func (h HostPort) String() string { return hostName(h.Host, h.Port) }
