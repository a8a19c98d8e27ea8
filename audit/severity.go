package audit

import "fmt"

// Severity is the rating of one finding. The JSON form is the plain word.
type Severity string

const (
	Info Severity = "info" // neither good nor bad: markers, notes
	OK   Severity = "ok"
	Warn Severity = "warn"
	// Unknown is a name the table does not know (or a key of a type it
	// cannot weigh): nobody has vouched for it. It ranks above warn and
	// below fail, so --fail-on warn catches it and --fail-on unknown
	// catches it without every warning.
	Unknown Severity = "unknown"
	Fail    Severity = "fail"
)

// rank orders severities so that "worst" and --fail-on are comparisons.
// Info ranks below OK: a marker or a note never fails a CI run.
func (s Severity) rank() int {
	switch s {
	case OK:
		return 1
	case Warn:
		return 2
	case Unknown:
		return 3
	case Fail:
		return 4
	default:
		return 0
	}
}

// AtLeast reports whether s is as bad as t or worse.
func (s Severity) AtLeast(t Severity) bool { return s.rank() >= t.rank() }

// ParseSeverity reads a severity as a user types it on the command line
// (for --fail-on).
func ParseSeverity(s string) (Severity, error) {
	switch Severity(s) {
	case Info, OK, Warn, Unknown, Fail:
		return Severity(s), nil
	}
	return "", fmt.Errorf("audit: unknown severity %q (want fail, unknown, warn, ok or info)", s)
}

// Worst is the highest severity among the findings, Info for none.
func (r *Report) Worst() Severity {
	worst := Info
	for _, f := range r.Findings {
		if f.Severity.rank() > worst.rank() {
			worst = f.Severity
		}
	}
	return worst
}

// FailsOn is the --fail-on test: whether any finding is at threshold or
// worse. The empty threshold never fails, so a caller can pass an unset flag
// through unchanged.
func (r *Report) FailsOn(threshold Severity) bool {
	if threshold == "" {
		return false
	}
	return r.Worst().AtLeast(threshold)
}
