package main

import (
	"strings"
	"testing"

	"github.com/sshpin/sshpin/knownhosts"
	"github.com/sshpin/sshpin/scan"
	"github.com/sshpin/sshpin/target"
)

// A host pin refused for a reason (a line that might name the host and
// cannot be read, a revoked key) says that reason in every format: the
// plain form said "no plain host key" instead.
func TestPinFailureReasonInEveryFormat(t *testing.T) {
	tg, err := target.Parse("db-1:2222")
	if err != nil {
		t.Fatal(err)
	}
	const reason = "known_hosts:3 cannot be read and may name the host"
	o := &pinOutcome{r: &scan.Result{Target: tg}, HostPin: &knownhosts.HostPin{Status: knownhosts.StatusFailed, Reason: reason}}
	if text := o.text(); !strings.Contains(text, reason) {
		t.Errorf("text: %q, want the reason", text)
	}
	rows := o.plain()
	if len(rows) != 1 || rows[0][1] != "failed" || rows[0][4] != reason {
		t.Errorf("plain: %q, want one failed row with the reason", rows)
	}
}
