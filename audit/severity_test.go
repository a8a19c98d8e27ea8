package audit

import "testing"

func TestWorstAndFailsOn(t *testing.T) {
	rep := func(sevs ...Severity) *Report {
		r := &Report{}
		for _, s := range sevs {
			r.Findings = append(r.Findings, Finding{Severity: s})
		}
		return r
	}
	tests := []struct {
		r      *Report
		worst  Severity
		failOn map[Severity]bool
	}{
		{rep(), Info, map[Severity]bool{Fail: false, Warn: false, OK: false, Info: true, "": false}},
		{rep(Info, Info), Info, map[Severity]bool{Fail: false, Warn: false, OK: false, Info: true}},
		{rep(OK, Info), OK, map[Severity]bool{Fail: false, Warn: false, OK: true}},
		{rep(OK, Warn, Info), Warn, map[Severity]bool{Fail: false, Warn: true, OK: true, "": false}},
		{rep(Fail, OK), Fail, map[Severity]bool{Fail: true, Warn: true, Unknown: true}},
		{rep(Unknown, Warn), Unknown, map[Severity]bool{Fail: false, Unknown: true, Warn: true}},
		{rep(Warn, OK), Warn, map[Severity]bool{Fail: false, Unknown: false, Warn: true}},
	}
	for i, tt := range tests {
		if got := tt.r.Worst(); got != tt.worst {
			t.Errorf("%d: Worst() = %s, want %s", i, got, tt.worst)
		}
		for th, want := range tt.failOn {
			if got := tt.r.FailsOn(th); got != want {
				t.Errorf("%d: FailsOn(%q) = %v, want %v", i, th, got, want)
			}
		}
	}
}

func TestParseSeverity(t *testing.T) {
	for _, s := range []string{"fail", "unknown", "warn", "ok", "info"} {
		if got, err := ParseSeverity(s); err != nil || string(got) != s {
			t.Errorf("ParseSeverity(%q) = %q, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "FAIL", "error", "none"} {
		if _, err := ParseSeverity(s); err == nil {
			t.Errorf("ParseSeverity(%q): no error", s)
		}
	}
}
