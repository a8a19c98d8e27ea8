#!/usr/bin/env bash
# Runs a fuzzing campaign over every fuzz target in the module, one after
# the other, each for DURATION, and prints a table of what each did.
#
#   bench/fuzz.sh 30s              every target, 30 seconds each
#   bench/fuzz.sh 5m ./report      the targets of the packages named
#   bench/fuzz.sh 100000x          a number of executions instead of a time
#
#   FUZZ_MINIMIZE=60s bench/fuzz.sh 30s   go's own minimisation budget
#
# Every new interesting input is minimised before it counts, and go test
# spends up to -fuzzminimizetime (60 s by default) on each, executions it
# does not report: with inputs of a few KiB (kexinit's hellos, report's
# records) a 30 s run showed 20 executions for FuzzReadHello while its
# workers ran thousands a second. The default here is 500 executions per
# input (FUZZ_MINIMIZE, as -fuzzminimizetime takes it), which leaves the
# run's time to exploring and its figures honest.
#
# Targets are found as go test finds them (go test -list '^Fuzz' per
# package), so a new one is in the next campaign without editing this
# file. Each runs alone (go test -fuzz accepts one target at a time) with
# GOMAXPROCS workers; the machine's other load slows them all alike.
#
# Columns: execs is what the fuzzer reported last; execs/s is execs over
# the run's elapsed time (the per-interval rate go prints drops to 0 while
# a new input is minimised, so the average is the honest figure); new
# interesting is what this run added to the corpus in the Go build cache;
# result is ok, or FAIL with the input go wrote under the package's
# testdata/fuzz, to add to the seed corpus once fixed. The exit status is
# 1 when any target failed, 2 when none was found or a package did not
# build.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ $# -lt 1 ] || [[ $1 == -* ]]; then
	echo "usage: bench/fuzz.sh DURATION [PACKAGE...]   (DURATION as go test -fuzztime takes it: 30s, 5m, 10000x)" >&2
	exit 2
fi
duration=$1
shift
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# seconds turns go's elapsed figure (45s, 1m0s, 1h2m3s) into seconds.
seconds() {
	awk -v d="$1" 'BEGIN {
		s = 0
		while (match(d, /^[0-9.]+[hms]/)) {
			n = substr(d, 1, RLENGTH - 1); u = substr(d, RLENGTH, 1)
			s += (u == "h" ? 3600 : u == "m" ? 60 : 1) * n
			d = substr(d, RLENGTH + 1)
		}
		print s
	}'
}

rows=()
failed=0
found=0
# Only packages with a Fuzz function in a test file are asked for their
# list: building every package's tests to learn it has none costs minutes.
mapfile -t candidates < <(go list -f '{{.ImportPath}} {{.Dir}}' "${pkgs[@]}")
for c in "${candidates[@]}"; do
	pkg=${c%% *}
	dir=${c#* }
	grep -qs '^func Fuzz' "$dir"/*_test.go || continue
	if ! targets=$(go test -list '^Fuzz' "$pkg" 2>"$log/list"); then
		cat "$log/list" >&2
		echo "bench/fuzz.sh: $pkg: cannot list its fuzz targets" >&2
		exit 2
	fi
	for t in $(grep '^Fuzz' <<<"$targets"); do
		found=$((found + 1))
		out="$log/$found"
		echo "bench/fuzz.sh: $pkg $t for $duration" >&2
		go test -run '^$' -fuzz "^$t\$" -fuzztime "$duration" -fuzzminimizetime "${FUZZ_MINIMIZE:-500x}" "$pkg" >"$out" 2>&1
		status=$?
		last=$(grep -E '^fuzz: elapsed: .*execs: ' "$out" | tail -1)
		elapsed=$(sed -nE 's/^fuzz: elapsed: ([0-9hms.]+),.*/\1/p' <<<"$last")
		execs=$(sed -nE 's/.*execs: ([0-9]+) .*/\1/p' <<<"$last")
		new=$(sed -nE 's/.*new interesting: ([0-9]+) .*/\1/p' <<<"$last")
		execs=${execs:-0}
		secs=$(seconds "${elapsed:-0s}")
		rate=$(awk -v n="$execs" -v s="$secs" 'BEGIN { if (s > 0) printf "%d", n / s; else print "-" }')
		result=ok
		if [ $status -ne 0 ]; then
			failed=$((failed + 1))
			input=$(sed -nE 's/.*Failing input written to (.*)$/\1/p' "$out" | head -1)
			result="FAIL${input:+ $input}"
			# The whole failure goes to stderr: the table only says where.
			sed 's/^/    /' "$out" >&2
		fi
		rows+=("$pkg"$'\t'"$t"$'\t'"$execs"$'\t'"$rate"$'\t'"${new:-0}"$'\t'"$result")
	done
done

if [ $found -eq 0 ]; then
	echo "bench/fuzz.sh: no fuzz targets in ${pkgs[*]}" >&2
	exit 2
fi
{
	printf 'package\ttarget\texecs\texecs/s\tnew interesting\tresult\n'
	printf '%s\n' "${rows[@]}"
} | awk -F '\t' '
	{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
	END {
		for (r = 1; r <= NR; r++) {
			line = ""
			for (i = 1; i <= 6; i++) line = line sprintf(i < 6 ? "%-" w[i] "s  " : "%s", cell[r, i])
			print line
		}
	}'
echo "$found targets, $duration each, $failed failed"
[ $failed -eq 0 ]
