package sshconfig

import "testing"

func TestParseJump(t *testing.T) {
	got, err := ParseJump("bastion,ops@jump.example:2200,[::1]:23,ssh://u@h2:24,2001:db8::1")
	if err != nil {
		t.Fatal(err)
	}
	want := []Target{
		{Host: "bastion", Port: 22},
		{User: "ops", Host: "jump.example", Port: 2200, PortGiven: true},
		{Host: "::1", Port: 23, PortGiven: true},
		{User: "u", Host: "h2", Port: 24, PortGiven: true},
		{Host: "2001:db8::1", Port: 22},
	}
	if len(got) != len(want) {
		t.Fatalf("ParseJump = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("hop %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"", "a,,b", "@h", "h:0", "h:x", "[::1", "u/x@h"} {
		if _, err := ParseJump(bad); err == nil {
			t.Errorf("ParseJump(%q) succeeded", bad)
		}
	}
}
