#!/usr/bin/env bash
# A loopback fleet in a network namespace of its own, and sshpin measured
# on it side by side with the tools it replaces, on the same target lists:
#
#   sshpin scan --json        vs  ssh-keyscan -t rsa,ecdsa,ed25519 -f LIST
#   sshpin probe              vs  a bare socket loop (bench/sockloop)
#   sshpin audit [--no-keys]  vs  ssh-audit -b -T LIST, nmap --script ssh2-enum-algos
#   sshpin check / audit --from the scan's JSON Lines (no network), against
#                             ssh-keyscan's lines as the pinned file
#
#   sudo bench/fleet.sh [N]        N addresses (default 200); writes BENCHMARKS.md
#
# Environment: CONCURRENCY (64: sshpin's default; also ssh-audit's threads
# and the socket loop's), TIMEOUT (5 s: every tool's default), STEADY_N
# (0: off; else also time sshpin scan over a list of that many targets
# with 30% closed ports and 10% tarpits, for the bound
# ceil(N/CONCURRENCY) x TIMEOUT and peak RSS), OUT (BENCHMARKS.md at the
# repository's root).
#
# The fleet: one real sshd (ListenAddress 0.0.0.0:22, MaxStartups raised,
# PerSourcePenalties off where sshd has it) serves every address
# 127.0.x.y the script adds to the namespace's lo; port 23 is closed on
# all of them; bench/tarpit listens on port 2222 and never finishes its
# banner. Two lists of N targets: "clean" (every target is the sshd) and
# "mixed" (60% sshd, 30% closed, 10% tarpits). Connections are counted at
# the server, from sshd's "Connection from" log lines, not estimated.
#
# Nothing leaves the namespace: it has no interface but lo, and it is
# deleted on exit with everything the script started. Needs root (ip
# netns); installs what is missing with apt-get.
set -euo pipefail
invocation="bench/fleet.sh $*"
for v in STEADY_N TIMEOUT CONCURRENCY; do
	[ -n "${!v:-}" ] && invocation="$v=${!v} $invocation"
done
N=${1:-200}
case $N in '' | *[!0-9]* | 0) echo "usage: $0 [N]" >&2; exit 2 ;; esac
CONC=${CONCURRENCY:-64}
TIMEOUT=${TIMEOUT:-5}
STEADY_N=${STEADY_N:-0}
# How long ssh-keyscan may hang on the tarpits before it is killed.
KEYSCAN_CAP=$((60 + 24 * TIMEOUT))
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
OUT=${OUT:-$root/BENCHMARKS.md}

say() { printf 'fleet: %s\n' "$*" >&2; }
die() {
	say "$@"
	exit 2
}
[ "$(id -u)" = 0 ] || die "needs root for ip netns; run: sudo $0 $*"
command -v ip >/dev/null || die "ip not found (apt-get install iproute2)"
command -v go >/dev/null || die "go not found"

# --- what the bench needs -----------------------------------------------
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
missing=()
have sshd || missing+=(openssh-server)
have ssh-keyscan || missing+=(openssh-client)
[ -x /usr/bin/time ] || missing+=(time)
have nmap || missing+=(nmap)
have ssh-audit || missing+=(ssh-audit)
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]}"
	# policy-rc.d (exit 101): the openssh-server package must not start a
	# system sshd on this machine.
	policy=/usr/sbin/policy-rc.d
	ours=false
	if [ ! -e $policy ]; then
		printf '#!/bin/sh\nexit 101\n' >$policy
		chmod 755 $policy
		ours=true
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2 || true
	# ssh-audit and nmap are optional: a Debian without them skips them.
	for p in "${missing[@]}"; do
		apt-get install -y -q --no-install-recommends "$p" >&2 || say "could not install $p"
	done
	$ours && rm -f $policy
fi
sshd_bin=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$sshd_bin" ] || die "sshd not found (apt-get install openssh-server)"
have_audit=false
have ssh-audit && have_audit=true
have_nmap=false
have nmap && have_nmap=true

work=$(mktemp -d "${TMPDIR:-/tmp}/sshpin-fleet.XXXXXX")
ns=sshpin-bench-$$
pids=()
cleanup() {
	set +e
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "building sshpin and the helpers"
go build -o "$work/sshpin" .
go build -o "$work/tarpit" ./internal/bench/tarpit
go build -o "$work/sockloop" ./internal/bench/sockloop
rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$root" diff --quiet HEAD 2>/dev/null || rev="$rev+dirty"

# --- the namespace and its addresses -------------------------------------
ip netns add "$ns"
nsx() { ip netns exec "$ns" "$@"; }
nsx ip link set lo up
# The I-th fleet address (1-based) is 127.0.(1 + (I-1)/254).(1 + (I-1)%254).
total_addrs=$N
[ "$STEADY_N" -gt "$total_addrs" ] && total_addrs=$STEADY_N
awk -v n="$total_addrs" 'BEGIN { for (i = 1; i <= n; i++) printf "address add 127.0.%d.%d/32 dev lo\n", 1 + int((i - 1) / 254), 1 + (i - 1) % 254 }' >"$work/addrs.batch"
# 127.0.0.0/8 is local on lo anyway; the addresses make the fleet explicit.
ip -n "$ns" -force -batch "$work/addrs.batch" 2>/dev/null || say "some addresses already on lo"

# --- the sshd -------------------------------------------------------------
for t in rsa ecdsa ed25519; do
	ssh-keygen -q -t $t -N '' -f "$work/host_$t"
done
mkdir -p /run/sshd
log=$work/sshd.log
cat >"$work/sshd_config" <<EOF
ListenAddress 0.0.0.0:22
HostKey $work/host_rsa
HostKey $work/host_ecdsa
HostKey $work/host_ed25519
PidFile none
UsePAM no
StrictModes no
MaxStartups 10000:30:10000
MaxAuthTries 2
LoginGraceTime 30
LogLevel VERBOSE
EOF
if "$sshd_bin" -T -f "$work/sshd_config" 2>/dev/null | grep -qi '^persourcepenalties'; then
	echo "PerSourcePenalties no" >>"$work/sshd_config"
	penalties="PerSourcePenalties no"
else
	penalties="no PerSourcePenalties in this sshd (OpenSSH < 9.8)"
fi
sshd_version=$("$sshd_bin" -V 2>&1 | head -1 || true)
# Not through nsx: a function run in the background is a subshell, and $!
# would name it instead of the daemon (ip netns exec execs its command).
ip netns exec "$ns" "$sshd_bin" -D -f "$work/sshd_config" -E "$log" &
sshd_pid=$!
pids+=("$sshd_pid")
ip netns exec "$ns" "$work/tarpit" -listen 0.0.0.0:2222 &
pids+=($!)
listening() { nsx ss -Hltn "sport = :$1" | grep -q .; }
for ((i = 0; i < 100; i++)); do
	listening 22 && listening 2222 && break
	sleep 0.1
done
listening 22 || { cat "$log" >&2; die "sshd did not start"; }
listening 2222 || die "tarpit did not start"
say "$sshd_version on $N addresses in netns $ns; $penalties"

# --- the lists ------------------------------------------------------------
# mixed: of every 10 targets, 6 are the sshd, 3 a closed port, 1 a tarpit.
mklists() { # mklists COUNT PREFIX
	awk -v n="$1" -v clean="$work/$2clean.txt" -v mixed="$work/$2mixed.txt" 'BEGIN {
		for (i = 1; i <= n; i++) {
			a = sprintf("127.0.%d.%d", 1 + int((i - 1) / 254), 1 + (i - 1) % 254)
			print a >clean
			m = i % 10
			if (m <= 5) print a >mixed
			else if (m <= 8) print a ":23" >mixed
			else print a ":2222" >mixed
		}
	}'
}
mklists "$N" ""
sshd_hosts_mixed=$(grep -vc ':' "$work/mixed.txt" || true)

# --- measuring ------------------------------------------------------------
# quiet: wait for the sshd's children of the previous run to be gone, so
# one run's server work is not billed to the next.
quiet() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(pgrep -c -P "$sshd_pid" || true)" = 0 ] && return
		sleep 0.1
	done
}

# measure NAME CMD...: runs CMD in the namespace under /usr/bin/time, and
# keeps its output, exit status, the time to its first line of output,
# and the connections the sshd saw during it, per address.
measure() {
	local name=$1 before after t0 rc
	shift
	quiet
	before=$(wc -l <"$log")
	say "$name: $*"
	t0=$(date +%s.%N)
	set +e
	nsx /usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "$@" 2>"$work/$name.err" |
		{
			if IFS= read -r l; then
				date +%s.%N >"$work/$name.first"
				printf '%s\n' "$l"
				cat
			fi
		} >"$work/$name.out"
	rc=${PIPESTATUS[0]}
	set -e
	echo "$t0" >"$work/$name.t0"
	echo "$rc" >"$work/$name.rc"
	quiet
	after=$(wc -l <"$log")
	sed -n "$((before + 1)),${after}p" "$log" |
		sed -n 's/.*Connection from .* on \([0-9.]*\) port [0-9]*.*/\1/p' |
		sort | uniq -c | awk '{print $1}' >"$work/$name.conns"
}

# Fields of a run, for the tables.
# time's last line: it says "Command exited with non-zero status" first.
wall() { tail -1 "$work/$1.time" | awk '{print $1}'; }
cpu() { tail -1 "$work/$1.time" | awk '{printf "%.2f", $2 + $3}'; }
rss() { tail -1 "$work/$1.time" | awk '{printf "%.0f", $4 / 1024}'; }
first() {
	if [[ $1 == *sockloop ]]; then
		echo "-" # it prints only its summary, at the end
	elif [ -s "$work/$1.first" ]; then
		awk -v a="$(cat "$work/$1.t0")" '{printf "%.2f", $1 - a}' "$work/$1.first"
	else
		echo "-"
	fi
}
conns() { # total, and per host: mean (min-max) over the hosts that saw any
	awk -v hosts="$2" '{ t += $1; if (min == "" || $1 < min) min = $1; if ($1 > max) max = $1 }
		END { if (t == 0) { print "0 | 0"; exit } printf "%d | %.2f (%d-%d)\n", t, t / hosts, min, max }' "$work/$1.conns"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; }
rate() { awk -v n="$1" -v w="$(wall "$2")" 'BEGIN { if (w > 0) printf "%.1f", n / w; else print "-" }'; }

# row NAME LABEL HOSTS RESULT: one line of a results table.
row() {
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$2" "$(wall "$1")" "$(rate "$3" "$1")" "$(cpu "$1")" \
		"$(rss "$1")" "$(conns "$1" "$5")" "$(first "$1")" "$(cat "$work/$1.rc")" "$4"
}
header() {
	echo '| tool | wall s | targets/s | client CPU s | peak RSS MiB | sshd connections | per sshd host mean (min-max) | first line s | exit | result |'
	echo '|---|---|---|---|---|---|---|---|---|---|'
}

jsonkeys() { # host type base64 of every key in sshpin's JSON Lines
	sed -n 's/.*"target":"\([^"]*\)".*/\1 &/p' "$1" | while read -r host rest; do
		grep -o '"public_key":"[^"]*"' <<<"$rest" | sed 's/"public_key":"\(.*\)"/\1/' | sed "s|^|$host |"
	done | sort -u
}
keyscankeys() { grep -v '^#' "$1" | awk 'NF == 3' | sort -u; }
count() { grep -c "$@" || true; }

sp=$work/sshpin
T="--timeout ${TIMEOUT}s --concurrency $CONC"
types=rsa,ecdsa,ed25519

# --- clean list -----------------------------------------------------------
measure scan "$sp" scan --json $T -f "$work/clean.txt"
# ssh-keyscan works on as many hosts at once as its hard limit on open
# files allows, less 10, up to 246: all 200 here, which floods a 2-core
# sshd until most of its connections time out and their keys are silently
# missing. ulimit -n CONC+10 gives it sshpin's concurrency.
measure keyscan bash -c "ulimit -n $((CONC + 10)) && exec ssh-keyscan -T $TIMEOUT -t $types -f $work/clean.txt"
measure keyscanall ssh-keyscan -T "$TIMEOUT" -t $types -f "$work/clean.txt"
measure probe "$sp" probe --json $T -f "$work/clean.txt"
measure sockloop "$work/sockloop" -c "$CONC" -timeout "${TIMEOUT}s" -f "$work/clean.txt"
measure auditnk "$sp" audit --json --no-keys $T -f "$work/clean.txt"
measure audit "$sp" audit --json $T -f "$work/clean.txt"
if $have_audit; then
	measure sshaudit ssh-audit -b -n -t "$TIMEOUT" --threads "$CONC" -T "$work/clean.txt"
fi
if $have_nmap; then
	measure nmap nmap -Pn -n -p 22 --script ssh2-enum-algos -iL "$work/clean.txt"
fi

# --- judging from files: the scan's records, no network --------------------
# ssh-keyscan's lines are the pinned file: every key sshpin scan proved must
# match what the other tool saw.
grep -v '^#' "$work/keyscan.out" >"$work/keyscan.keys" || true
cp "$work/scan.out" "$work/fleet.jsonl"
measure fromcheck "$sp" check --json --pinned "$work/keyscan.keys" --from "$work/fleet.jsonl"
# -f: the list's order, the live audit's, for the comparison below.
measure fromaudit "$sp" audit --json --from "$work/fleet.jsonl" -f "$work/clean.txt"

# --- mixed list: closed ports and tarpits ---------------------------------
grep -v ':' "$work/mixed.txt" >"$work/mixed22.txt" || true
sed -n 's/:23$//p' "$work/mixed.txt" >"$work/mixed23.txt"
sed -n 's/:2222$//p' "$work/mixed.txt" >"$work/mixed2222.txt"
measure mscan "$sp" scan --json $T -f "$work/mixed.txt"
# ssh-keyscan has no per-line port: one run per port, all three at once.
# It blocks for ever on a banner that never ends (its -T does not cover
# the banner read), so timeout(1) stops it.
measure mkeyscan timeout -s KILL "$KEYSCAN_CAP" bash -c "ulimit -n $((CONC + 10)); ssh-keyscan -T $TIMEOUT -t $types -f $work/mixed22.txt & ssh-keyscan -T $TIMEOUT -t $types -p 23 -f $work/mixed23.txt & ssh-keyscan -T $TIMEOUT -t $types -p 2222 -f $work/mixed2222.txt & wait"
measure mprobe "$sp" probe --json $T -f "$work/mixed.txt"
measure msockloop "$work/sockloop" -c "$CONC" -timeout "${TIMEOUT}s" -f "$work/mixed.txt"
if $have_audit; then
	measure msshaudit ssh-audit -b -n -t "$TIMEOUT" --threads "$CONC" -T "$work/mixed.txt"
fi

# --- steadiness at scale (optional) --------------------------------------
if [ "$STEADY_N" -gt 0 ]; then
	mklists "$STEADY_N" big
	measure bigscan "$sp" scan --json $T -f "$work/bigmixed.txt"
fi

# --- results --------------------------------------------------------------
sshpin_keys=$(jsonkeys "$work/scan.out")
keyscan_keys=$(keyscankeys "$work/keyscan.out")
same_keys="no"
[ -n "$sshpin_keys" ] && [ "$sshpin_keys" = "$keyscan_keys" ] && same_keys="yes"
nkeys() { [ -z "$1" ] && echo 0 || wc -l <<<"$1"; }
ok_json() { count -v '"error"' "$work/$1.out"; }
sockline() { cat "$work/$1.out"; }

{
	echo "# Benchmarks"
	echo
	echo "Made by \`bench/fleet.sh\` (read its header for what it builds). This page"
	echo "is its output; rerun it to refresh the figures."
	echo
	echo "## Fleet of $N, $(date -u +%Y-%m-%d)"
	echo
	echo "Command (as root, from the repository's root):"
	echo
	echo '```'
	echo "$invocation"
	echo '```'
	echo
	echo "- sshpin $rev; $sshd_version; $(ssh -V 2>&1 | head -1) (ssh-keyscan)"
	$have_audit && echo "- $(ssh-audit -h 2>&1 | sed -n 's/.*\(ssh-audit v[0-9.]*\).*/\1/p' | head -1); $(nmap --version | head -1)"
	echo "- machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); client and server share them"
	echo "- one sshd, 3 host keys (rsa 3072, ecdsa 256, ed25519), $penalties, MaxStartups 10000:30:10000,"
	echo "  serving $N addresses in a network namespace of its own; concurrency $CONC (sshpin,"
	echo "  ssh-audit --threads, the socket loop, ssh-keyscan through its file limit unless said), timeout ${TIMEOUT}s everywhere"
	echo "- wall s and client CPU s (user + sys) and peak RSS from \`/usr/bin/time -f '%e %U %S %M'\`;"
	echo "  connections counted at the server, from sshd's \`Connection from\` log lines;"
	echo "  first line s: from the start of the command to its first line of output"
	echo
	echo "### Collecting host keys: \`sshpin scan\` vs \`ssh-keyscan\` ($N sshd targets)"
	echo
	header
	row scan "sshpin scan --json" "$N" "$(ok_json scan) hosts, $(nkeys "$sshpin_keys") keys" "$N"
	row keyscan "ssh-keyscan -t $types, $CONC at once" "$N" "$(nkeys "$keyscan_keys") keys" "$N"
	row keyscanall "ssh-keyscan -t $types, its default (all at once)" "$N" "$(keyscankeys "$work/keyscanall.out" | wc -l) keys" "$N"
	echo
	echo "- same keys from both (sshpin, and ssh-keyscan at $CONC at once): **$same_keys**"
	echo "- throughput (ssh-keyscan wall / sshpin wall): **$(ratio "$(wall keyscan)" "$(wall scan)")**;" \
		"client CPU (ssh-keyscan / sshpin): **$(ratio "$(cpu keyscan)" "$(cpu scan)")**"
	echo
	echo "### Reading the server's hello: \`sshpin probe\` and \`sshpin audit\` vs ssh-audit, nmap, a bare socket loop ($N sshd targets)"
	echo
	header
	row probe "sshpin probe --json" "$N" "$(ok_json probe) hosts" "$N"
	row sockloop "socket loop (bench/sockloop)" "$N" "$(sockline sockloop | awk '{print $4}') hosts" "$N"
	row auditnk "sshpin audit --json --no-keys" "$N" "$(count '"target"' "$work/auditnk.out") hosts rated" "$N"
	row audit "sshpin audit --json" "$N" "$(count '"target"' "$work/audit.out") hosts rated" "$N"
	if $have_audit; then
		row sshaudit "ssh-audit -b -T (--threads $CONC)" "$N" "$(count '^(gen) banner: SSH-[0-9.]*-.' "$work/sshaudit.out") banners" "$N"
	fi
	if $have_nmap; then
		row nmap "nmap --script ssh2-enum-algos" "$N" "$(count 'kex_algorithms' "$work/nmap.out") hosts" "$N"
	fi
	echo
	echo "- probe vs the socket loop (loop wall / probe wall): **$(ratio "$(wall sockloop)" "$(wall probe)")**"
	if $have_audit; then
		echo "- hosts per second, probe vs ssh-audit: **$(ratio "$(wall sshaudit)" "$(wall probe)")**;" \
			"audit --no-keys vs ssh-audit: **$(ratio "$(wall sshaudit)" "$(wall auditnk)")**;" \
			"audit (with keys) vs ssh-audit: **$(ratio "$(wall sshaudit)" "$(wall audit)")**"
	else
		echo "- ssh-audit: not installed (apt-get install ssh-audit); skipped"
	fi
	$have_nmap && echo "- probe vs nmap (nmap wall / probe wall): **$(ratio "$(wall nmap)" "$(wall probe)")**"
	echo
	echo "### Judging from files: \`check\` and \`audit\` \`--from\` the scan's JSON Lines ($N records)"
	echo
	echo "The records of \`sshpin scan --json\` above, judged without the network: check against ssh-keyscan's lines as the pinned file."
	echo
	header
	row fromcheck "sshpin check --json --pinned (ssh-keyscan's lines) --from" "$N" "$(count -E '"pinned_name":"[^"]*","status":"ok"' "$work/fromcheck.out") hosts ok" "$N"
	row fromaudit "sshpin audit --json --from (-f the list)" "$N" "$(count '"target"' "$work/fromaudit.out") hosts rated" "$N"
	echo
	same_audit=no
	[ -s "$work/audit.out" ] && cmp -s "$work/fromaudit.out" "$work/audit.out" && same_audit=yes
	echo "- audit --from prints, byte for byte, what the live \`sshpin audit --json\` run printed: **$same_audit**"
	echo
	echo "### Dead and hostile hosts ($N targets: $sshd_hosts_mixed sshd, 30% closed port, 10% tarpit)"
	echo
	echo "Tarpits accept, send \`SSH-2.0-\` and never end the line; a tool with a deadline waits its ${TIMEOUT}s timeout on them."
	echo "A run killed by timeout(1) shows no CPU: /usr/bin/time cannot see the children of a killed process."
	echo
	header
	row mscan "sshpin scan --json" "$N" "$(ok_json mscan) hosts with keys" "$sshd_hosts_mixed"
	mk="$(keyscankeys "$work/mkeyscan.out" | wc -l) keys"
	awk -v w="$(wall mkeyscan)" -v cap="$KEYSCAN_CAP" 'BEGIN { exit !(w >= cap - 1) }' &&
		mk="$mk; hung on the tarpits, killed at ${KEYSCAN_CAP}s"
	row mkeyscan "ssh-keyscan (one run per port, at once)" "$N" "$mk" "$sshd_hosts_mixed"
	row mprobe "sshpin probe --json" "$N" "$(ok_json mprobe) hosts" "$sshd_hosts_mixed"
	row msockloop "socket loop" "$N" "$(sockline msockloop | awk '{print $4}') hosts" "$sshd_hosts_mixed"
	if $have_audit; then
		row msshaudit "ssh-audit -b -T" "$N" "$(count '^(gen) banner: SSH-[0-9.]*-.' "$work/msshaudit.out") banners" "$sshd_hosts_mixed"
	fi
	echo
	echo "- scan, ssh-keyscan wall / sshpin wall: **$(ratio "$(wall mkeyscan)" "$(wall mscan)")**;" \
		"bound ceil(N / concurrency) x timeout = $(((N + CONC - 1) / CONC * TIMEOUT)) s"
	if [ "$STEADY_N" -gt 0 ]; then
		bsshd=$(grep -vc ':' "$work/bigmixed.txt" || true)
		echo
		echo "### Steadiness: $STEADY_N targets, 30% closed, 10% tarpits"
		echo
		header
		row bigscan "sshpin scan --json" "$STEADY_N" "$(ok_json bigscan) hosts with keys" "$bsshd"
		echo
		echo "- bound ceil(N / concurrency) x timeout = $(((STEADY_N + CONC - 1) / CONC * TIMEOUT)) s"
	fi
} >"$work/report.md"
cp "$work/report.md" "$OUT"
cat "$work/report.md"
say "wrote $OUT"
