#!/usr/bin/env node
'use strict';
/*
 * Regenerates luci-app-netify/po/templates/netify.pot from the _() calls
 * of the views and their shared modules, the menu titles and the ACL
 * description (the strings LuCI translates).
 * Usage: node tests/luci/i18n-scan.js [--check]
 * --check exits 1 when the committed template differs.
 */
const fs = require('fs');
const path = require('path');
const { parseView, scriptFiles } = require('./lib/scan');

const root = path.resolve(__dirname, '..', '..');
const app = path.join(root, 'luci-app-netify');

function escape(s) {
	return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

function collect() {
	const refs = new Map();
	const add = (msgid, where) => {
		if (!refs.has(msgid))
			refs.set(msgid, []);
		refs.get(msgid).push(where);
	};

	for (const f of scriptFiles(root))
		for (const s of parseView(f).strings)
			add(s.msgid, `${path.relative(app, f)}:${s.line}`);

	const menu = 'root/usr/share/luci/menu.d/luci-app-netify.json';
	for (const [, node] of Object.entries(JSON.parse(fs.readFileSync(path.join(app, menu), 'utf8'))))
		if (node.title)
			add(node.title, menu);

	const acl = 'root/usr/share/rpcd/acl.d/luci-app-netify.json';
	for (const [, node] of Object.entries(JSON.parse(fs.readFileSync(path.join(app, acl), 'utf8'))))
		if (node.description)
			add(node.description, acl);

	return refs;
}

function render(refs) {
	let out = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8"\n';
	for (const msgid of [ ...refs.keys() ].sort()) {
		out += `\n#: ${[ ...new Set(refs.get(msgid)) ].join(' ')}\n`;
		out += `msgid "${escape(msgid)}"\nmsgstr ""\n`;
	}
	return out;
}

if (require.main === module) {
	const pot = path.join(app, 'po/templates/netify.pot');
	const text = render(collect());
	if (process.argv.includes('--check')) {
		const cur = fs.existsSync(pot) ? fs.readFileSync(pot, 'utf8') : '';
		process.exit(cur === text ? 0 : 1);
	}
	fs.writeFileSync(pot, text);
}

module.exports = { collect, render };
