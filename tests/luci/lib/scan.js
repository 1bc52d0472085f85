'use strict';
/*
 * Reads a LuCI view with a real JavaScript parser (acorn) and reports what
 * it depends on: 'require' directives, rpc.declare() objects, translated
 * strings and the UCI options its form widgets write.  Shared by the static
 * contract test and the .pot generator.
 */
const fs = require('fs');
const path = require('path');
const acorn = require(path.join(__dirname, '..', 'node_modules', 'acorn'));

function walk(node, visit, parent) {
	if (!node || typeof node.type !== 'string')
		return;
	visit(node, parent);
	for (const key of Object.keys(node)) {
		const v = node[key];
		if (Array.isArray(v))
			v.forEach((c) => walk(c, visit, node));
		else if (v && typeof v.type === 'string')
			walk(v, visit, node);
	}
}

function literal(n) {
	if (!n)
		return undefined;
	if (n.type === 'Literal')
		return n.value;
	if (n.type === 'TemplateLiteral' && n.expressions.length === 0)
		return n.quasis[0].value.cooked;
	return undefined;
}

function objectProps(obj) {
	const out = {};
	for (const p of obj.properties || []) {
		const key = p.key && (p.key.name || p.key.value);
		if (p.value.type === 'ArrayExpression')
			out[key] = p.value.elements.map(literal);
		else if (p.value.type === 'ObjectExpression')
			out[key] = objectProps(p.value);
		else
			out[key] = literal(p.value);
	}
	return out;
}

/* `form.Value` -> 'Value'; anything else (custom classes) -> null */
function formClass(n) {
	if (n && n.type === 'MemberExpression' && n.object.name === 'form')
		return n.property.name;
	return null;
}

function parseView(file) {
	const src = fs.readFileSync(file, 'utf8');
	const ast = acorn.parse(src, { ecmaVersion: 2020, sourceType: 'script', locations: true, allowReturnOutsideFunction: true });
	const res = { file, src, requires: [], declares: [], strings: [], options: [], uciWrites: [], maps: [] };
	const sectionVar = {};	/* variable name -> UCI section type */
	const lastOption = {};	/* variable name -> last option record assigned to it */

	for (const st of ast.body) {
		if (st.type !== 'ExpressionStatement' || typeof st.directive !== 'string')
			break;
		const m = st.directive.match(/^require\s+(\S+)(?:\s+as\s+(\S+))?$/);
		if (m)
			res.requires.push({ name: m[1], alias: m[2] || null, line: st.loc.start.line });
	}

	walk(ast, (n) => {
		if (n.type === 'CallExpression') {
			const c = n.callee;
			if (c.type === 'Identifier' && c.name === '_' && literal(n.arguments[0]) !== undefined)
				res.strings.push({ msgid: literal(n.arguments[0]), line: n.loc.start.line });
			if (c.type === 'MemberExpression' && c.object.name === 'rpc' && c.property.name === 'declare' &&
			    n.arguments[0] && n.arguments[0].type === 'ObjectExpression')
				res.declares.push(Object.assign({ line: n.loc.start.line }, objectProps(n.arguments[0])));
			if (c.type === 'MemberExpression' && c.object.name === 'uci' &&
			    [ 'set', 'unset', 'add' ].includes(c.property.name))
				res.uciWrites.push({ call: c.property.name, config: literal(n.arguments[0]),
					option: c.property.name === 'add' ? undefined : literal(n.arguments[2]),
					sectionType: c.property.name === 'add' ? literal(n.arguments[1]) : undefined,
					line: n.loc.start.line });
		}
		if (n.type === 'NewExpression' && formClass(n.callee) === 'Map')
			res.maps.push(literal(n.arguments[0]));
		if (n.type === 'AssignmentExpression' && n.left.type === 'Identifier' && n.right.type === 'CallExpression') {
			const c = n.right.callee, a = n.right.arguments;
			if (c.type === 'MemberExpression' && c.property.name === 'section') {
				const cls = formClass(a[0]);
				sectionVar[n.left.name] = cls === 'NamedSection' ? literal(a[2]) : literal(a[1]);
			}
			if (c.type === 'MemberExpression' && (c.property.name === 'option' || c.property.name === 'taboption') &&
			    c.object.type === 'Identifier') {
				const args = c.property.name === 'taboption' ? a.slice(1) : a;
				const rec = {
					widget: formClass(args[0]) || '(custom)',
					option: literal(args[1]),
					sectionType: sectionVar[c.object.name],
					customWrite: false,
					line: n.loc.start.line
				};
				res.options.push(rec);
				lastOption[n.left.name] = rec;
			}
		}
		/* o.write = function ... marks the last option assigned to `o` */
		if (n.type === 'AssignmentExpression' && n.left.type === 'MemberExpression' &&
		    n.left.object.type === 'Identifier' && n.left.property.name === 'write' &&
		    lastOption[n.left.object.name])
			lastOption[n.left.object.name].customWrite = true;
	});

	return res;
}

function jsFiles(dir) {
	return fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort().map((f) => path.join(dir, f));
}

/* the views, one per menu entry */
function viewFiles(root) {
	return jsFiles(path.join(root, 'luci-app-netify/htdocs/luci-static/resources/view/netify'));
}

/* the views and the modules they share (resources/netify/, 'require netify.X') */
function scriptFiles(root) {
	return viewFiles(root).concat(jsFiles(path.join(root, 'luci-app-netify/htdocs/luci-static/resources/netify')));
}

module.exports = { parseView, viewFiles, scriptFiles, walk };
