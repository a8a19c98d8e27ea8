package sshconfig

import (
	"os"
	"path/filepath"

	"github.com/sshpin/sshpin/internal/home"
)

// Load reads the configuration file ("none": none), or ssh's own,
// ~/.ssh/config and /etc/ssh/ssh_config, as ssh does: a named file must
// exist, ssh's own are skipped when missing (~/.ssh/config also when the
// home directory is unknown: there is no such file to read).
func Load(file string) (*Config, error) {
	switch file {
	case "none":
		return &Config{}, nil
	case "":
		var files []string
		if h, err := home.Dir(); err == nil {
			files = append(files, filepath.Join(h, ".ssh", "config"))
		}
		files = append(files, "/etc/ssh/ssh_config")
		return Read(files, []bool{false, true})
	}
	if _, err := os.Stat(file); err != nil {
		return nil, err
	}
	return Read([]string{file}, nil)
}
