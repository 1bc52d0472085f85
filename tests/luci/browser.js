#!/usr/bin/env node
'use strict';
/*
 * Tier 3: the views in headless Chromium, against the LuCI stand-in runtime
 * (runtime/) and the test server (server.js).  A user's clicks add the rule
 * "block WhatsApp for a device on weekdays 18:00-07:00", save and apply it,
 * and the resulting config file is read back.  Steps that need a netify
 * command the build does not have yet are TAP SKIPs that say which.
 * Screenshots go to tests/luci/artifacts/.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { test, run } = require('./lib/tap');
const uciFile = require('./lib/uci');
const netify = require('./lib/netify');
const server = require('./server');

const here = __dirname;
const ART = path.join(here, 'artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = [ '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync' ];
const RULE_NAME = 'No WhatsApp on school nights';
const KID_MAC = 'aa:bb:cc:dd:ee:01';

let pw;
try {
	pw = require(path.join(here, 'node_modules', 'playwright-core'));
} catch (e) {
	pw = null;
}

if (!pw || !fs.existsSync(CHROMIUM)) {
	console.log(`1..0 # SKIP ${!pw ? 'playwright-core not installed (tests/luci/setup.sh)' : CHROMIUM + ' not installed (apt-get install chromium)'}`);
	process.exit(0);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'netify-luci-'));
const configFile = path.join(work, 'netify');
/* sockets of a test daemon live in the scratch directory */
fs.writeFileSync(configFile, fs.readFileSync(path.join(here, 'fixtures/netify.config'), 'utf8').replace(
	"config netify 'main'\n",
	`config netify 'main'\n\toption control_socket '${work}/control.sock'\n\toption monitor_socket '${work}/monitor.sock'\n`));
fs.mkdirSync(ART, { recursive: true });
/* `netify rpc` finds the daemon's control socket through the config */
process.env.NETIFY_CONFIG = configFile;

/* a capture for a daemon to replay: NETIFY_TEST_CAPTURE or the shared corpus */
const CAPTURE = [ process.env.NETIFY_TEST_CAPTURE,
	path.join(netify.root, '..', 'shared/corpus/ndpi/pcap/whatsapp_login_call.pcap') ]
	.filter(Boolean).find((p) => fs.existsSync(p));
let daemonProc = null, daemonWhy = '';

const rpcList = netify.rpcList();
const NO_RPC = netify.binary() ? 'netify binary has no working `rpc` command yet' : 'no netify binary built';
let srv, ctx, page, catalog = null, daemon = false;
const NO_DAEMON = () => rpcList ? `no netify daemon answers (${daemonWhy})` : NO_RPC;

/*
 * Start `netify run --replay CAPTURE --pace` and wait up to 5 s for it to
 * answer `rpc call status` with running:true.  Returns why not otherwise.
 */
async function startDaemon() {
	if (!rpcList)
		return NO_RPC;
	if (!netify.hasCommand('run'))
		return '`netify run` is not part of this build';
	if (!CAPTURE)
		return 'no capture (set NETIFY_TEST_CAPTURE)';
	/* the shipped catalog, not whatever this machine has in /etc/netify */
	daemonProc = spawn(netify.binary(), [ 'run', '-c', configFile, '--apps',
		path.join(netify.root, 'policy', 'apps.d'), '-r', CAPTURE, '--pace' ],
		{ stdio: [ 'ignore', 'ignore', 'ignore' ] });
	for (let i = 0; i < 25; i++) {
		if ((rpcCall('status') || {}).running === true)
			return '';
		if (daemonProc.exitCode !== null)
			return `replay of ${path.basename(CAPTURE)} ended without serving the control socket`;
		await new Promise((r) => setTimeout(r, 200));
	}
	return 'the replaying daemon never reported running:true';
}
const pageErrors = [];

function rpcCall(method, args) {
	const r = netify.run([ 'rpc', 'call', method ], JSON.stringify(args || {}));
	try { return r && r.status === 0 ? JSON.parse(r.stdout) : null; } catch (e) { return null; }
}

function readConfig() {
	return uciFile.parse(fs.readFileSync(configFile, 'utf8'));
}

function shot(name) {
	return page.screenshot({ path: path.join(ART, name + '.png'), fullPage: true });
}

async function open(view) {
	pageErrors.length = 0;
	await page.goto(`${srv.url}/cgi-bin/luci/admin/network/netify/${view}`);
	await page.waitForSelector('#view[data-rendered]', { timeout: 15000 });
}

async function saveAndApply() {
	await page.click('.cbi-page-actions .cbi-button-apply');
	await page.waitForSelector('.apply-ok, .apply-failed, .save-failed', { timeout: 15000 });
	const failed = await page.$('.apply-failed, .save-failed');
	return failed ? await failed.textContent() : null;
}

test('test server and headless Chromium start', async () => {
	srv = await server.start({ config: configFile });
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'netify-chromium-'));
	ctx = await pw.chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 }
	});
	page = ctx.pages()[0] || await ctx.newPage();
	page.on('pageerror', (e) => pageErrors.push(e.message));
	page.setDefaultTimeout(10000);
	daemonWhy = await startDaemon();
	daemon = daemonWhy === '';
	if (daemon)
		catalog = rpcCall('apps');
});

for (const view of [ 'overview', 'rules', 'apps', 'settings' ]) {
	test(`${view} page renders without script errors`, async () => {
		await open(view);
		await shot(`${view}`);
		const err = await page.$('.view-error');
		if (err)
			return { fail: await err.textContent() };
		return pageErrors.length ? { fail: pageErrors.join('\n') } : null;
	});
}

test('rules: an invalid schedule time keeps the modal open and the file unchanged', async () => {
	const before = fs.readFileSync(configFile, 'utf8');
	await open('rules');
	await page.click('.cbi-section-create .cbi-button-add');
	await page.waitForSelector('#modal_overlay');
	await page.click('#modal_overlay .cbi-tabmenu li[data-tab="schedule"] a');
	await page.fill('#modal_overlay input[id$=".start_time"]', '25:99');
	await page.click('#modal_overlay .cbi-button-modal-save');
	await page.waitForSelector('.save-failed');
	await shot('rules-invalid-time');
	const stillOpen = !!(await page.$('#modal_overlay'));
	await page.click('#modal_overlay .cbi-button-dismiss');
	const after = fs.readFileSync(configFile, 'utf8');
	if (!stillOpen)
		return { fail: 'modal closed on invalid input' };
	return after === before ? null : { fail: 'config file changed' };
});

test(`rules: add "${RULE_NAME}" by clicking, Save & Apply`, async () => {
	await open('rules');
	await page.click('.cbi-section-create .cbi-button-add');
	await page.waitForSelector('#modal_overlay');
	await page.fill('#modal_overlay input[id$=".name"]', RULE_NAME);
	await page.selectOption('#modal_overlay select[id$=".action"]', 'block');

	/* the app picker: search, then tick WhatsApp when the catalog has it */
	if (catalog && (catalog.apps || []).some((a) => a.tag === 'whatsapp')) {
		await page.fill('#modal_overlay .netify-app-search', 'whats');
		await page.check('#modal_overlay .netify-app-picker input[value="whatsapp"]');
	}

	/* device picker: the MAC LuCI's host hints name "kids-phone" */
	await page.fill('#modal_overlay [id$=".src_mac"] input.add-item', KID_MAC);
	await page.press('#modal_overlay [id$=".src_mac"] input.add-item', 'Enter');
	await shot('rules-modal-general');

	await page.click('#modal_overlay .cbi-tabmenu li[data-tab="schedule"] a');
	for (const d of [ 'Mon', 'Tue', 'Wed', 'Thu', 'Fri' ])
		await page.check(`#modal_overlay [id$=".weekdays"] input[value="${d}"]`);
	await page.fill('#modal_overlay input[id$=".start_time"]', '18:00');
	await page.fill('#modal_overlay input[id$=".stop_time"]', '07:00');
	await shot('rules-modal-schedule');

	await page.click('#modal_overlay .cbi-button-modal-save');
	await page.waitForSelector('#modal_overlay', { state: 'detached' });
	await page.waitForSelector(`tr.cbi-section-table-row:has-text("${RULE_NAME}")`);
	const err = await saveAndApply();
	await shot('rules-after-apply');
	return err ? { fail: err } : null;
});

function newRule() {
	return readConfig().find((s) => s.type === 'rule' && s.opts.get('name') === RULE_NAME);
}

test('the config file holds the rule with fw4-style schedule options', () => {
	const r = newRule();
	if (!r)
		return { fail: 'rule not in file:\n' + fs.readFileSync(configFile, 'utf8') };
	const want = { action: 'block', weekdays: 'Mon Tue Wed Thu Fri', start_time: '18:00', stop_time: '07:00' };
	const bad = Object.entries(want).filter(([ k, v ]) => r.opts.get(k) !== v).map(([ k, v ]) => `${k}=${r.opts.get(k)} want ${v}`);
	if (JSON.stringify(r.opts.get('src_mac')) !== JSON.stringify([ KID_MAC ]))
		bad.push(`src_mac=${JSON.stringify(r.opts.get('src_mac'))} (want a list with ${KID_MAC})`);
	if (r.name !== null)
		bad.push('rule section should be anonymous');
	return bad.length ? { fail: bad.join('\n') + '\n' + fs.readFileSync(configFile, 'utf8') } : null;
});

test('the rule names WhatsApp from the daemon catalog', () => {
	if (!daemon)
		return { skip: NO_DAEMON() + ': the app picker has no catalog' };
	if (!catalog || !(catalog.apps || []).some((a) => a.tag === 'whatsapp'))
		return { fail: 'catalog from `netify rpc call apps` lacks whatsapp' };
	const r = newRule();
	return r && JSON.stringify(r.opts.get('app')) === '["whatsapp"]' ? null : { fail: `app=${r && JSON.stringify(r.opts.get('app'))}` };
});

test('`netify uci export` reads the saved file back unchanged', () => {
	const v = srv.store.lastValidation;
	if (!v || v.export === 'skipped')
		return { skip: netify.binary() ? 'netify has no `uci` command yet' : 'no netify binary built' };
	return v.export === 'same' ? null : { fail: v.detail };
});

test('`netify check` accepts the saved file', () => {
	const v = srv.store.lastValidation;
	if (!v || v.check === 'skipped')
		return { skip: netify.binary() ? 'netify has no `check` command yet' : 'no netify binary built' };
	return v.check === 'passed' ? null : { fail: v.detail };
});

test('rules: dragging the new rule above the first reorders the file', async () => {
	await open('rules');
	const rows = await page.$$('tr.cbi-section-table-row');
	if (rows.length < 2)
		return { fail: `only ${rows.length} rows` };
	await page.dragAndDrop(`tr.cbi-section-table-row:has-text("${RULE_NAME}")`,
		'tr.cbi-section-table-row >> nth=0', { targetPosition: { x: 20, y: 2 } });
	const first = await page.textContent('tr.cbi-section-table-row >> nth=0');
	if (!first.includes(RULE_NAME))
		return { fail: 'row did not move: ' + first };
	const err = await saveAndApply();
	if (err)
		return { fail: err };
	const rules = readConfig().filter((s) => s.type === 'rule').map((s) => s.opts.get('name'));
	await shot('rules-reordered');
	return rules[0] === RULE_NAME ? null : { fail: 'file order: ' + rules.join(', ') };
});

test('settings: invalid queue is refused, a valid range is saved', async () => {
	await open('settings');
	await page.click('.cbi-tabmenu li[data-tab="enforce"] a');
	await page.fill('input[id="cbid.netify.main.queue"]', 'abc');
	await page.click('.cbi-page-actions .cbi-button-apply');
	await page.waitForSelector('.save-failed');
	await shot('settings-invalid-queue');
	if (readConfig().find((s) => s.name === 'main').opts.get('queue') !== '0')
		return { fail: 'invalid value reached the file' };
	await page.fill('input[id="cbid.netify.main.queue"]', '0-3');
	await page.click('.cbi-page-actions .cbi-button-apply');
	await page.waitForSelector('.apply-ok');
	const q = readConfig().find((s) => s.name === 'main').opts.get('queue');
	return q === '0-3' ? null : { fail: `queue=${q}` };
});

test('applications: search finds WhatsApp and shows the rule using it', async () => {
	if (!daemon)
		return { skip: NO_DAEMON() };
	await open('apps');
	await page.fill('#netify-app-search', 'whatsapp');
	await shot('apps-search');
	const row = await page.$('tr[data-app="whatsapp"]');
	if (!row || !(await row.isVisible()))
		return { fail: 'no visible whatsapp row' };
	const text = await row.textContent();
	return text.includes(RULE_NAME) ? null : { fail: text };
});

test('overview: live flow table shows the daemon\'s flows', async () => {
	if (!daemon)
		return { skip: NO_DAEMON() };
	const flows = (rpcCall('flows') || {}).flows || [];
	if (!flows.length)
		return { skip: '`netify rpc call flows` returned no flows (no daemon fed by a capture is running)' };
	await open('overview');
	await shot('overview-flows');
	const rows = await page.$$('#netify-flows tr.tr:not(.table-titles):not(.placeholder)');
	/* the replay goes on while the page loads: the table shows at least
	 * the flows there were before and at most those there are after */
	const after = ((rpcCall('flows') || {}).flows || []).length;
	return rows.length >= flows.length && rows.length <= after ? null :
		{ fail: `${rows.length} rows, daemon had ${flows.length} flows before and ${after} after` };
});

test('rules: the Test button shows the daemon\'s verdict', async () => {
	if (!daemon)
		return { skip: NO_DAEMON() };
	await open('rules');
	await page.selectOption('#netify-test-mac', KID_MAC);
	await page.click('.netify-test .cbi-button-action');
	await page.waitForSelector('#netify-test-result :is(.netify-test-verdict, .alert-message)');
	await shot('rules-test-button');
	const verdict = await page.$('#netify-test-result .netify-test-verdict');
	return verdict ? null : { fail: await page.textContent('#netify-test-result') };
});

run().then(async (failed) => {
	if (daemonProc && daemonProc.exitCode === null)
		daemonProc.kill('SIGTERM');
	if (ctx)
		await ctx.close();
	if (srv)
		await srv.close();
	fs.rmSync(work, { recursive: true, force: true });
	process.exit(failed ? 1 : 0);
});
