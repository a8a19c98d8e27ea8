#!/usr/bin/env bash
# Puts and gets one large file to a real sshd (internal-sftp), with sshpin
# and with OpenSSH's sftp -b, and prints MB/s and the ratios.
#
#   bench/sftp.sh [SIZE_MIB]      default 1024 (1 GiB); ROUNDS=3 by default
#   LINK_MBPS=800 bench/sftp.sh   through a link of 800 Mbit/s each way (root)
#   FILES=2000 bench/sftp.sh      instead: put -r and get -r of a directory of
#                                 2000 files of a few bytes each (round trips)
#
# Each round runs every client once, in turn, so that a machine busy with
# something else slows them alike; the table shows each one's median round
# and every round's seconds, and the load average before and after.
#
# What is compared with what. sshpin's put writes to a temporary name,
# has every write acknowledged, fsyncs (fsync@openssh.com), checks the
# size (sshd has no check-file for a server hash) and renames into place;
# put --verify also reads every chunk back from the server and compares
# it with what was sent; its get hashes, checks the size, fsyncs and
# renames. OpenSSH's sftp runs
# as a user gets it (defaults: chacha20-poly1305@openssh.com with OpenSSH
# servers); with -c aes128-gcm@openssh.com, the cipher sshpin (x/crypto)
# negotiates; with -f, which makes it fsync as sshpin does; and, for put,
# followed by a get of the same file, which is the least it takes OpenSSH
# to read every byte back (it compares nothing).
#
# Before each transfer the destination is removed and the page cache
# written out (sync), untimed, so that no run pays for another's writes.
#
# Without LINK_MBPS everything runs on 127.0.0.1: the CPU is the limit.
# With it, the server runs in a network namespace of its own and the
# clients in another, joined by a veth pair whose two ends each hold their
# direction to the rate with the kernel's token bucket (tc tbf), as a full
# duplex link does; the shaping costs no CPU of the processes measured.
# The two ends are numbered from 192.0.2.0/24 (TEST-NET-1), which exists
# only inside the two namespaces. Nothing but a temporary directory and the
# namespaces made here is touched; all of it goes on exit.
set -euo pipefail
size_mib=${1:-1024}
rounds=${ROUNDS:-3}
case $size_mib in '' | *[!0-9]*) echo "usage: $0 [SIZE_MIB]" >&2; exit 2 ;; esac
case $rounds in '' | *[!0-9]* | 0) echo "$0: ROUNDS must be a positive number" >&2; exit 2 ;; esac
link=${LINK_MBPS:-}
case $link in '' ) ;; *[!0-9]* | 0) echo "$0: LINK_MBPS must be a positive number" >&2; exit 2 ;; esac
files=${FILES:-}
case $files in '' ) ;; *[!0-9]* | 0) echo "$0: FILES must be a positive number" >&2; exit 2 ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'bench: %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || { say "$1 not found (Debian: apt-get install $2)"; exit 2; }; }
need ssh-keygen openssh-client
need sftp openssh-client
need sshd openssh-server
need python3 python3
sshd_bin=$(command -v sshd || echo /usr/sbin/sshd)
if [ -n "$link" ]; then
	[ "$(id -u)" = 0 ] || { say "LINK_MBPS needs root (it makes network namespaces)"; exit 2; }
	need ip iproute2
	need tc iproute2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sshpin-bench.XXXXXX")
sshd_pid=
cns= sns=
cleanup() {
	set +e
	if [ -n "$sshd_pid" ]; then
		kill "$sshd_pid" 2>/dev/null
		wait "$sshd_pid" 2>/dev/null
	fi
	[ -n "$cns" ] && ip netns del "$cns" 2>/dev/null
	[ -n "$sns" ] && ip netns del "$sns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

say "building sshpin"
go build -o "$work/sshpin" .

# inns NS CMD...: runs CMD in network namespace NS, or here when NS is "".
inns() {
	local ns=$1
	shift
	if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi
}
addr=127.0.0.1
if [ -n "$link" ]; then
	cns=sshpin-bench-c$$ sns=sshpin-bench-s$$
	ip netns add "$cns"
	ip netns add "$sns"
	ip link add "spb$$c" type veth peer name "spb$$s"
	ip link set "spb$$c" netns "$cns"
	ip link set "spb$$s" netns "$sns"
	ip -n "$cns" addr add 192.0.2.1/24 dev "spb$$c"
	ip -n "$sns" addr add 192.0.2.2/24 dev "spb$$s"
	for end in "$cns spb$$c" "$sns spb$$s"; do
		set -- $end
		ip -n "$1" link set lo up
		ip -n "$1" link set "$2" up
		# A 256 KiB bucket and at most 5 ms of queue, as a switch port has.
		ip netns exec "$1" tc qdisc add dev "$2" root tbf rate "${link}mbit" burst 256kb latency 5ms
	done
	addr=192.0.2.2
fi

# A free port: bind :0, read it, release it for sshd.
port=$(inns "$sns" python3 -c 'import socket, sys; s=socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$addr")
user=$(id -un)
ssh-keygen -q -t ed25519 -N '' -f "$work/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -f "$work/id_ed25519"
cp "$work/id_ed25519.pub" "$work/authorized_keys"
chmod 600 "$work/authorized_keys"
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd
# DEBUG1 makes sshd log the ciphers each connection negotiated (once per
# connection, nothing per packet).
cat >"$work/sshd_config" <<EOF
ListenAddress $addr
Port $port
HostKey $work/host_ed25519
PidFile none
UsePAM no
LogLevel DEBUG1
StrictModes no
AllowUsers $user
AuthorizedKeysFile $work/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
EOF
# Started without the inns function, so that $! is sshd (ip netns exec
# execs it) and the cleanup's kill reaches it.
if [ -n "$sns" ]; then
	ip netns exec "$sns" "$sshd_bin" -D -e -f "$work/sshd_config" 2>"$work/sshd.log" </dev/null >/dev/null &
else
	"$sshd_bin" -D -e -f "$work/sshd_config" 2>"$work/sshd.log" </dev/null >/dev/null &
fi
sshd_pid=$!
# sshd -D has no readiness signal; a pin that succeeds is one (bounded).
for _ in $(seq 50); do
	if inns "$cns" "$work/sshpin" pin --pinned "$work/host.keys" "$addr:$port" >/dev/null 2>&1; then break; fi
	sleep 0.1
done
[ -s "$work/host.keys" ] || { say "sshd did not start:"; cat "$work/sshd.log" >&2; exit 2; }

pin=(-F none --pinned "$work/host.keys" -i "$work/id_ed25519" --no-agent --timeout 60s)
ossh=(-q -b - -i "$work/id_ed25519" -P "$port" -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none
	-o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$work/host.keys" -o GlobalKnownHostsFile=/dev/null -F /dev/null)
now() { date +%s.%N; }
# timed NAME CMD...: times CMD once and adds the time to NAME's list,
# after writing the page cache out (untimed), so that no run pays for
# another's. The table shows each NAME's median (of ROUNDS runs).
declare -A times
timed() {
	local name=$1 t0 t1 d
	shift
	sync
	t0=$(now)
	"$@" >/dev/null
	t1=$(now)
	d=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	times[$name]="${times[$name]:-} $d"
	printf 'bench: %-18s %7.3f s (load %s)\n' "$name" "$d" "$(cut -d' ' -f1 /proc/loadavg)" >&2
}
# median NAME: the median of NAME's times (the mean of the middle two
# when there is an even number of them).
median() {
	printf '%s\n' ${times[$1]} | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
load0=$(cut -d' ' -f1-3 /proc/loadavg)
machine() {
	echo "median of $rounds rounds, run in turn; $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), kernel $(uname -r), shared by the clients and sshd"
	echo "load average (1, 5, 15 min) before: $load0; after: $(cut -d' ' -f1-3 /proc/loadavg)"
}
# sftp_batch 'COMMANDS' [SFTP OPTIONS...]
sftp_batch() {
	local cmds=$1
	shift
	printf '%b\n' "$cmds" | inns "$cns" sftp "${ossh[@]}" "$@" "$user@$addr"
}
# row OP NAME LABEL: NAME's figure (value turns its median time into the
# column's unit), and sshpin's speed over NAME's for OP.
row() {
	local ratio=
	case $2 in sshpin-*) ;; *) ratio=$(awk -v a="$(median "sshpin-$1")" -v b="$(median "$2")" 'BEGIN { printf "%.2f", b / a }') ;; esac
	printf '| %s | %s | %s | %s |\n' "$3" "$(value "$(median "$2")")" "$ratio" "${times[$2]# }"
}

# The small-files mode: a directory of FILES files of a few bytes, put -r
# and got -r whole. What costs is round trips per file, not bytes.
if [ -n "$files" ]; then
	say "writing $files small files"
	mkdir -p "$work/remote" "$work/local/many" "$work/got"
	for i in $(seq "$files"); do echo "f$i" >"$work/local/many/f$i"; done
	# srun NAME CLEAN CMD...: moves CLEAN aside, untimed, then times CMD.
	# Aside, not removed: on ext4 without a journal a new inode skips
	# every one deleted in the last half minute or so (ialloc.c,
	# recently_deleted), one page-cache lookup each, so 2,000 files made
	# just after 2,000 were removed cost about 2,000 x 1,000 lookups, in
	# the kernel, whichever client makes them: a second or more of each
	# run, the previous run's bill. What was moved aside goes on exit.
	mkdir -p "$work/trash"
	srun() {
		local name=$1 clean=$2
		shift 2
		if [ -e "$clean" ]; then mv "$clean" "$(mktemp -d "$work/trash/XXXXXX")/"; fi
		timed "$name" "$@"
	}
	same() { diff -r "$work/local/many" "$1" >/dev/null || { say "$1 differs from what was sent"; exit 1; }; }
	for r in $(seq "$rounds"); do
		say "round $r of $rounds"
		srun sshpin-put "$work/remote/many" inns "$cns" "$work/sshpin" sftp "${pin[@]}" put -r "$work/local/many" "$addr:$port:$work/remote/"
		same "$work/remote/many"
		srun sshpin-verify-put "$work/remote/many" inns "$cns" "$work/sshpin" sftp "${pin[@]}" put -r --verify "$work/local/many" "$addr:$port:$work/remote/"
		same "$work/remote/many"
		srun sftp-put "$work/remote/many" sftp_batch "put -r $work/local/many $work/remote/"
		same "$work/remote/many"
		srun sftp-f-put "$work/remote/many" sftp_batch "put -r -f $work/local/many $work/remote/"
		same "$work/remote/many"
		srun sshpin-get "$work/got/many" inns "$cns" "$work/sshpin" sftp "${pin[@]}" get -r "$addr:$port:$work/remote/many" "$work/got/"
		same "$work/got/many"
		srun sftp-get "$work/got/many" sftp_batch "get -r $work/remote/many $work/got/"
		same "$work/got/many"
		srun sftp-f-get "$work/got/many" sftp_batch "get -r -f $work/remote/many $work/got/"
		same "$work/got/many"
	done
	value() { echo "$1"; }
	printf '\n| %s files of a few bytes over %s | seconds | sshpin ÷ it (speed) | s, each round |\n|---|---|---|---|\n' "$files" "$addr"
	row put sshpin-put 'sshpin put -r: fsync, size, rename'
	row put sshpin-verify-put 'sshpin put -r --verify: also every file read back'
	row put sftp-put 'sftp put -r'
	row put sftp-f-put 'sftp put -r -f (fsync, as sshpin)'
	row get sshpin-get 'sshpin get -r: SHA-256, fsync, rename'
	row get sftp-get 'sftp get -r'
	row get sftp-f-get 'sftp get -r -f (fsync, as sshpin)'
	echo
	machine
	exit 0
fi

say "writing a ${size_mib} MiB file"
mkdir "$work/remote" "$work/local"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$work/local/file.bin"
bytes=$((size_mib * 1024 * 1024))

# run NAME CMD...: timed, after removing a put's destination (a get's is
# the local one).
run() {
	case $1 in *-put*) rm -f "$rdst" ;; *) rm -f "$ldst" ;; esac
	timed "$@"
}
src=$work/local/file.bin
rdst=$work/remote/dst.bin
ldst=$work/local/dst.bin
# get needs the remote file in place; cp is untimed.
seed() { [ -f "$rdst" ] || cp "$src" "$rdst"; }

for r in $(seq "$rounds"); do
	say "round $r of $rounds"
	run sshpin-put inns "$cns" "$work/sshpin" sftp "${pin[@]}" put "$src" "$addr:$port:$rdst"
	cmp "$src" "$rdst"
	run sshpin-verify-put inns "$cns" "$work/sshpin" sftp "${pin[@]}" put --verify "$src" "$addr:$port:$rdst"
	cmp "$src" "$rdst"
	run sftp-put sftp_batch "put $src $rdst"
	run sftp-gcm-put sftp_batch "put $src $rdst" -c aes128-gcm@openssh.com
	run sftp-f-put sftp_batch "put -f $src $rdst"
	cmp "$src" "$rdst"
	run sftp-put-get sftp_batch "put -f $src $rdst\nget $rdst /dev/null"
	seed
	run sshpin-get inns "$cns" "$work/sshpin" sftp "${pin[@]}" get "$addr:$port:$rdst" "$ldst"
	cmp "$src" "$ldst"
	seed
	run sftp-get sftp_batch "get $rdst $ldst"
	seed
	run sftp-gcm-get sftp_batch "get $rdst $ldst" -c aes128-gcm@openssh.com
	seed
	run sftp-f-get sftp_batch "get -f $rdst $ldst"
	cmp "$src" "$ldst"
done

ciphers=$(grep -o 'kex: client->server cipher: [^ ]*' "$work/sshd.log" | awk '{print $4}' | sort | uniq -c | awk '{printf "%s%s", sep, $2; sep=", "}')
value() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }
over="127.0.0.1"
[ -n "$link" ] && over="a ${link} Mbit/s full-duplex link (veth + tbf, two network namespaces)"
printf '\n| %s MiB over %s | MB/s | sshpin ÷ it | s, each round |\n|---|---|---|---|\n' "$size_mib" "$over"
row put sshpin-put 'sshpin put: fsync, size, rename'
row put sshpin-verify-put 'sshpin put --verify: also every byte read back'
row put sftp-put 'sftp put'
row put sftp-gcm-put 'sftp -c aes128-gcm@openssh.com put'
row put sftp-f-put 'sftp put -f (fsync, as sshpin)'
row put sftp-put-get 'sftp put -f, then get (reads every byte back, compares nothing)'
row get sshpin-get 'sshpin get: SHA-256, fsync, rename'
row get sftp-get 'sftp get'
row get sftp-gcm-get 'sftp -c aes128-gcm@openssh.com get'
row get sftp-f-get 'sftp get -f (fsync, as sshpin)'
echo
machine
echo "ciphers sshd negotiated: $ciphers"
