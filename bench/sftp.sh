#!/usr/bin/env bash
# Puts and gets one large file over loopback to a real sshd (internal-sftp),
# with sshpin and with OpenSSH's sftp -b, and prints MB/s and the ratio.
#
#   bench/sftp.sh [SIZE_MIB]      default 256
#
# The comparison is not like for like, on purpose: it shows what sshpin's
# guarantees cost. sshpin's put reads the whole file back from the server to
# check size and SHA-256 before it renames it into place (so it moves the
# bytes twice); its get hashes and fsyncs before renaming. OpenSSH's sftp
# does neither. Everything runs on 127.0.0.1; nothing but a temporary
# directory is touched, and the sshd started here stops on exit.
set -euo pipefail
size_mib=${1:-256}
case $size_mib in '' | *[!0-9]*) echo "usage: $0 [SIZE_MIB]" >&2; exit 2 ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'bench: %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || { say "$1 not found (Debian: apt-get install openssh-server openssh-client)"; exit 2; }; }
need ssh-keygen
need sftp
need sshd
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
cat >"$work/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $work/host_ed25519
PidFile none
UsePAM no
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

now() { date +%s.%N; }
# mbps BYTES SECONDS
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }
timed() {
	local t0 t1
	t0=$(now)
	"$@" >/dev/null
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

pin=(--pinned "$work/host.keys" -i "$work/id_ed25519" --no-agent --timeout 30s)
ossh=(-q -b - -i "$work/id_ed25519" -P "$port" -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none
	-o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$work/host.keys" -o GlobalKnownHostsFile=/dev/null -F /dev/null)

say "put and get with sshpin"
sp_put=$(timed "$work/sshpin" sftp "${pin[@]}" put "$work/local/file.bin" "127.0.0.1:$port:$work/remote/a.bin")
sp_get=$(timed "$work/sshpin" sftp "${pin[@]}" get "127.0.0.1:$port:$work/remote/a.bin" "$work/local/a.bin")
cmp "$work/local/file.bin" "$work/local/a.bin"

say "put and get with OpenSSH sftp -b"
os_put=$(timed sh -c "echo 'put $work/local/file.bin $work/remote/b.bin' | sftp ${ossh[*]} $user@127.0.0.1")
os_get=$(timed sh -c "echo 'get $work/remote/b.bin $work/local/b.bin' | sftp ${ossh[*]} $user@127.0.0.1")
cmp "$work/local/file.bin" "$work/local/b.bin"

printf '%-6s %10s %10s %10s %10s %8s\n' "" "sshpin s" "sshpin MB/s" "sftp s" "sftp MB/s" "ratio"
for op in put get; do
	eval "a=\$sp_$op b=\$os_$op"
	ra=$(mbps "$bytes" "$a")
	rb=$(mbps "$bytes" "$b")
	printf '%-6s %10s %10s %10s %10s %8s\n' "$op" "$a" "$ra" "$b" "$rb" "$(awk -v x="$ra" -v y="$rb" 'BEGIN { printf "%.2f", x / y }')"
done
echo "(${size_mib} MiB over 127.0.0.1; ratio = sshpin MB/s / sftp MB/s; sshpin's put includes reading the file back to verify it)"
