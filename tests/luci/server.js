#!/usr/bin/env node
'use strict';
/*
 * Test server for the tier-3 browser test: serves the netify views with the
 * LuCI stand-in runtime and answers the ubus JSON-RPC calls the views make.
 *   luci.netify.*   -> `netify rpc call METHOD` (the rpcd plugin's command);
 *                      "Object not found" when the binary lacks `rpc`, as
 *                      rpcd answers without the plugin
 *   uci.*           -> a staged copy of a real config file; `apply` writes
 *                      the file, re-reads it with `netify uci export` and
 *                      validates it with `netify check` when they exist
 *   luci-rpc.getHostHints -> fixtures/hosthints.json (LuCI's own data)
 * Standalone: node tests/luci/server.js CONFIG [PORT]
 */
const fs = require('fs');
const http = require('http');
const path = require('path');
const uciFile = require('./lib/uci');
const netify = require('./lib/netify');

const here = __dirname;
const app = path.join(netify.root, 'luci-app-netify');
const UBUS = { OK: 0, INVALID_ARGUMENT: 2, METHOD_NOT_FOUND: 3, NOT_FOUND: 4, NO_DATA: 5, UNKNOWN: 9 };
const TYPES = { '.js': 'application/javascript', '.css': 'text/css', '.json': 'application/json', '.html': 'text/html' };

function shell(page, menu) {
	const tabs = Object.entries(menu).filter(([ p, n ]) => n.action && n.action.type === 'view')
		.sort((a, b) => (a[1].order || 0) - (b[1].order || 0))
		.map(([ p, n ]) => `<li class="${p.endsWith('/' + page) ? 'active' : ''}"><a href="/cgi-bin/luci/${p}">${n.title}</a></li>`);
	return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>netify - LuCI stand-in</title>
<link rel="stylesheet" href="/luci-static/stand-in.css"></head>
<body><header><span class="brand">OpenWrt (LuCI stand-in)</span></header>
<ul class="tabs" id="tabmenu">${tabs.join('')}</ul>
<div id="maincontent"><div id="view"></div></div>
<script src="/luci-static/resources/luci.js"></script>
<script>L.require('view.netify.${page}').catch(function(e) {
	document.getElementById('view').textContent = 'load error: ' + e;
});</script>
</body></html>`;
}

class UciStore {
	constructor(file) {
		this.file = file;
		this.log = [];
		this.reload();
	}

	reload() {
		const text = fs.readFileSync(this.file, 'utf8');
		this.secs = uciFile.parse(text);
		this.secs.forEach((s) => { s.id = s.name != null ? s.name : this.anonId(); });
		this.dirty = false;
	}

	anonId() {
		this.seq = (this.seq || 0) + 1;
		return 'cfg' + (0x100000 + this.seq * 4099).toString(16).slice(-6);
	}

	find(sid) { return this.secs.find((s) => s.id === sid); }

	values() {
		const out = {};
		this.secs.forEach((s, i) => {
			const v = { '.anonymous': s.name == null, '.type': s.type, '.name': s.id, '.index': i };
			for (const [ k, val ] of s.opts)
				v[k] = val;
			out[s.id] = v;
		});
		return out;
	}

	setValues(sec, values) {
		for (const [ k, v ] of Object.entries(values || {})) {
			if (!/^[A-Za-z0-9_]+$/.test(k))
				return UBUS.INVALID_ARGUMENT;
			sec.opts.set(k, Array.isArray(v) ? v.map(String) : String(v));
		}
		return UBUS.OK;
	}

	call(method, a) {
		const sec = a.section != null ? this.find(a.section) : null;
		if (a.config != null && a.config !== 'netify')
			return [ UBUS.NOT_FOUND ];
		this.log.push([ method, a ]);
		switch (method) {
		case 'get':
			return [ UBUS.OK, { values: this.values() } ];
		case 'add': {
			if (!/^[A-Za-z0-9_]+$/.test(a.type || '') || (a.name != null && !/^[A-Za-z0-9_]+$/.test(a.name)))
				return [ UBUS.INVALID_ARGUMENT ];
			const s = { type: a.type, name: a.name != null ? a.name : null, opts: new Map() };
			s.id = s.name != null ? s.name : this.anonId();
			this.secs.push(s);
			this.dirty = true;
			return [ this.setValues(s, a.values), { section: s.id } ];
		}
		case 'set':
			if (!sec)
				return [ UBUS.NOT_FOUND ];
			this.dirty = true;
			return [ this.setValues(sec, a.values) ];
		case 'delete':
			if (!sec)
				return [ UBUS.NOT_FOUND ];
			this.dirty = true;
			if (a.options)
				[].concat(a.options).forEach((o) => sec.opts.delete(o));
			else if (a.option)
				sec.opts.delete(a.option);
			else
				this.secs.splice(this.secs.indexOf(sec), 1);
			return [ UBUS.OK ];
		case 'order': {
			const order = (a.sections || []).map((id) => this.find(id)).filter(Boolean);
			this.secs = order.concat(this.secs.filter((s) => !order.includes(s)));
			this.dirty = true;
			return [ UBUS.OK ];
		}
		case 'changes':
			return [ UBUS.OK, { changes: this.dirty ? { netify: this.log.filter((l) => l[0] !== 'get') } : {} } ];
		case 'apply':
			return this.commit();
		case 'confirm':
			return [ UBUS.OK ];
		default:
			return [ UBUS.METHOD_NOT_FOUND ];
		}
	}

	/* write the staged copy; keep the old file if netify rejects the new one */
	commit() {
		const old = fs.readFileSync(this.file, 'utf8'), text = uciFile.write(this.secs);
		/* staged under the same basename: UCI takes the package name from it */
		const stage = fs.mkdtempSync(path.join(path.dirname(this.file), '.stage-'));
		const tmp = path.join(stage, path.basename(this.file));
		fs.writeFileSync(tmp, text);
		const verdict = validateWithNetify(tmp, this.secs);
		this.lastValidation = verdict;
		if (!verdict.ok) {
			fs.rmSync(stage, { recursive: true });
			fs.writeFileSync(this.file, old);
			return [ UBUS.INVALID_ARGUMENT ];
		}
		fs.renameSync(tmp, this.file);
		fs.rmdirSync(stage);
		this.dirty = false;
		this.log = [];
		return [ UBUS.OK ];
	}
}

/*
 * What the project's own tools say about a file: `netify uci export` must
 * read back what we wrote, `netify check` must accept it.  Each step reports
 * 'skipped' when the command is not in the build yet.
 */
function validateWithNetify(file, secs) {
	const res = { ok: true, export: 'skipped', check: 'skipped', detail: '' };

	if (netify.hasCommand('uci')) {
		const r = netify.run([ 'uci', 'export', file ]);
		if (r.status !== 0) {
			Object.assign(res, { ok: false, export: 'failed', detail: r.stderr });
		} else {
			let same = false;
			try { same = uciFile.canonical(uciFile.parse(r.stdout)) === uciFile.canonical(secs); } catch (e) { /* below */ }
			res.export = same ? 'same' : 'differs';
			if (!same)
				Object.assign(res, { ok: false, detail: r.stdout });
		}
	}
	if (res.ok && netify.hasCommand('check')) {
		/* names are checked against the shipped catalog, as the daemon
		 * started by the test uses it */
		const r = netify.run([ 'check', '-c', file, '--apps', path.join(netify.root, 'policy', 'apps.d') ]);
		res.check = r.status === 0 ? 'passed' : 'failed';
		if (r.status !== 0)
			Object.assign(res, { ok: false, detail: r.stdout + r.stderr });
	}
	return res;
}

function netifyCall(method, args) {
	const list = netify.rpcList();
	if (!list)
		return [ UBUS.NOT_FOUND ];
	if (!Object.prototype.hasOwnProperty.call(list, method))
		return [ UBUS.METHOD_NOT_FOUND ];
	const r = netify.run([ 'rpc', 'call', method ], JSON.stringify(args || {}));
	let data;
	try { data = JSON.parse(r.stdout); } catch (e) { return [ UBUS.UNKNOWN ]; }
	if (r.status !== 0)
		return [ UBUS.INVALID_ARGUMENT ];
	return [ UBUS.OK, data ];
}

function start(opts) {
	const store = new UciStore(opts.config);
	const menu = JSON.parse(fs.readFileSync(path.join(app, 'root/usr/share/luci/menu.d/luci-app-netify.json'), 'utf8'));
	const hints = JSON.parse(fs.readFileSync(path.join(here, 'fixtures/hosthints.json'), 'utf8'));
	const calls = [];

	function ubus(msg) {
		const [ , object, method, args ] = msg.params || [];
		calls.push({ object, method, args });
		if (object === 'uci')
			return store.call(method, args || {});
		if (object === 'luci.netify')
			return netifyCall(method, args);
		if (object === 'luci-rpc' && method === 'getHostHints')
			return [ UBUS.OK, hints ];
		return [ UBUS.NOT_FOUND ];
	}

	function serveFile(res, file) {
		fs.readFile(file, (err, data) => {
			if (err) {
				res.writeHead(404);
				return res.end('not found');
			}
			res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' });
			res.end(data);
		});
	}

	const server = http.createServer((req, res) => {
		const url = new URL(req.url, 'http://x');
		const p = decodeURIComponent(url.pathname);

		if (req.method === 'POST' && p === '/ubus') {
			let body = '';
			req.on('data', (c) => { body += c; });
			req.on('end', () => {
				let msg, result;
				try {
					msg = JSON.parse(body);
					result = ubus(msg);
				} catch (e) {
					result = null;
				}
				res.writeHead(200, { 'Content-Type': 'application/json' });
				res.end(JSON.stringify(result ? { jsonrpc: '2.0', id: msg.id, result }
					: { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
			});
			return;
		}
		if (p === '/')
			return res.writeHead(302, { Location: '/cgi-bin/luci/admin/network/netify/overview' }) && res.end();
		let m = p.match(/^\/cgi-bin\/luci\/admin\/network\/netify\/(\w+)$/);
		if (m && fs.existsSync(path.join(app, 'htdocs/luci-static/resources/view/netify', m[1] + '.js'))) {
			res.writeHead(200, { 'Content-Type': 'text/html' });
			return res.end(shell(m[1], menu));
		}
		if (p === '/luci-static/stand-in.css')
			return serveFile(res, path.join(here, 'runtime/stand-in.css'));
		m = p.match(/^\/luci-static\/resources\/(view\/[\w\/]+\.js)$/);
		if (m)
			return serveFile(res, path.join(app, 'htdocs/luci-static/resources', m[1]));
		m = p.match(/^\/luci-static\/resources\/([\w\/]+\.js)$/);
		if (m)
			return serveFile(res, path.join(here, 'runtime', m[1]));
		res.writeHead(404);
		res.end('not found');
	});

	return new Promise((resolve) => {
		server.listen(opts.port || 0, '127.0.0.1', () => {
			resolve({
				url: `http://127.0.0.1:${server.address().port}`,
				store,
				calls,
				close: () => new Promise((r) => server.close(r))
			});
		});
	});
}

if (require.main === module) {
	start({ config: process.argv[2], port: +process.argv[3] || 8080 }).then((s) => console.log(`serving on ${s.url}`));
}

module.exports = { start, validateWithNetify };
