#!/bin/sh
# sshpin-check.sh: the CI step behind action.yml and the GitLab template.
# It checks live servers against a pinned known_hosts file once, prints the
# table to the job log, appends the markdown summary to a file, and exits
# as sshpin check does: 0 every host verified, 1 drift, 2 could not verify.
#
# Environment:
#   SSHPIN_PINNED    the pinned file (required)
#   SSHPIN_TARGETS   targets, separated by spaces or newlines; none: every
#                    plain host the pinned file names
#   SSHPIN_ARGS      more check flags, separated by spaces (--policy strict,
#                    --baseline base.txt, --timeout 10s)
#   SSHPIN_SUMMARY   file the markdown summary is appended to; default
#                    $GITHUB_STEP_SUMMARY, else sshpin-check.md
#   SSHPIN           the sshpin binary; default: sshpin on PATH
#
# The targets and flags are split at spaces and nothing else: globbing is
# off, and no value ever reaches eval.
set -eu
set -f

pinned=${SSHPIN_PINNED:?SSHPIN_PINNED: the pinned known_hosts file to check against}
summary=${SSHPIN_SUMMARY:-${GITHUB_STEP_SUMMARY:-sshpin-check.md}}
bin=${SSHPIN:-sshpin}
out=$(mktemp "${TMPDIR:-/tmp}/sshpin-check.XXXXXX")
trap 'rm -f "$out"' EXIT

# One run: what the log shows and what the summary says are the same
# judgement (a second run could see other keys, or find a host it just
# trusted on first use already pinned).
status=0
# shellcheck disable=SC2086 # split on purpose: lists of words
"$bin" check --pinned "$pinned" --format markdown ${SSHPIN_ARGS:-} ${SSHPIN_TARGETS:-} >"$out" || status=$?
if [ ! -s "$out" ]; then
	# Nothing was judged (a usage error, an unreadable pinned file):
	# sshpin said why on stderr.
	printf '### :x: sshpin check could not run (exit %s): see the job log\n' "$status" >"$out"
fi
cat "$out"
cat "$out" >>"$summary"
exit "$status"
