'use strict';
'require baseclass';
'require dom';
'require validation';
'require uci';

/*
 * Stand-in for LuCI.ui: the widget base class and the widgets LuCI.form
 * creates for netify's options, plus modal, notification and apply helpers.
 * Widgets are plain HTML controls; LuCI's own look and behaviour differ.
 */

var AbstractElement = baseclass.extend({
	__init__: function(value, options) {
		this.value = value;
		this.options = Object.assign({ optional: true }, options);
	},

	getValue: function() {
		return this.node && this.node.querySelector('input, select') ?
			this.node.querySelector('input, select').value : this.value;
	},

	setValue: function(v) {
		var el = this.node && this.node.querySelector('input, select');
		if (el)
			el.value = (v == null) ? '' : v;
	},

	setPlaceholder: function(p) {
		var el = this.node && this.node.querySelector('input');
		if (el)
			el.placeholder = p;
	},

	isValid: function() { return this.validState !== false; },

	getValidationError: function() { return this.validError || ''; },

	isChanged: function() { return !!(this.node && this.node.getAttribute('data-changed')); },

	triggerValidation: function() {
		var r = true, v = this.getValue(), self = this;
		var empty = v == null || v === '' || (Array.isArray(v) && !v.length);

		if (empty && this.options.optional === false)
			r = _('Expecting: non-empty value');
		else if (!empty && this.options.datatype)
			r = Array.isArray(v) ? v.map(function(x) { return validation.validate(x, self.options.datatype); })
				.filter(function(x) { return x !== true; })[0] || true
				: validation.validate(v, this.options.datatype);
		if (r === true && typeof this.options.validate === 'function')
			r = this.options.validate(v);

		this.validState = (r === true);
		this.validError = (r === true) ? '' : String(r);
		if (this.node) {
			this.node.classList.toggle('cbi-input-invalid', r !== true);
			this.node.setAttribute('title', this.validError);
		}
		return this.validState;
	},

	registerEvents: function(target, synevent, events) {
		var self = this;
		events.forEach(function(ev) {
			target.addEventListener(ev, function() {
				self.node.setAttribute('data-changed', 'true');
				self.node.dispatchEvent(new CustomEvent(synevent, { bubbles: true, detail: { instance: self } }));
			});
		});
	},

	setUpdateEvents: function(target /*, events... */) {
		var events = Array.prototype.slice.call(arguments, 1), self = this;

		this.registerEvents(target, 'widget-update', events);
		if (this.options.datatype || this.options.validate || this.options.optional === false)
			events.forEach(function(ev) { target.addEventListener(ev, function() { self.triggerValidation(); }); });
	},

	setChangeEvents: function(target /*, events... */) {
		this.registerEvents(target, 'widget-change', Array.prototype.slice.call(arguments, 1));
	},

	bind: function(node) {
		this.node = node;
		dom.bindClassInstance(node, this);
		return node;
	},

	render: function() { return this.bind(E('div')); }
});

var Textfield = AbstractElement.extend({
	render: function() {
		var input = E('input', {
			'id': this.options.id, 'name': this.options.name, 'type': this.options.password ? 'password' : 'text',
			'class': 'cbi-input-text', 'placeholder': this.options.placeholder, 'value': this.value
		});
		var node = this.bind(E('div', {}, [ input ]));

		if (this.options.choices && Object.keys(this.options.choices).length) {
			var list = E('datalist', { 'id': this.options.id + '.choices' }, Object.keys(this.options.choices).map(function(k) {
				return E('option', { 'value': k });
			}));
			input.setAttribute('list', list.id);
			node.appendChild(list);
		}
		this.setUpdateEvents(input, 'input', 'blur');
		this.setChangeEvents(input, 'change');
		return node;
	},

	getValue: function() { return this.node ? this.node.querySelector('input').value : this.value; }
});

var Checkbox = AbstractElement.extend({
	render: function() {
		var input = E('input', { 'id': this.options.id, 'type': 'checkbox', 'value': this.options.value_enabled,
			'checked': (this.value == this.options.value_enabled) ? '' : null });
		var node = this.bind(E('div', { 'class': 'cbi-checkbox' }, [ input, E('label', { 'for': this.options.id }) ]));

		this.setUpdateEvents(input, 'click', 'blur');
		this.setChangeEvents(input, 'change');
		return node;
	},

	isChecked: function() { return this.node.querySelector('input').checked; },

	getValue: function() {
		return this.node.querySelector('input').checked ? this.options.value_enabled : this.options.value_disabled;
	},

	setValue: function(v) { this.node.querySelector('input').checked = (v == this.options.value_enabled); }
});

var Select = AbstractElement.extend({
	__init__: function(value, choices, options) {
		this.value = value;
		this.choices = choices || {};
		this.options = Object.assign({ optional: true }, options);
	},

	render: function() {
		var keys = this.options.sort ? Object.keys(this.choices).sort() : Object.keys(this.choices), self = this;
		var sel = E('select', { 'id': this.options.id, 'class': 'cbi-input-select' }, keys.map(function(k) {
			return E('option', { 'value': k, 'selected': (k == self.value) ? '' : null }, [ self.choices[k] ]);
		}));
		var node = this.bind(E('div', {}, [ sel ]));

		this.setUpdateEvents(sel, 'change', 'blur');
		this.setChangeEvents(sel, 'change');
		return node;
	},

	getValue: function() { return this.node.querySelector('select').value; }
});

/* multiple-choice dropdown, rendered as a row of checkboxes */
var Dropdown = Select.extend({
	render: function() {
		var want = {}, self = this;
		L.toArray(this.value).forEach(function(v) { want[v] = true; });

		var node = this.bind(E('div', { 'id': this.options.id, 'class': 'cbi-dropdown stand-in-multi' },
			Object.keys(this.choices).map(function(k) {
				return E('label', { 'style': 'margin-right:.8em;white-space:nowrap' }, [
					E('input', { 'type': 'checkbox', 'value': k, 'checked': want[k] ? '' : null }), ' ', self.choices[k]
				]);
			})));

		this.setUpdateEvents(node, 'change');
		this.setChangeEvents(node, 'change');
		return node;
	},

	getValue: function() {
		var out = [];
		this.node.querySelectorAll('input:checked').forEach(function(cb) { out.push(cb.value); });
		return this.options.multiple ? out : (out[0] || '');
	}
});

var DynamicList = AbstractElement.extend({
	__init__: function(values, choices, options) {
		this.value = L.toArray(values);
		this.choices = choices || {};
		this.options = Object.assign({ optional: true }, options);
	},

	item: function(v) {
		var self = this;
		return E('div', { 'class': 'item', 'data-value': v }, [
			E('span', {}, [ this.choices[v] || v ]), ' ',
			E('button', { 'class': 'cbi-button cbi-button-remove', 'type': 'button', 'click': function(ev) {
				ev.target.parentNode.remove();
				self.node.dispatchEvent(new Event('change'));
			} }, [ '×' ])
		]);
	},

	render: function() {
		var self = this, listId = this.options.id + '.choices';
		var input = E('input', { 'class': 'cbi-input-text add-item', 'type': 'text', 'list': listId,
			'placeholder': this.options.placeholder || '' });
		var add = function() {
			var v = input.value.trim();
			if (!v)
				return;
			if (self.options.datatype && validation.validate(v, self.options.datatype) !== true) {
				input.classList.add('cbi-input-invalid');
				return;
			}
			input.classList.remove('cbi-input-invalid');
			node.insertBefore(self.item(v), input.parentNode);
			input.value = '';
			node.dispatchEvent(new Event('change'));
		};
		var node = this.bind(E('div', { 'id': this.options.id, 'class': 'cbi-dynlist' },
			this.value.map(function(v) { return self.item(v); }).concat([
				E('div', { 'class': 'add-row' }, [
					input,
					E('datalist', { 'id': listId }, Object.keys(this.choices).map(function(k) {
						return E('option', { 'value': k }, [ self.choices[k] ]);
					})),
					E('button', { 'class': 'cbi-button cbi-button-add', 'type': 'button', 'click': add }, [ '+' ])
				])
			])));

		input.addEventListener('keydown', function(ev) { if (ev.key === 'Enter') { ev.preventDefault(); add(); } });
		this.setUpdateEvents(node, 'change');
		this.setChangeEvents(node, 'change');
		return node;
	},

	getValue: function() {
		var out = [];
		this.node.querySelectorAll('.item').forEach(function(i) { out.push(i.getAttribute('data-value')); });
		/* a typed but not yet added entry counts, as in LuCI */
		var pending = this.node.querySelector('input.add-item').value.trim();
		if (pending)
			out.push(pending);
		return out;
	}
});

var modal = null;

function notificationArea() {
	return document.getElementById('maincontent');
}

var changes = baseclass.extend({
	apply: function(checked) {
		var n = UIClass.prototype.addNotification(null, E('p', {}, _('Applying configuration changes…')), 'info');

		return uci.apply(10).then(function() {
			n.remove();
			UIClass.prototype.addNotification(null, E('p', { 'class': 'apply-ok' }, _('Configuration changes applied.')), 'info');
			document.dispatchEvent(new CustomEvent('uci-applied', { detail: { checked: checked } }));
		}, function(err) {
			n.remove();
			UIClass.prototype.addNotification(null, E('p', { 'class': 'apply-failed' },
				_('Apply failed: %s').format(err.message)), 'danger');
			throw err;
		});
	},

	setIndicator: function() {}
});

var UIClass = baseclass.extend({
	AbstractElement: AbstractElement,
	Textfield: Textfield,
	Checkbox: Checkbox,
	Select: Select,
	Dropdown: Dropdown,
	DynamicList: DynamicList,
	changes: new changes(),

	showModal: function(title, children) {
		this.hideModal();
		modal = E('div', { 'id': 'modal_overlay' }, [
			E('div', { 'class': 'modal', 'role': 'dialog' }, [ title ? E('h4', {}, [ title ]) : null ].concat(
				Array.isArray(children) ? children : [ children ]))
		]);
		document.body.appendChild(modal);
		document.body.classList.add('modal-overlay-active');
		return modal.firstChild;
	},

	hideModal: function() {
		if (modal)
			modal.remove();
		modal = null;
		document.body.classList.remove('modal-overlay-active');
	},

	addNotification: function(title, children, classes) {
		var n = E('div', { 'class': 'alert-message fade-in ' + (classes || '') }, [
			E('div', { 'style': 'float:right' }, [
				E('button', { 'class': 'btn', 'click': function() { n.remove(); } }, [ _('Dismiss') ])
			]),
			title ? E('h4', {}, [ title ]) : null
		].concat(Array.isArray(children) ? children : [ children ]));
		var area = notificationArea();
		area.insertBefore(n, area.firstChild);
		return n;
	},

	/* handler that disables the clicked button while its promise runs */
	createHandlerFn: function(ctx, fn) {
		var args = Array.prototype.slice.call(arguments, 2);
		if (typeof fn === 'string')
			fn = ctx[fn];
		return function(ev) {
			var btn = ev.currentTarget, rv;
			btn.classList.add('spinning');
			btn.disabled = true;
			rv = Promise.resolve(fn.apply(ctx, args.concat([ ev ])));
			return rv.finally(function() {
				btn.classList.remove('spinning');
				btn.disabled = false;
			});
		};
	}
});

return UIClass;
