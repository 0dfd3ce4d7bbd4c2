# Counting checks for the suites that print "ok ..." / "FAIL ..." lines and
# end with "NAME: N passed, M failed".  Source after setting NAME.

PASS=0
FAIL=0
FINISHED=
ok() { PASS=$((PASS + 1)); printf 'ok   %s\n' "$*"; }
bad() { FAIL=$((FAIL + 1)); printf 'FAIL %s\n' "$*"; }
check_eq() { # description, expected, actual
	if [ "$2" == "$3" ]; then ok "$1"; else bad "$1: expected [$2], got [$3]"; fi
}
finish() {
	FINISHED=1
	echo "$NAME: $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
# For an EXIT trap: a step that stopped the script before finish still
# leaves a summary line, with the stop counted as a failure.
checks_aborted() { # exit status
	[ -n "$FINISHED" ] || [ "$1" -eq 0 ] || echo "$NAME: $PASS passed, $((FAIL + 1)) failed (aborted)"
}
