package main

import (
	"fmt"
	"time"
)

// timeStyles are ls's --time-style values, as GNU ls names them; the
// default shows seconds, so that files of the same minute (two backups
// --newest must choose between) are told apart.
var timeStyles = []string{"default", "full-iso", "long-iso", "iso"}

// lsTime formats a listed file's modification time in style; now decides
// which files are recent for iso, as GNU ls does (the last six months).
func lsTime(t, now time.Time, style string) (string, error) {
	switch style {
	case "", "default":
		return t.Format("2006-01-02 15:04:05"), nil
	case "full-iso":
		return t.Format("2006-01-02 15:04:05.000000000 -0700"), nil
	case "long-iso":
		return t.Format("2006-01-02 15:04"), nil
	case "iso":
		if t.After(now.AddDate(0, -6, 0)) && !t.After(now.Add(time.Minute)) {
			return t.Format("01-02 15:04"), nil
		}
		return t.Format("2006-01-02 "), nil
	}
	return "", fmt.Errorf("unknown --time-style %q", style)
}
