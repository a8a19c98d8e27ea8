package audit

import "fmt"

// Severity is the rating of one finding. The JSON form is the plain word.
type Severity string

const (
	Info Severity = "info" // neither good nor bad: markers, unknown names, notes
	OK   Severity = "ok"
	Warn Severity = "warn"
	Fail Severity = "fail"
)

// rank orders severities so that "worst" and --fail-on are comparisons.
// Info ranks below OK: an unknown name must never fail a CI run on its own.
func (s Severity) rank() int {
	switch s {
	case OK:
		return 1
	case Warn:
		return 2
	case Fail:
		return 3
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
	case Info, OK, Warn, Fail:
		return Severity(s), nil
	}
	return "", fmt.Errorf("audit: unknown severity %q (want fail, warn, ok or info)", s)
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
