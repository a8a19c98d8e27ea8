package main

import (
	"testing"
	"time"
)

func TestLsTime(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	recent := time.Date(2026, 11, 30, 7, 6, 5, 123456789, time.UTC)
	old := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		style string
		at    time.Time
		want  string
	}{
		{"", recent, "2026-11-30 07:06:05"},
		{"default", old, "2025-01-02 03:04:05"},
		{"full-iso", recent, "2026-11-30 07:06:05.123456789 +0000"},
		{"long-iso", recent, "2026-11-30 07:06"},
		{"iso", recent, "11-30 07:06"},
		{"iso", old, "2025-01-02 "},
		{"iso", now.Add(time.Hour), "2026-12-03 "}, // in the future: not recent
	} {
		got, err := lsTime(tc.at, now, tc.style)
		if err != nil || got != tc.want {
			t.Errorf("lsTime(%v, %q) = %q, %v; want %q", tc.at, tc.style, got, err, tc.want)
		}
	}
	if _, err := lsTime(now, now, "locale"); err == nil {
		t.Error("an unknown style was accepted")
	}
}
