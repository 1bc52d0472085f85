#!/usr/bin/env node
'use strict';
/*
 * Tier 2: the rpcd exec plugin (root/usr/libexec/rpcd/luci.netify) run the
 * way rpcd runs it - `luci.netify list`, `luci.netify call METHOD` with the
 * JSON arguments on stdin - against the project's netify binary.  Proves
 * the wrapper passes arguments through and that every reply is exactly one
 * JSON object.  Shape checks of live data need a running daemon and are
 * skipped, with the reason, when none answers.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { test, run, problems } = require('./lib/tap');
const netify = require('./lib/netify');

const PLUGIN = path.join(netify.root, 'luci-app-netify/root/usr/libexec/rpcd/luci.netify');
const AGREED = JSON.parse(fs.readFileSync(path.join(__dirname, 'rpc-methods.json'), 'utf8'));
const bin = netify.binary();
const list = netify.rpcList();

if (!bin || !list) {
	console.log(`1..0 # SKIP ${!bin ? 'no netify binary built' : 'netify binary has no working `rpc list` yet'}`);
	process.exit(0);
}

/* the plugin as installed, with /usr/sbin/netify pointing at the build */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'netify-rpcd-'));
const plugin = path.join(work, 'luci.netify');
fs.writeFileSync(plugin, fs.readFileSync(PLUGIN, 'utf8').replace(/\/usr\/sbin\/netify/g, bin), { mode: 0o755 });

function rpcd(args, stdin) {
	const r = spawnSync(plugin, args, { input: stdin, encoding: 'utf8', timeout: 20000 });
	let json = null;
	try {
		json = JSON.parse(r.stdout);
	} catch (e) {
		json = undefined;
	}
	return { status: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

function oneObject(r) {
	return r.json !== undefined && r.json !== null && typeof r.json === 'object' && !Array.isArray(r.json);
}

/* `netify rpc` finds the control socket through this config: the first
 * tests run with no daemon behind it (every method but status must answer
 * with an error object), the shape tests with a daemon replaying a capture. */
const cfg = path.join(work, 'netify.conf');
const RULE = 'No WhatsApp on school nights';
const LIMIT = 'YouTube 1h a day';
fs.writeFileSync(cfg, `config netify 'main'\n\toption control_socket '${work}/control.sock'\n` +
	`\toption monitor_socket '${work}/monitor.sock'\n\n` +
	`config rule\n\toption name '${RULE}'\n\toption action 'block'\n\tlist app 'whatsapp'\n` +
	`\tlist src_mac 'aa:bb:cc:dd:ee:01'\n\toption weekdays 'Mon Tue Wed Thu Fri'\n` +
	`\toption start_time '18:00'\n\toption stop_time '07:00'\n\n` +
	`config rule\n\toption name '${LIMIT}'\n\tlist app 'youtube'\n\toption time_limit '1h'\n`);
process.env.NETIFY_CONFIG = cfg;
const status = rpcd([ 'call', 'status' ], '{}').json || {};
const daemon = status.running === true;
const CAPTURE = [ process.env.NETIFY_TEST_CAPTURE,
	path.join(netify.root, '..', 'shared/corpus/ndpi/pcap/whatsapp_login_call.pcap') ]
	.filter(Boolean).find((p) => fs.existsSync(p));
let live = null, liveProc = null, NO_DAEMON = 'no netify daemon running';

/* Starts `netify run -r CAPTURE --pace` once; true when it answers. */
async function liveDaemon() {
	if (live !== null)
		return live;
	live = false;
	if (!CAPTURE) {
		NO_DAEMON = 'no capture to replay (set NETIFY_TEST_CAPTURE)';
		return live;
	}
	liveProc = spawn(bin, [ 'run', '-c', cfg, '--apps', path.join(netify.root, 'policy', 'apps.d'),
		'-r', CAPTURE, '--pace' ], { stdio: 'ignore' });
	for (let i = 0; i < 25 && !live; i++) {
		await new Promise((r) => setTimeout(r, 200));
		live = (rpcd([ 'call', 'status' ], '{}').json || {}).running === true;
	}
	if (!live)
		NO_DAEMON = 'the replaying daemon never answered status';
	return live;
}

const GOOD = {
	status: {},
	flows: { device: 'kid_phone', app: 'whatsapp', blocked: true },
	apps: { category: 'chat' },
	devices: {},
	policy_test: { mac: 'aa:bb:cc:dd:ee:01', ip: '192.168.1.50', app: 'whatsapp', at: '2026-09-07 19:30' },
	usage: { device: 'aa:bb:cc:dd:ee:01', app: 'whatsapp', hours: true }
};

test('`luci.netify list` prints one JSON object with the agreed methods', () => {
	const r = rpcd([ 'list' ], '');
	if (r.status !== 0 || !oneObject(r))
		return { fail: `rc=${r.status} out=${r.stdout} err=${r.stderr}` };
	const got = Object.keys(r.json).sort().join(' '), want = Object.keys(AGREED).sort().join(' ');
	return got === want ? null : { fail: `methods: ${got}\nagreed: ${want}` };
});

test('list signatures use rpcd argument types (string, bool, number, object)', () => {
	const bad = [];
	for (const [ m, sig ] of Object.entries(list)) {
		if (!sig || typeof sig !== 'object' || Array.isArray(sig)) {
			bad.push(`${m}: signature is not an object`);
			continue;
		}
		for (const [ a, t ] of Object.entries(sig))
			if (![ 'string', 'boolean', 'number', 'object' ].includes(typeof t) || t === null)
				bad.push(`${m}.${a}: ${JSON.stringify(t)}`);
		for (const [ a, t ] of Object.entries(AGREED[m] || {}))
			if (!Object.prototype.hasOwnProperty.call(sig, a) || typeof sig[a] !== typeof t)
				bad.push(`${m}.${a}: ${JSON.stringify(sig[a])}, agreed ${JSON.stringify(t)}`);
	}
	return problems(bad);
});

for (const m of Object.keys(AGREED)) {
	test(`call ${m} with good arguments: exit 0, exactly one JSON object`, () => {
		const r = rpcd([ 'call', m ], JSON.stringify(GOOD[m]));
		if (r.status !== 0 || !oneObject(r))
			return { fail: `rc=${r.status} out=${r.stdout} err=${r.stderr}` };
		if (!daemon && !r.json.error && m !== 'status')
			return { fail: 'no daemon, yet no error: ' + r.stdout };
		return null;
	});

	test(`call ${m} with empty stdin (tolerated as no arguments)`, () => {
		const r = rpcd([ 'call', m ], '');
		return r.status === 0 && oneObject(r) ? null : { fail: `rc=${r.status} out=${r.stdout}` };
	});
}

test('with no daemon every method answers "running": false (a stopped daemon, not a failed call)', () => {
	if (daemon)
		return { skip: 'a daemon answers on the test socket' };
	const bad = [];
	for (const m of Object.keys(AGREED)) {
		const r = rpcd([ 'call', m ], '{"ubus_rpc_session":"0123456789abcdef0123456789abcdef"}');
		if (r.status !== 0 || !oneObject(r) || r.json.running !== false)
			bad.push(`${m}: rc=${r.status} out=${r.stdout}`);
	}
	return problems(bad);
});

test('call with non-JSON arguments: non-zero exit and an {"error"} object', () => {
	const bad = [];
	for (const input of [ 'nope', '[]', '"str"', '{"a":' ]) {
		const r = rpcd([ 'call', 'flows' ], input);
		if (r.status === 0 || !oneObject(r) || typeof r.json.error !== 'string')
			bad.push(`${input}: rc=${r.status} out=${r.stdout}`);
	}
	return problems(bad);
});

test('call of an unknown method and a bare call: non-zero exit and an {"error"} object', () => {
	const bad = [];
	for (const args of [ [ 'call', 'nosuch' ], [ 'call' ], [] ]) {
		const r = rpcd(args, '{}');
		if (r.status === 0 || !oneObject(r) || typeof r.json.error !== 'string')
			bad.push(`${args.join(' ')}: rc=${r.status} out=${r.stdout}`);
	}
	return problems(bad);
});

test('status has the fields the Overview and Settings pages read', async () => {
	if (!(await liveDaemon()))
		return { skip: NO_DAEMON };
	const st = rpcd([ 'call', 'status' ], '{}').json || {};
	const want = { running: 'boolean', version: 'string', uptime: 'number', flows: 'number', queues: 'object',
		dns_cache: 'number', apps: 'number', clients: 'number', flow_offloading: 'boolean' };
	return problems(Object.entries(want).filter(([ k, t ]) => typeof st[k] !== t).map(([ k, t ]) => `${k}: want ${t}`));
});

test('apps returns categories and apps with the fields the pickers read', async () => {
	if (!(await liveDaemon()))
		return { skip: NO_DAEMON };
	const r = rpcd([ 'call', 'apps' ], '{}').json || {};
	const bad = [];
	if (!Array.isArray(r.categories) || !Array.isArray(r.apps) || !r.apps.length)
		return { fail: JSON.stringify(r).slice(0, 300) };
	r.apps.slice(0, 50).forEach((a) => {
		if (typeof a.tag !== 'string' || typeof a.label !== 'string' || typeof a.category !== 'string')
			bad.push(JSON.stringify(a));
	});
	return problems(bad);
});

test('flows with a wrongly typed argument gives an {"error"} object', async () => {
	if (!(await liveDaemon()))
		return { skip: NO_DAEMON + ' (without one every call is an error)' };
	const r = rpcd([ 'call', 'flows' ], '{"blocked":"yes"}');
	return oneObject(r) && typeof r.json.error === 'string' ? null : { fail: r.stdout };
});

/* what uhttpd and LuCI send: the caller's session besides the arguments */
const SID = '0123456789abcdef0123456789abcdef';

test('the session rpcd passes on (ubus_rpc_session) is accepted by every method', async () => {
	if (!(await liveDaemon()))
		return { skip: NO_DAEMON };
	const bad = [];
	for (const m of Object.keys(AGREED)) {
		const r = rpcd([ 'call', m ], JSON.stringify(Object.assign({ ubus_rpc_session: SID }, GOOD[m])));
		if (r.status !== 0 || !oneObject(r) || r.json.error !== undefined)
			bad.push(`${m}: rc=${r.status} out=${r.stdout.slice(0, 200)}`);
	}
	return problems(bad);
});

test('real arguments are still checked beside the session', async () => {
	if (!(await liveDaemon()))
		return { skip: NO_DAEMON };
	const bad = [];
	for (const [ m, args ] of [ [ 'status', { bogus: 'x' } ], [ 'flows', { blocked: 'yes' } ],
		[ 'status', { ubus_rpc_session: 5 } ], [ 'apps', { category: 7 } ] ]) {
		const r = rpcd([ 'call', m ], JSON.stringify(Object.assign({ ubus_rpc_session: SID }, args)));
		if (!oneObject(r) || typeof r.json.error !== 'string')
			bad.push(`${m} ${JSON.stringify(args)}: ${r.stdout}`);
	}
	return problems(bad);
});

function policyTest(args) {
	return rpcd([ 'call', 'policy_test' ], JSON.stringify(Object.assign({ ubus_rpc_session: SID,
		mac: 'aa:bb:cc:dd:ee:01' }, args))).json || {};
}

test('policy_test inside the schedule: the rule blocks, nothing inactive', async () => {
	if (!(await liveDaemon()))
		return { skip: NO_DAEMON };
	const r = policyTest({ app: 'whatsapp', at: '2026-12-07 20:00' });
	return r.rule === RULE && r.action === 'block' && r.active === true && r.inactive_rule === null
		? null : { fail: JSON.stringify(r) };
});

test('policy_test outside the schedule names the rule that would have matched', async () => {
	if (!(await liveDaemon()))
		return { skip: NO_DAEMON };
	const r = policyTest({ app: 'whatsapp', at: '2026-12-07 12:00' });
	return r.rule === null && r.action === 'none' && r.inactive_rule === RULE && r.inactive_index === 0 &&
		r.reason.includes(RULE) ? null : { fail: JSON.stringify(r) };
});

test('policy_test with no rule for the app says so, with no schedule in it', async () => {
	if (!(await liveDaemon()))
		return { skip: NO_DAEMON };
	const r = policyTest({ app: 'youtube', at: '2026-12-07 20:00' });
	return r.rule === null && r.inactive_rule === null && r.inactive_index === -1 &&
		/no rule matches/.test(r.reason) && !/schedule/.test(r.reason) ? null : { fail: JSON.stringify(r) };
});

test('policy_test names the daily limit an application counts against', async () => {
	if (!(await liveDaemon()))
		return { skip: NO_DAEMON };
	const r = policyTest({ app: 'youtube', at: '2026-12-07 20:00' });
	const l = (r.limits || [])[0] || {};
	return r.limits && r.limits.length === 1 && l.rule === LIMIT && l.time_limit_s === 3600 && l.reached === false
		? null : { fail: JSON.stringify(r) };
});

test('usage has the members the Usage view reads', async () => {
	if (!(await liveDaemon()))
		return { skip: NO_DAEMON };
	const r = rpcd([ 'call', 'usage' ], '{}').json || {}, bad = [];
	if (!/^\d{4}-\d\d-\d\d$/.test(r.day) || r.from !== r.day || r.to !== r.day || typeof r.day_start !== 'number' ||
	    !/^\d\d:\d\d$/.test(r.reset_time))
		bad.push('day: ' + JSON.stringify(r).slice(0, 300));
	if (!Array.isArray(r.devices) || !Array.isArray(r.limits))
		bad.push('devices, limits: ' + JSON.stringify(r).slice(0, 300));
	(r.devices || []).forEach((d) => {
		if (typeof d.mac !== 'string' || typeof d.totals !== 'object' || !Array.isArray(d.apps) ||
		    [ 'bytes_in', 'bytes_out', 'conns', 'active_s' ].some((k) => typeof d.totals[k] !== 'number'))
			bad.push('device: ' + JSON.stringify(d).slice(0, 300));
	});
	if (!(r.limits || []).some((l) => l.rule === LIMIT && l.time_limit_s === 3600 && typeof l.resets_at === 'number'))
		bad.push('limits: ' + JSON.stringify(r.limits));
	const w = rpcd([ 'call', 'usage' ], JSON.stringify({ from: r.day, to: r.day, app: 'whatsapp' })).json || {};
	if (!Array.isArray(w.devices) || w.devices.some((d) => !Array.isArray(d.days) || d.days.length !== 1))
		bad.push('history: ' + JSON.stringify(w).slice(0, 300));
	return problems(bad);
});

test('usage with a bad day or an unknown device gives an {"error"} object', async () => {
	if (!(await liveDaemon()))
		return { skip: NO_DAEMON };
	const bad = [];
	for (const args of [ { from: '2026-13-01' }, { to: 'yesterday' }, { device: 'nobody' }, { app: 'nosuchapp' },
		{ hours: 'yes' } ]) {
		const r = rpcd([ 'call', 'usage' ], JSON.stringify(args));
		if (!oneObject(r) || typeof r.json.error !== 'string')
			bad.push(`${JSON.stringify(args)}: ${r.stdout}`);
	}
	return problems(bad);
});

test('policy_test answers with rule, action and active', async () => {
	if (!(await liveDaemon()))
		return { skip: NO_DAEMON };
	const r = rpcd([ 'call', 'policy_test' ], JSON.stringify(GOOD.policy_test)).json || {};
	const bad = [ 'rule', 'action', 'active' ].filter((k) => !(k in r)).map((k) => `missing ${k}`);
	return problems(bad);
});

run().then((failed) => {
	if (liveProc)
		liveProc.kill('SIGTERM');
	fs.rmSync(work, { recursive: true, force: true });
	process.exit(failed ? 1 : 0);
});
