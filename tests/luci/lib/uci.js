'use strict';
/*
 * UCI file reader and writer for the test server (node side).  Used only
 * when the netify binary cannot edit a config itself; every file written
 * here is re-read by `netify uci export` and checked by `netify check` when
 * those commands exist, so the project's own parser has the last word.
 *
 * Model: [{ type, name (null if anonymous), opts: Map(name -> string|array) }]
 */

/* split one line into tokens, honouring '...', "..." and backslashes */
function tokenize(line, lineno) {
	const out = [];
	let i = 0;

	while (i < line.length) {
		const c = line[i];
		if (c === ' ' || c === '\t') { i++; continue; }
		if (c === '#')
			break;
		let tok = '';
		while (i < line.length && line[i] !== ' ' && line[i] !== '\t') {
			const q = line[i];
			if (q === "'") {
				const end = line.indexOf("'", i + 1);
				if (end < 0)
					throw new Error(`line ${lineno}: unterminated quote`);
				tok += line.slice(i + 1, end);
				i = end + 1;
			} else if (q === '"') {
				i++;
				while (i < line.length && line[i] !== '"') {
					if (line[i] === '\\' && i + 1 < line.length)
						i++;
					tok += line[i++];
				}
				if (i >= line.length)
					throw new Error(`line ${lineno}: unterminated quote`);
				i++;
			} else if (q === '\\' && i + 1 < line.length) {
				tok += line[i + 1];
				i += 2;
			} else if (q === '#' && tok === '') {
				break;
			} else {
				tok += q;
				i++;
			}
		}
		out.push(tok);
	}
	return out;
}

const NAME = /^[A-Za-z0-9_]+$/;

function parse(text) {
	const secs = [];
	let cur = null;

	text.split('\n').forEach((raw, idx) => {
		const t = tokenize(raw, idx + 1);
		if (!t.length)
			return;
		const [ kw, a, b ] = t;
		if (kw === 'package')
			return;
		if (kw === 'config') {
			if (!a || !NAME.test(a) || (b != null && !NAME.test(b)) || t.length > 3)
				throw new Error(`line ${idx + 1}: bad config statement`);
			cur = b != null ? secs.find((s) => s.name === b) : null;
			if (cur && cur.type !== a)
				throw new Error(`line ${idx + 1}: section ${b} redefined with another type`);
			if (!cur) {
				cur = { type: a, name: b != null ? b : null, opts: new Map() };
				secs.push(cur);
			}
			return;
		}
		if ((kw === 'option' || kw === 'list') && cur && a && NAME.test(a) && t.length === 3) {
			if (kw === 'option') {
				cur.opts.set(a, b);
			} else {
				const prev = cur.opts.get(a);
				cur.opts.set(a, Array.isArray(prev) ? prev.concat([ b ]) : [ b ]);
			}
			return;
		}
		throw new Error(`line ${idx + 1}: cannot parse: ${raw.trim()}`);
	});
	return secs;
}

function quote(v) {
	return "'" + String(v).replace(/'/g, "'\\''") + "'";
}

function write(secs) {
	return secs.map((s) => {
		let out = `config ${s.type}${s.name != null ? ' ' + quote(s.name) : ''}\n`;
		for (const [ k, v ] of s.opts) {
			if (Array.isArray(v))
				v.forEach((item) => { out += `\tlist ${k} ${quote(item)}\n`; });
			else
				out += `\toption ${k} ${quote(v)}\n`;
		}
		return out;
	}).join('\n');
}

/* canonical JSON for comparing two parses */
function canonical(secs) {
	return JSON.stringify(secs.map((s) => [ s.type, s.name, [ ...s.opts.entries() ] ]));
}

module.exports = { parse, write, canonical, tokenize };
