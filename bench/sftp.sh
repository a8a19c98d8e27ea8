#!/usr/bin/env bash
# Puts and gets one large file over loopback to a real sshd (internal-sftp),
# with sshpin and with OpenSSH's sftp -b, and prints MB/s and the ratio.
#
#   bench/sftp.sh [SIZE_MIB]      default 1024 (1 GiB); ROUNDS=3 by default
#   LINK_MBPS=400 bench/sftp.sh   through a link of 400 Mbit/s each way
#
# Each round runs every client once, in turn, so that a machine busy with
# something else slows them alike; the table shows each one's best round.
# OpenSSH's sftp runs twice: with its defaults (what a user gets; it
# negotiates chacha20-poly1305@openssh.com with OpenSSH servers) and with
# -c aes128-gcm@openssh.com, the cipher sshpin (x/crypto) negotiates, so
# that the comparison is also made like for like.
#
# What sshpin does and sftp does not, and is timed here: put writes to a
# temporary name, reads every chunk back from the server and compares it
# with what was sent, fsyncs (fsync@openssh.com), checks the size, and
# renames into place; get hashes, checks the size, fsyncs and renames.
# Before each transfer the destination is removed and the page cache
# written out (sync), untimed, so that no run pays for another's writes.
# With LINK_MBPS, both clients reach sshd through the same proxy command (a
# relay that holds each direction to that rate, independently, as a full
# duplex link does), to show the case where the link, not the CPU, is the
# limit. Everything runs on 127.0.0.1; nothing but a temporary directory is
# touched, and the sshd started here stops on exit.
set -euo pipefail
size_mib=${1:-1024}
rounds=${ROUNDS:-3}
case $size_mib in '' | *[!0-9]*) echo "usage: $0 [SIZE_MIB]" >&2; exit 2 ;; esac
case $rounds in '' | *[!0-9]* | 0) echo "$0: ROUNDS must be a positive number" >&2; exit 2 ;; esac
link=${LINK_MBPS:-}
case $link in '' ) ;; *[!0-9]* | 0) echo "$0: LINK_MBPS must be a positive number" >&2; exit 2 ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'bench: %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || { say "$1 not found (Debian: apt-get install openssh-server openssh-client)"; exit 2; }; }
need ssh-keygen
need sftp
need sshd
need python3
sshd_bin=$(command -v sshd || echo /usr/sbin/sshd)

work=$(mktemp -d "${TMPDIR:-/tmp}/sshpin-bench.XXXXXX")
sshd_pid=
cleanup() {
	[ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null && wait "$sshd_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

say "building sshpin"
go build -o "$work/sshpin" .

# A free loopback port: bind :0, read it, release it for sshd.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user=$(id -un)
ssh-keygen -q -t ed25519 -N '' -f "$work/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -f "$work/id_ed25519"
cp "$work/id_ed25519.pub" "$work/authorized_keys"
chmod 600 "$work/authorized_keys"
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd
# DEBUG1 makes sshd log the ciphers each connection negotiated (once per
# connection, nothing per packet).
cat >"$work/sshd_config" <<EOF
ListenAddress 127.0.0.1
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
"$sshd_bin" -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
sshd_pid=$!
# sshd -D has no readiness signal; a pin that succeeds is one (bounded).
for _ in $(seq 50); do
	if "$work/sshpin" pin --pinned "$work/host.keys" "127.0.0.1:$port" >/dev/null 2>&1; then break; fi
	sleep 0.1
done
[ -s "$work/host.keys" ] || { say "sshd did not start:"; cat "$work/sshd.log" >&2; exit 2; }

say "writing a ${size_mib} MiB file"
mkdir "$work/remote" "$work/local"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$work/local/file.bin"
bytes=$((size_mib * 1024 * 1024))

pin=(-F none --pinned "$work/host.keys" -i "$work/id_ed25519" --no-agent --timeout 60s)
ossh=(-q -b - -i "$work/id_ed25519" -P "$port" -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none
	-o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$work/host.keys" -o GlobalKnownHostsFile=/dev/null -F /dev/null)
if [ -n "$link" ]; then
	# The relay: stdin/stdout to host:port, each direction paced to the
	# rate on its own (a token bucket of 256 KiB).
	cat >"$work/link.py" <<'EOF'
import os, socket, sys, time
host, port, mbps = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rate = mbps * 1e6 / 8
s = socket.create_connection((host, port))
def pump(read, write):
    t = time.monotonic()
    while True:
        b = read(65536)
        if not b:
            return
        t = max(t, time.monotonic() - 256 * 1024 / rate) + len(b) / rate
        d = t - time.monotonic()
        if d > 0:
            time.sleep(d)
        write(b)
# One process per direction, so that neither waits for the other.
if os.fork() == 0:
    pump(lambda n: os.read(0, n), s.sendall)
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    os._exit(0)
pump(s.recv, lambda b: os.write(1, b))
EOF
	pin+=(--proxy-command "python3 $work/link.py %h %p $link")
	ossh+=(-o "ProxyCommand=python3 $work/link.py %h %p $link")
fi

now() { date +%s.%N; }
# run NAME CMD...: times CMD once and keeps NAME's best time. A put's
# destination is removed first (a get's is the local one).
declare -A best
run() {
	local name=$1 t0 t1 d
	shift
	case $name in *-put) rm -f "$rdst" ;; *) rm -f "$ldst" ;; esac
	sync
	t0=$(now)
	"$@" >/dev/null
	t1=$(now)
	d=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	if [ -z "${best[$name]:-}" ] || awk -v d="$d" -v b="${best[$name]}" 'BEGIN { exit !(d < b) }'; then best[$name]=$d; fi
	printf 'bench: %-14s %7.3f s\n' "$name" "$d" >&2
}
src=$work/local/file.bin
rdst=$work/remote/dst.bin
ldst=$work/local/dst.bin
sftp_put() { echo "put $src $rdst" | sftp "${ossh[@]}" "$@" "$user@127.0.0.1"; }
sftp_get() { echo "get $rdst $ldst" | sftp "${ossh[@]}" "$@" "$user@127.0.0.1"; }
# get needs the remote file in place; cp is untimed.
seed() { [ -f "$rdst" ] || cp "$src" "$rdst"; }

for r in $(seq "$rounds"); do
	say "round $r of $rounds"
	run sshpin-put "$work/sshpin" sftp "${pin[@]}" put "$src" "127.0.0.1:$port:$rdst"
	cmp "$src" "$rdst"
	run sftp-put sftp_put
	run sftp-gcm-put sftp_put -c aes128-gcm@openssh.com
	cmp "$src" "$rdst"
	seed
	run sshpin-get "$work/sshpin" sftp "${pin[@]}" get "127.0.0.1:$port:$rdst" "$ldst"
	cmp "$src" "$ldst"
	seed
	run sftp-get sftp_get
	seed
	run sftp-gcm-get sftp_get -c aes128-gcm@openssh.com
	cmp "$src" "$ldst"
done

ciphers=$(grep -o 'kex: client->server cipher: [^ ]*' "$work/sshd.log" | awk '{print $4}' | sort | uniq -c | awk '{printf "%s%s", sep, $2; sep=", "}')
mbps() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
printf '\n%-4s %12s %12s %7s %16s %7s\n' "" "sshpin MB/s" "sftp MB/s" "ratio" "sftp -c gcm MB/s" "ratio"
for op in put get; do
	a=${best[sshpin-$op]} b=${best[sftp-$op]} c=${best[sftp-gcm-$op]}
	printf '%-4s %12s %12s %7s %16s %7s\n' "$op" "$(mbps "$a")" "$(mbps "$b")" "$(ratio "$a" "$b")" "$(mbps "$c")" "$(ratio "$a" "$c")"
done
over="127.0.0.1"
[ -n "$link" ] && over="a ${link} Mbit/s full-duplex link on 127.0.0.1"
echo "(${size_mib} MiB over $over, best of $rounds rounds; ratio = sshpin MB/s / sftp MB/s; $(nproc) CPUs;"
echo " ciphers the server negotiated: $ciphers; sshpin's put includes its read-back, fsync and rename)"
