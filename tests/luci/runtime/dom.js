'use strict';
'require baseclass';

/* Stand-in for LuCI.dom: DOM helpers and class-instance binding. */

var bound = new WeakMap();

return baseclass.extend({
	elem: function(e) { return e instanceof Node; },

	append: function(node, children) {
		if (children == null)
			return null;
		if (Array.isArray(children)) {
			children.forEach(L.bind(function(c) { this.append(node, c); }, this));
			return node.lastChild;
		}
		if (children instanceof Node)
			return node.appendChild(children);
		if (typeof children === 'function')
			return this.append(node, children(node));
		node.insertAdjacentHTML('beforeend', String(children));
		return node.lastChild;
	},

	content: function(node, children) {
		while (node.firstChild)
			node.removeChild(node.firstChild);
		return this.append(node, children);
	},

	attr: function(node, key, val) {
		if (L.isObject(key)) {
			Object.keys(key).forEach(L.bind(function(k) { this.attr(node, k, key[k]); }, this));
			return;
		}
		if (val == null)
			node.removeAttribute(key);
		else if (typeof val === 'function')
			node.addEventListener(key, val);
		else
			node.setAttribute(key, typeof val === 'object' ? JSON.stringify(val) : val);
	},

	parse: function(s) {
		var t = document.createElement('template');
		t.innerHTML = s;
		return t.content.firstChild;
	},

	matches: function(node, sel) { return node instanceof Element && node.matches(sel); },

	parent: function(node, sel) {
		return node instanceof Element ? node.closest(sel) : null;
	},

	isEmpty: function(node) { return !node || node.childElementCount === 0; },

	bindClassInstance: function(node, inst) {
		bound.set(node, inst);
		node.setAttribute('data-bound-class', '');
		return inst;
	},

	findClassInstance: function(node) {
		for (; node; node = node.parentNode)
			if (bound.has(node))
				return bound.get(node);
		return null;
	},

	callClassMethod: function(node, method) {
		var inst = this.findClassInstance(node);
		if (!inst || typeof inst[method] !== 'function')
			return null;
		return inst[method].apply(inst, Array.prototype.slice.call(arguments, 2));
	}
});
