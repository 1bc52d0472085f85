#!/bin/sh
# shunit2 tests of uci/netify.init with procd, UCI and the netify binary
# mocked: every mock appends its call to $CALLS, tests assert on that log.
#
# Run without arguments it prints TAP for automake: each test_* function
# runs in its own shunit2 process and becomes one ok / not ok line.

SHUNIT2=${SHUNIT2:-/usr/share/shunit2/shunit2}
SRCDIR=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
SELF=$0

if [ -z "$NETIFY_INIT_ONE" ]; then
	tests=$(sed -n 's/^\(test_[a-z_0-9]*\)() *{.*/\1/p' "$SELF")
	set -- $tests
	echo "1..$#"
	if [ ! -r "$SHUNIT2" ]; then
		n=0
		for t in $tests; do
			n=$((n + 1))
			echo "ok $n - $t # SKIP shunit2 not installed"
		done
		exit 0
	fi
	n=0
	for t in $tests; do
		n=$((n + 1))
		if out=$(NETIFY_INIT_ONE=$t sh "$SELF" 2>&1); then
			echo "ok $n - $t"
		else
			echo "not ok $n - $t"
			echo "$out" | sed 's/^/# /'
		fi
	done
	exit 0
fi

# ---- mocks ----

record() { echo "$*" >> "$CALLS"; }

logger() { record "logger $*"; }
config_load() { record "config_load $*"; }
# config_get_bool VAR SECTION OPTION DEFAULT, from $MOCK_ENABLED
config_get_bool() {
	record "config_get_bool $*"
	eval "$1=\${MOCK_ENABLED:-$4}"
}
uci() {
	record "uci $*"
	case "$*" in
	"-q get firewall.@defaults[0].flow_offloading") echo "$MOCK_SW_OFFLOAD" ;;
	"-q get firewall.@defaults[0].flow_offloading_hw") echo "$MOCK_HW_OFFLOAD" ;;
	*) return 1 ;;
	esac
}
procd_open_instance() { record "procd_open_instance $*"; }
procd_set_param() { record "procd_set_param $*"; }
procd_close_instance() { record "procd_close_instance $*"; }
procd_send_signal() { record "procd_send_signal $*"; }
procd_add_reload_trigger() { record "procd_add_reload_trigger $*"; }
running() { record "running $*"; [ "$MOCK_RUNNING" = 1 ]; }
start() { record "start"; return 0; }
stop() { record "stop"; return 0; }

setUp() {
	TMP=$(mktemp -d)
	CALLS=$TMP/calls
	: > "$CALLS"
	export CALLS
	# the netify binary: records its arguments; fails `check` on demand
	cat > "$TMP/netify" <<'MOCK'
#!/bin/sh
echo "netify $*" >> "$CALLS"
if [ "$1" = check ] && [ -n "$MOCK_CHECK_ERRORS" ]; then
	printf '%s\n' "$MOCK_CHECK_ERRORS" >&2
	echo "policy for the record" 
	exit 1
fi
echo "/etc/config/netify: OK"
MOCK
	chmod +x "$TMP/netify"
	unset MOCK_ENABLED MOCK_SW_OFFLOAD MOCK_HW_OFFLOAD MOCK_CHECK_ERRORS
	MOCK_RUNNING=1
	export MOCK_CHECK_ERRORS
	. "$SRCDIR/uci/netify.init"
	PROG=$TMP/netify
	CONFIG=$TMP/netify.conf
	RUNDIR=$TMP/run/netify
}

tearDown() {
	rm -rf "$TMP"
}

called() { grep -qxF -- "$1" "$CALLS"; }
assertCalled() {
	called "$1" || fail "expected call: $1
$(cat "$CALLS")"
}
assertNotCalled() {
	called "$1" && fail "unexpected call: $1"
	return 0
}
assertNoneLike() {
	grep -q -- "$1" "$CALLS" && fail "unexpected call like $1"
	return 0
}

# ---- tests ----

test_start_checks_then_starts_instance() {
	start_service
	assertEquals "start status" 0 $?
	assertCalled "config_load netify"
	assertCalled "netify check -c $CONFIG"
	assertCalled "procd_open_instance "
	assertCalled "procd_set_param command $PROG run -c $CONFIG"
	assertCalled "procd_set_param respawn 3600 5 5"
	assertCalled "procd_set_param stdout 1"
	assertCalled "procd_set_param stderr 1"
	assertCalled "procd_set_param term_timeout 15"
	assertCalled "procd_close_instance "
	assertTrue "run dir created" "[ -d '$RUNDIR' ]"
	# validation happens before the instance is opened
	check_line=$(grep -n "netify check" "$CALLS" | cut -d: -f1)
	open_line=$(grep -n "procd_open_instance" "$CALLS" | cut -d: -f1)
	assertTrue "check before open" "[ $check_line -lt $open_line ]"
}

test_start_refuses_invalid_config() {
	MOCK_CHECK_ERRORS="$CONFIG:14: rule 'x': unknown application 'whatsap'
$CONFIG:20: main: unknown option 'colour'"
	start_service
	assertEquals "start status" 1 $?
	assertCalled "logger -t netify -p daemon.err $CONFIG:14: rule 'x': unknown application 'whatsap'"
	assertCalled "logger -t netify -p daemon.err $CONFIG:20: main: unknown option 'colour'"
	assertCalled "logger -t netify -p daemon.err $CONFIG is invalid, see the errors above"
	assertNoneLike "procd_open_instance"
	assertNoneLike "policy for the record"
}

test_start_refuses_flow_offloading() {
	MOCK_SW_OFFLOAD=1
	start_service
	assertEquals "start status" 1 $?
	assertCalled "uci -q get firewall.@defaults[0].flow_offloading"
	assertNoneLike "procd_open_instance"
	grep -q "daemon.err flow offloading is enabled" "$CALLS" ||
		fail "no offloading error logged"
}

test_start_refuses_hw_offloading() {
	MOCK_SW_OFFLOAD=0
	MOCK_HW_OFFLOAD=1
	start_service
	assertEquals "start status" 1 $?
	assertCalled "uci -q get firewall.@defaults[0].flow_offloading_hw"
	assertNoneLike "procd_open_instance"
}

test_start_allows_offloading_off() {
	MOCK_SW_OFFLOAD=0
	MOCK_HW_OFFLOAD=0
	start_service
	assertEquals "start status" 0 $?
	assertCalled "procd_close_instance "
}

test_start_disabled_does_nothing() {
	MOCK_ENABLED=0
	start_service
	assertEquals "start status" 0 $?
	assertCalled "config_get_bool enabled main enabled 1"
	assertCalled "logger -t netify -p daemon.notice disabled in $CONFIG, not starting"
	assertNoneLike "procd_open_instance"
	assertNoneLike "netify check"
}

test_reload_validates_and_sends_hup() {
	reload_service
	assertEquals "reload status" 0 $?
	assertCalled "netify check -c $CONFIG"
	assertCalled "procd_send_signal netify * HUP"
	assertNoneLike "procd_open_instance"
}

test_reload_invalid_keeps_running_daemon() {
	MOCK_CHECK_ERRORS="$CONFIG:3: main: option 'queue': invalid value 'x'"
	reload_service
	assertEquals "reload status" 1 $?
	assertCalled "logger -t netify -p daemon.err $CONFIG:3: main: option 'queue': invalid value 'x'"
	assertNoneLike "procd_send_signal"
	assertNotCalled "stop"
}

test_reload_when_stopped_starts() {
	MOCK_RUNNING=0
	reload_service
	assertEquals "reload status" 0 $?
	assertCalled "running netify"
	assertCalled "start"
	assertNoneLike "procd_send_signal"
}

test_reload_disabled_stops() {
	MOCK_ENABLED=0
	reload_service
	assertEquals "reload status" 0 $?
	assertCalled "stop"
	assertNoneLike "procd_send_signal"
}

test_triggers_on_netify_config() {
	service_triggers
	assertCalled "procd_add_reload_trigger netify"
	assertEquals "one trigger" 1 "$(grep -c procd_add_reload_trigger "$CALLS")"
}

test_script_header() {
	assertEquals "procd" 1 "$USE_PROCD"
	head -n 1 "$SRCDIR/uci/netify.init" | grep -qxF '#!/bin/sh /etc/rc.common' ||
		fail "not an rc.common script"
	assertTrue "starts after the firewall" "[ $START -gt 19 ]"
}

suite() {
	suite_addTest "$NETIFY_INIT_ONE"
}

. "$SHUNIT2"
