#!/usr/bin/env bash
# The one command that runs sshpin's test suite, on a fresh Debian machine
# (as root) as on a developer's:
#
#   ./test.sh                     gofmt, go vet, go test -race over ./...
#   ./test.sh -run Foo ./scan/    the same over the packages named; every
#                                 other argument goes to go test as given
#
# Tests start real sshd, dropbear and ProFTPD servers (internal/testpeer). Missing
# ones are installed with apt-get when run as root; otherwise their tests
# skip, except under CI=true, where a missing server is a failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
start=$SECONDS

say() { printf 'test.sh: %s\n' "$*" >&2; }
die() {
	say "$@"
	exit 1
}
ci() { [ "${CI:-}" = true ]; }

# Split the arguments into go test flags and packages. A package is any
# argument that is neither a flag nor the value of one; which go test flags
# take their value as the next argument is listed here, all others (and
# -flag=value, and the test binary's own flags such as -update) stand alone.
value_flags=" run skip bench benchtime count cpu timeout parallel p list shuffle
	fuzz fuzztime fuzzminimizetime fuzzcachedir coverprofile covermode coverpkg
	cpuprofile memprofile memprofilerate blockprofile blockprofilerate
	mutexprofile mutexprofilefraction trace outputdir tags exec o ldflags
	gcflags asmflags mod modfile vet pkgdir toolexec overlay pgo C "
flags=()
pkgs=()
binargs=()
while [ $# -gt 0 ]; do
	arg=$1
	shift
	case $arg in
	-args | --args)
		# Everything after -args belongs to the test binary, and must come
		# after the packages.
		binargs=("$arg" "$@")
		break
		;;
	-*=*) flags+=("$arg") ;;
	-*)
		flags+=("$arg")
		name=${arg#-}
		name=${name#-}
		name=${name#test.}
		if [[ $value_flags == *[[:space:]]"$name"[[:space:]]* ]] && [ $# -gt 0 ]; then
			flags+=("$1")
			shift
		fi
		;;
	*) pkgs+=("$arg") ;;
	esac
done
whole=false
if [ ${#pkgs[@]} -eq 0 ]; then
	pkgs=(./...)
	whole=true
fi

command -v go >/dev/null || die "go not found; sshpin needs Go $(sed -n 's/^go //p' go.mod) (https://go.dev/dl/)"

# have BIN: also in the sbin directories a non-root PATH lacks, where
# Debian puts sshd and dropbear.
have() {
	command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

# port22: something listens on TCP port 22 (hex 0016, state 0A = LISTEN).
# /proc rather than ss: a minimal Debian has no iproute2.
port22() {
	awk '$4 == "0A" && $2 ~ /:0016$/ { found = 1 } END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# install_packages PKG...: apt-get without starting any service. Debian's
# openssh-server would start a system sshd on port 22; policy-rc.d (exit
# 101: action forbidden) stops invoke-rc.d and deb-systemd-invoke from
# doing so, and the install does not fail for it.
install_packages() {
	local policy=/usr/sbin/policy-rc.d ours=false listened=false
	port22 && listened=true
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\n# written by sshpin test.sh while it installs packages\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		ours=true
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	say "installing $*"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "$@"
	if $ours; then
		rm -f "$policy"
		trap - EXIT
	fi
	# A pre-existing policy-rc.d may have let the service start: stop the
	# sshd this install started, so no system server sits on port 22.
	if ! $listened && port22; then
		say "stopping the system sshd the package started on port 22"
		if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
			systemctl stop ssh.service ssh.socket || true
			systemctl disable ssh.service ssh.socket || true
		else
			invoke-rc.d ssh stop || service ssh stop || true
		fi
	fi
}

missing=()
need() { # need PACKAGE BIN...
	local pkg=$1 bin
	shift
	for bin; do
		if ! have "$bin"; then
			missing+=("$pkg")
			return
		fi
	done
}
need openssh-server sshd
need openssh-client ssh ssh-keyscan ssh-keygen sftp
need dropbear-bin dropbear dropbearconvert
# ProFTPD's mod_sftp, the third real SFTP server (internal/testpeer/proftpd.go).
need proftpd-core proftpd
[ -e /usr/lib/proftpd/mod_sftp.so ] || missing+=(proftpd-mod-crypto)
# sftp over streams (-D, --stream, --tls): OpenSSH's sftp-server, and ncat -e.
need openssh-sftp-server /usr/lib/openssh/sftp-server
need ncat ncat
# -race needs cgo, hence a C compiler.
need gcc gcc
# The bash completion test sources bash-completion, as users' shells do.
[ -f /usr/share/bash-completion/bash_completion ] || missing+=(bash-completion)
if [ ${#missing[@]} -gt 0 ]; then
	pkgs_to_install=()
	for p in "${missing[@]}"; do
		pkgs_to_install+=("$p")
		if [ "$p" = gcc ]; then
			pkgs_to_install+=(libc6-dev)
		fi
	done
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		install_packages "${pkgs_to_install[@]}"
	elif ci; then
		die "missing ${missing[*]}; install them (apt-get install ${pkgs_to_install[*]}) or run as root"
	else
		say "missing ${missing[*]}: tests that need them will skip (apt-get install ${pkgs_to_install[*]})"
	fi
fi

race=(-race)
if ! have gcc; then
	ci && die "-race needs a C compiler (apt-get install gcc libc6-dev)"
	say "no C compiler: running without -race"
	race=()
fi

# sshd refuses to start as root without its privilege separation directory,
# which only the service's start-up creates.
if [ "$(id -u)" = 0 ]; then
	install -d -m 0755 /run/sshd
fi

say "gofmt"
if $whole; then
	unformatted=$(gofmt -l .)
else
	dirs=$(go list -f '{{.Dir}}' "${pkgs[@]}")
	shopt -s nullglob
	unformatted=$(for d in $dirs; do
		files=("$d"/*.go)
		[ ${#files[@]} -eq 0 ] || gofmt -l "${files[@]}"
	done)
fi
if [ -n "$unformatted" ]; then
	die "gofmt -w these files:
$unformatted"
fi

say "go vet ${pkgs[*]}"
go vet "${pkgs[@]}"

# Packages before the caller's flags: go test hands everything after a flag
# it does not know (-update) to the test binary. Ours first: of a repeated
# flag the last wins, so the caller's -count=3 does.
say "go test ${race[*]} -count=1 ${pkgs[*]} ${flags[*]} ${binargs[*]}"
go test "${race[@]}" -count=1 "${pkgs[@]}" "${flags[@]}" "${binargs[@]}"

say "passed in $((SECONDS - start))s"
