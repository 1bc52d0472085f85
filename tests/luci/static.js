#!/usr/bin/env node
'use strict';
/*
 * Static contract checks of luci-app-netify.  Proves the files fit
 * together (requires, rpc declarations vs ACL vs `netify rpc list`, menu vs
 * views, written UCI options vs schema, translations, minifier, stylesheet)
 * without running LuCI.  It does not prove the pages work: the real-stack
 * tier (real.sh) does that, on real LuCI.
 */
const fs = require('fs');
const path = require('path');
const { test, run, problems } = require('./lib/tap');
const { parseView, viewFiles, scriptFiles } = require('./lib/scan');
const netify = require('./lib/netify');

const root = netify.root;
const app = path.join(root, 'luci-app-netify');
const here = __dirname;
const read = (p) => fs.readFileSync(p, 'utf8');
const MENU = path.join(app, 'root/usr/share/luci/menu.d/luci-app-netify.json');
const ACL = path.join(app, 'root/usr/share/rpcd/acl.d/luci-app-netify.json');
const PLUGIN = path.join(app, 'root/usr/libexec/rpcd/luci.netify');
const RPC_OBJECT = 'luci.netify';

/*
 * Modules LuCI's runtime itself provides (luci.js built-ins and the files
 * under luci-static/resources/ of luci-base), per LuCI's JS API docs.
 */
const LUCI_MODULES = [ 'baseclass', 'dom', 'poll', 'request', 'session', 'view', 'form', 'fs', 'network',
	'rpc', 'uci', 'ui', 'validation', 'firewall', 'tools.widgets', 'tools.views', 'tools.firewall', 'tools.prng' ];

const views = viewFiles(root).map(parseView);
/* the views and the modules they share: where calls, strings and options live */
const scripts = scriptFiles(root).map(parseView);
const CSS = path.join(app, 'htdocs/luci-static/resources/netify/netify.css');
const jsonFiles = [ MENU, ACL, path.join(here, 'package.json'), path.join(here, 'rpc-methods.json') ];

function loadJSON(p) {
	return JSON.parse(read(p));
}

test('JSON files parse (menu, ACL, package.json, rpc-methods.json)', () => {
	const bad = [];
	for (const f of jsonFiles) {
		try { loadJSON(f); } catch (e) { bad.push(`${path.relative(root, f)}: ${e.message}`); }
	}
	return problems(bad);
});

test('five views exist and parse as scripts', () => {
	const names = views.map((v) => path.basename(v.file)).join(' ');
	return names === 'apps.js overview.js rules.js settings.js usage.js' ? null : { fail: `views: ${names}` };
});

test("every 'require' names a LuCI runtime module or a file of this app", () => {
	const bad = [];
	for (const v of scripts)
		for (const r of v.requires) {
			const local = path.join(app, 'htdocs/luci-static/resources', r.name.replace(/\./g, '/') + '.js');
			if (!LUCI_MODULES.includes(r.name) && !fs.existsSync(local))
				bad.push(`${path.basename(v.file)}:${r.line}: require ${r.name}`);
		}
	return problems(bad);
});

test("every 'require'd module is used by the file", () => {
	const bad = [];
	for (const v of scripts) {
		const body = v.src.replace(/^\s*(['"])(use strict|require [^'"]+)\1;?\s*$/mg, '');
		for (const r of v.requires) {
			const alias = r.alias || r.name.replace(/.*\./, '');
			if (!new RegExp(`\\b${alias}\\.`).test(body))
				bad.push(`${path.basename(v.file)}: '${r.name}' required but unused`);
		}
	}
	return problems(bad);
});

test('every rpc.declare object/method is granted in the ACL', () => {
	const acl = loadJSON(ACL)['luci-app-netify'] || {};
	const granted = (obj, m) => [ 'read', 'write' ].some((k) =>
		acl[k] && acl[k].ubus && (acl[k].ubus[obj] || []).some((x) => x === m || x === '*'));
	const bad = [];
	for (const v of scripts)
		for (const d of v.declares)
			if (!granted(d.object, d.method))
				bad.push(`${path.basename(v.file)}:${d.line}: ${d.object}.${d.method} not in ACL`);
	return problems(bad);
});

test('the ACL grants no ubus method the views do not call', () => {
	const acl = loadJSON(ACL)['luci-app-netify'] || {};
	const used = new Set();
	scripts.forEach((v) => v.declares.forEach((d) => used.add(`${d.object}.${d.method}`)));
	const bad = [];
	for (const k of [ 'read', 'write' ])
		for (const [ obj, methods ] of Object.entries((acl[k] && acl[k].ubus) || {}))
			for (const m of methods)
				if (!used.has(`${obj}.${m}`))
					bad.push(`${k}: ${obj}.${m} granted but unused`);
	return problems(bad);
});

function checkAgainstList(list, source) {
	const bad = [];
	for (const v of scripts)
		for (const d of v.declares.filter((x) => x.object === RPC_OBJECT)) {
			if (!Object.prototype.hasOwnProperty.call(list, d.method)) {
				bad.push(`${path.basename(v.file)}:${d.line}: ${d.method} not in ${source}`);
				continue;
			}
			for (const p of d.params || [])
				if (!Object.prototype.hasOwnProperty.call(list[d.method] || {}, p))
					bad.push(`${path.basename(v.file)}:${d.line}: ${d.method} param ${p} not in ${source}`);
		}
	return problems(bad);
}

test(`${RPC_OBJECT} methods and params are in the agreed method set (rpc-methods.json)`, () =>
	checkAgainstList(loadJSON(path.join(here, 'rpc-methods.json')), 'rpc-methods.json'));

test(`${RPC_OBJECT} methods and params exist in \`netify rpc list\``, () => {
	const list = netify.rpcList();
	if (!list)
		return { skip: netify.binary() ? 'netify binary has no working `rpc list` yet' : 'no netify binary built' };
	return checkAgainstList(list, '`netify rpc list`');
});

test('every menu entry has a view, every view a menu entry, aliases resolve', () => {
	const menu = loadJSON(MENU), bad = [], seen = new Set();
	for (const [ p, node ] of Object.entries(menu)) {
		const a = node.action || {};
		if (a.type === 'view') {
			const f = path.join(app, 'htdocs/luci-static/resources/view', a.path + '.js');
			if (!fs.existsSync(f))
				bad.push(`${p}: view ${a.path} has no file`);
			seen.add(a.path);
		} else if (a.type === 'alias' && !menu[a.path]) {
			bad.push(`${p}: alias to missing ${a.path}`);
		}
		const parent = p.split('/').slice(0, -1).join('/');
		if (parent.split('/').length > 2 && !menu[parent])
			bad.push(`${p}: parent ${parent} missing`);
		if (!node.title)
			bad.push(`${p}: no title`);
	}
	for (const v of views) {
		const vp = 'netify/' + path.basename(v.file, '.js');
		if (!seen.has(vp))
			bad.push(`view ${vp} not in the menu`);
	}
	return problems(bad);
});

test("the views write only the 'netify' config and the ACL grants it read and write", () => {
	const acl = loadJSON(ACL)['luci-app-netify'] || {}, bad = [];
	for (const v of scripts) {
		v.maps.filter((c) => c !== 'netify').forEach((c) => bad.push(`${path.basename(v.file)}: form.Map('${c}')`));
		v.uciWrites.filter((w) => w.config !== 'netify').forEach((w) =>
			bad.push(`${path.basename(v.file)}:${w.line}: uci.${w.call}('${w.config}')`));
	}
	if (!((acl.read || {}).uci || []).includes('netify') || !((acl.write || {}).uci || []).includes('netify'))
		bad.push('ACL lacks uci netify read/write');
	return problems(bad);
});

function loadSchema() {
	const schema = {};
	for (const line of read(path.join(here, 'schema-options.txt')).split('\n')) {
		const m = line.match(/^(\w+)\s+(\w+)\s+(string|list)\s*$/);
		if (m)
			(schema[m[1]] = schema[m[1]] || {})[m[2]] = m[3];
	}
	return schema;
}

/* The widgets that store nothing: DummyValue, Button, SectionValue. */
const NON_STORING = [ 'DummyValue', 'Button', 'SectionValue' ];

test('every UCI option a view writes exists in the schema with the right kind', () => {
	const schema = loadSchema(), bad = [];
	for (const v of scripts) {
		for (const o of v.options) {
			const where = `${path.basename(v.file)}:${o.line}: ${o.sectionType}.${o.option}`;
			if (NON_STORING.includes(o.widget))
				continue;
			const kind = (schema[o.sectionType] || {})[o.option];
			if (!kind) {
				bad.push(`${where} (${o.widget}) not in schema`);
				continue;
			}
			/* DynamicList stores a list; these always store one string */
			if (o.widget === 'DynamicList' && kind !== 'list')
				bad.push(`${where}: DynamicList on a string option`);
			if ([ 'Flag', 'ListValue' ].includes(o.widget) && kind !== 'string')
				bad.push(`${where}: ${o.widget} on a list option`);
			if (o.widget === 'MultiValue' && kind === 'string' && !o.customWrite)
				bad.push(`${where}: MultiValue on a string option needs a joining write()`);
		}
		for (const w of v.uciWrites.filter((x) => x.option !== undefined)) {
			if (!Object.values(schema).some((opts) => opts[w.option]))
				bad.push(`${path.basename(v.file)}:${w.line}: uci.${w.call} of unknown option ${w.option}`);
		}
	}
	return problems(bad);
});

test('every option the views write is documented in man/netify.5', () => {
	const man = path.join(root, 'man/netify.5');
	if (!fs.existsSync(man))
		return { skip: 'man/netify.5 not written yet (checked against schema-options.txt only)' };
	const text = read(man).replace(/\\f[BIRP]|\\-|\\&/g, (m) => (m === '\\-' ? '-' : ''));
	const bad = [];
	for (const v of scripts)
		for (const o of v.options.filter((x) => !NON_STORING.includes(x.widget)))
			if (!new RegExp(`\\b${o.option}\\b`).test(text))
				bad.push(`${o.sectionType}.${o.option} (${path.basename(v.file)}:${o.line})`);
	return problems(bad);
});

test("helper options named '_x' store nothing (DummyValue/Button only)", () => {
	const bad = [];
	for (const v of scripts)
		for (const o of v.options)
			if (/^_/.test(o.option) && !NON_STORING.includes(o.widget))
				bad.push(`${path.basename(v.file)}:${o.line}: ${o.option} is a ${o.widget}`);
	return problems(bad);
});

test('views and modules survive the terser minifier with their require directives', async () => {
	let terser;
	try {
		terser = require(path.join(here, 'node_modules', 'terser'));
	} catch (e) {
		return { skip: 'terser not installed (run tests/luci/setup.sh)' };
	}
	const bad = [];
	for (const v of scripts) {
		/* LuCI's loader runs a view as a function body: top-level `return` is legal */
		const out = await terser.minify(v.src, {
			parse: { bare_returns: true }, compress: { directives: false }, mangle: true
		});
		const again = out.code, wrapped = v.src;
		try {
			new Function(again);
		} catch (e) {
			bad.push(`${path.basename(v.file)}: minified output does not parse: ${e.message}`);
			continue;
		}
		for (const r of v.requires)
			if (!again.includes(`require ${r.name}`))
				bad.push(`${path.basename(v.file)}: minifier dropped 'require ${r.name}'`);
		if (again.length >= wrapped.length)
			bad.push(`${path.basename(v.file)}: minified output is not smaller`);
	}
	return problems(bad);
});

test('every translated string is in po/templates/netify.pot', () => {
	const pot = read(path.join(app, 'po/templates/netify.pot'));
	const ids = new Set();
	pot.replace(/^msgid "((?:[^"\\]|\\.)*)"$/mg, (m, s) => ids.add(JSON.parse(`"${s}"`)));
	const bad = [];
	for (const v of scripts)
		for (const s of v.strings)
			if (!ids.has(s.msgid))
				bad.push(`${path.basename(v.file)}:${s.line}: "${s.msgid}"`);
	if (bad.length)
		bad.push('regenerate with: node tests/luci/i18n-scan.js');
	return problems(bad);
});

test('no inline styles: the views style through netify/netify.css, which netify.common loads', () => {
	const bad = [];
	for (const v of scripts)
		v.src.split('\n').forEach((l, i) => {
			if (/['"]style['"]\s*:|\.style\.|setAttribute\(\s*['"]style/.test(l))
				bad.push(`${path.relative(app, v.file)}:${i + 1}: ${l.trim()}`);
		});
	if (!fs.existsSync(CSS))
		bad.push('no ' + path.relative(root, CSS));
	const common = scripts.find((v) => /resources\/netify\/common\.js$/.test(v.file));
	if (!common || !/L\.resource\(['"]netify\/netify\.css['"]\)/.test(common.src))
		bad.push('netify/common.js does not load netify/netify.css');
	return problems(bad);
});

test('every luci.netify call goes through netify.common (one place for the declarations)', () => {
	const bad = [];
	for (const v of scripts)
		for (const d of v.declares)
			if (!/resources\/netify\/common\.js$/.test(v.file))
				bad.push(`${path.relative(app, v.file)}:${d.line}: rpc.declare ${d.object}.${d.method}`);
	return problems(bad);
});

test('rpcd plugin is an executable wrapper around `netify rpc`', () => {
	const st = fs.statSync(PLUGIN), text = read(PLUGIN).trim().split('\n'), bad = [];
	if (!(st.mode & 0o111))
		bad.push('not executable');
	if (text[0] !== '#!/bin/sh')
		bad.push('no /bin/sh shebang');
	if (!/^exec \S*netify rpc "\$@"$/.test(text[text.length - 1]) || text.length !== 2)
		bad.push(`unexpected body: ${text.join(' | ')}`);
	return problems(bad);
});

test('Makefile builds through luci.mk and depends on netify', () => {
	const mk = read(path.join(app, 'Makefile')), bad = [];
	if (!/^include .*luci\.mk$/m.test(mk))
		bad.push('no luci.mk include');
	if (!/^LUCI_TITLE:=/m.test(mk))
		bad.push('no LUCI_TITLE');
	if (!/^LUCI_DEPENDS:=.*\+netify\b/m.test(mk))
		bad.push('LUCI_DEPENDS lacks +netify');
	return problems(bad);
});

run().then((failed) => process.exit(failed ? 1 : 0));
