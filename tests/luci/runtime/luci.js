/*
 * Stand-in for LuCI's client runtime, written for netify's browser tests
 * from LuCI's public JS API documentation.  It implements only what the
 * netify views use: the class system, the 'require' loader, E(), _(),
 * String.prototype.format and a few L.* helpers.  It is NOT LuCI: it proves
 * that the views drive the documented API correctly, not that LuCI renders
 * them identically.
 */
(function(window, document) {
	'use strict';

	/* ---- class system: Class.extend(), __init__, this.super() ---- */

	function Class() {}

	Class.extend = function(props) {
		var Parent = this;
		var Cls = function() {
			if (typeof this.__init__ === 'function')
				this.__init__.apply(this, arguments);
		};

		Cls.prototype = Object.create(Parent.prototype);
		Object.keys(props || {}).forEach(function(k) { Cls.prototype[k] = props[k]; });
		Cls.prototype.constructor = Cls;
		Cls.extend = Class.extend;
		Cls.instantiate = function(args) {
			var o = Object.create(Cls.prototype);
			Cls.apply(o, args);
			return o;
		};
		Cls.isSubclass = function(C) { return C && (C === Cls || C.prototype instanceof Cls); };
		return Cls;
	};

	/*
	 * super(key, args): call the next definition of `key` further up the
	 * chain than the one currently running.  The running depth is tracked
	 * per key, which suffices for chains that call upwards one step at a time.
	 */
	Class.prototype.super = function(key, args) {
		var defs = [], obj = this, fn, depth, rv;

		while (obj) {
			if (Object.prototype.hasOwnProperty.call(obj, key) && defs.indexOf(obj[key]) < 0)
				defs.push(obj[key]);
			obj = Object.getPrototypeOf(obj);
		}
		this.__superDepth = this.__superDepth || {};
		depth = this.__superDepth[key] || 0;
		fn = defs[depth + 1];
		if (args === undefined)
			return fn;
		if (typeof fn !== 'function')
			throw new ReferenceError('no super method ' + key);
		this.__superDepth[key] = depth + 1;
		try {
			rv = fn.apply(this, Array.prototype.slice.call(args));
		} finally {
			this.__superDepth[key] = depth;
		}
		return rv;
	};

	Class.prototype.varargs = function(args, offset) {
		return Array.prototype.slice.call(args, offset);
	};

	/* ---- translation and formatting ---- */

	window._ = function(s) { return s; };
	window.N_ = function(n, s, p) { return n == 1 ? s : p; };

	function fmtDuration(secs) {
		var s = Math.floor(+secs), d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24,
		    m = Math.floor(s / 60) % 60, out = [];

		if (d) out.push(d + 'd');
		if (d || h) out.push(h + 'h');
		if (d || h || m) out.push(m + 'm');
		out.push((s % 60) + 's');
		return out.join(' ');
	}

	/* %s, %d, %t (duration), %x, %% - the subset netify's views use */
	String.prototype.format = function() {
		var args = arguments, i = 0;

		return this.replace(/%(-?\d*)(?:\.(\d+))?([sdtxf%])/g, function(m, width, prec, conv) {
			var a, s;

			if (conv === '%')
				return '%';
			a = args[i++];
			switch (conv) {
			case 'd': s = String(Math.trunc(+a || 0)); break;
			case 'f': s = (+a || 0).toFixed(prec != null ? +prec : 6); break;
			case 'x': s = (Math.trunc(+a || 0) >>> 0).toString(16); break;
			case 't': s = fmtDuration(a || 0); break;
			default: s = (a == null) ? '' : (a instanceof Node ? a.textContent : String(a));
			}
			return s;
		});
	};

	/* ---- E(): element factory ---- */

	function appendChildren(node, children) {
		if (children == null)
			return;
		if (Array.isArray(children)) {
			children.forEach(function(c) {
				if (c == null)
					return;
				if (Array.isArray(c))
					appendChildren(node, c);
				else
					node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
			});
		} else if (children instanceof Node) {
			node.appendChild(children);
		} else {
			/* a lone string is markup, as LuCI's dom.append documents */
			node.insertAdjacentHTML('beforeend', String(children));
		}
	}

	function setAttrs(node, attrs) {
		Object.keys(attrs || {}).forEach(function(k) {
			var v = attrs[k];

			if (v == null)
				return;
			if (typeof v === 'function')
				node.addEventListener(k, v);
			else if (typeof v === 'object')
				node.setAttribute(k, JSON.stringify(v));
			else
				node.setAttribute(k, v);
		});
	}

	function E(tag, attrs, children) {
		var node;

		if (Array.isArray(tag)) {
			node = document.createDocumentFragment();
			appendChildren(node, tag);
			return node;
		}
		node = (tag instanceof Node) ? tag : document.createElement(tag);
		if (attrs != null && (typeof attrs !== 'object' || Array.isArray(attrs) || attrs instanceof Node)) {
			children = attrs;
			attrs = null;
		}
		setAttrs(node, attrs);
		appendChildren(node, children);
		return node;
	}

	/* ---- loader ---- */

	var modules = {};	/* name -> Promise of the module value */
	var BUILTIN_CLASSES = [ 'baseclass', 'view' ];

	function moduleURL(name) {
		return L.env.resource + '/' + name.replace(/\./g, '/') + '.js';
	}

	function compile(name, src) {
		var deps = [], m, re = /^\s*(?:'require\s+([^']+)'|"require\s+([^"]+)")\s*;?/;
		var rest = src.replace(/^\s*(['"])use strict\1\s*;?/, '');

		/* the 'require' prologue: one directive per statement */
		while ((m = re.exec(rest)) != null) {
			var spec = (m[1] || m[2]).trim().split(/\s+as\s+/);
			deps.push({ name: spec[0], alias: spec[1] || spec[0].replace(/.*\./, '') });
			rest = rest.slice(m[0].length);
		}

		return Promise.all(deps.map(function(d) { return L.require(d.name); })).then(function(values) {
			var fn = new Function(deps.map(function(d) { return d.alias; }).join(','),
				'"use strict";\n' + src + '\n//# sourceURL=' + moduleURL(name));
			var rv = fn.apply(L, values);

			/* LuCI instantiates a module that returns a class, except its
			 * built-in base classes, which views extend */
			if (typeof rv === 'function' && rv.prototype instanceof Class && BUILTIN_CLASSES.indexOf(name) < 0)
				rv = new rv();
			return rv;
		});
	}

	var L = new (Class.extend({
		Class: Class,
		env: { resource: '/luci-static/resources', sessionid: 'stand-in', requestpath: [] },

		require: function(name) {
			if (!modules[name])
				modules[name] = fetch(moduleURL(name), { cache: 'no-store' }).then(function(res) {
					if (!res.ok)
						throw new Error('cannot load ' + name + ': HTTP ' + res.status);
					return res.text();
				}).then(function(src) { return compile(name, src); });
			return modules[name];
		},

		bind: function(fn, self) {
			var args = Array.prototype.slice.call(arguments, 2);
			return function() { return fn.apply(self, args.concat(Array.prototype.slice.call(arguments))); };
		},

		resolveDefault: function(p, def) {
			return Promise.resolve(p).catch(function() { return def; });
		},

		isObject: function(v) { return v != null && typeof v === 'object' && !Array.isArray(v); },

		toArray: function(v) {
			if (v == null)
				return [];
			if (Array.isArray(v))
				return v;
			if (L.isObject(v))
				return [ v ];
			var s = String(v).trim();
			return s === '' ? [] : s.split(/\s+/);
		},

		sortedKeys: function(obj, key, type) {
			return Object.keys(obj || {}).sort(function(a, b) {
				var x = key ? obj[a][key] : a, y = key ? obj[b][key] : b;
				if (type === 'addr' || type === 'num') { x = String(x); y = String(y); }
				return x > y ? 1 : x < y ? -1 : 0;
			});
		},

		raise: function(type, fmt) {
			var e = new Error(fmt);
			e.name = type;
			throw e;
		},

		error: function(type, fmt) {
			try { L.raise(type, fmt); } catch (e) { console.error(e); throw e; }
		},

		url: function() {
			return '/cgi-bin/luci/' + Array.prototype.slice.call(arguments).join('/');
		},

		resource: function() {
			return L.env.resource + '/' + Array.prototype.slice.call(arguments).join('/');
		}
	}))();

	window.L = L;
	window.E = E;
})(window, document);
