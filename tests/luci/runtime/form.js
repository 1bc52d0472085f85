'use strict';
'require baseclass';
'require dom';
'require ui';
'require uci';

/*
 * Stand-in for LuCI.form: Map, NamedSection, TypedSection, GridSection and
 * the Value, Flag, ListValue, MultiValue, DynamicList and DummyValue options,
 * following the documented properties (rmempty, default, datatype, validate,
 * depends, modalonly, editable, sortable, addremove, tab/taboption) and the
 * documented parse -> write/remove -> uci.save() sequence.  Markup and
 * looks are this stand-in's own.
 */

var CBIElement = baseclass.extend({
	__init__: function(title, description) {
		this.title = title || '';
		this.description = description || '';
		this.children = [];
	},

	append: function(obj) { this.children.push(obj); },

	stripTags: function(s) { return String(s == null ? '' : s).replace(/<[^>]*>/g, ''); }
});

var CBIMap = CBIElement.extend({
	__init__: function(config, title, description) {
		this.super('__init__', [ title, description ]);
		this.config = config;
	},

	section: function(cls) {
		var s = cls.instantiate([ this ].concat(Array.prototype.slice.call(arguments, 1)));
		this.append(s);
		return s;
	},

	load: function() { return uci.load(this.config); },

	findElement: function(attr, value) {
		var sel = '[' + attr + '="' + CSS.escape(value) + '"]';
		return document.querySelector('#modal_overlay ' + sel) || (this.root && this.root.querySelector(sel));
	},

	lookupOption: function(name, sid) {
		var out = [];
		this.children.forEach(function(s) {
			s.children.forEach(function(o) { if (o.option === name) out.push(o); });
		});
		return out.length ? out : null;
	},

	renderContents: function() {
		dom.content(this.root, [
			this.title ? E('h2', {}, [ this.title ]) : null,
			this.description ? E('div', { 'class': 'cbi-map-descr' }, this.description) : null
		].concat(this.children.map(function(s) { return s.render(); })));
		this.checkDepends();
		return this.root;
	},

	render: function() {
		var self = this;

		return this.load().then(function() {
			self.root = E('div', { 'class': 'cbi-map', 'id': 'cbi-' + self.config });
			dom.bindClassInstance(self.root, self);
			document.addEventListener('widget-change', function() { self.checkDepends(); });
			return self.renderContents();
		});
	},

	checkDepends: function() {
		this.children.forEach(function(s) { s.checkDepends(); });
	},

	parse: function() {
		return Promise.all(this.children.map(function(s) { return s.parse(); }));
	},

	save: function(cb, silent) {
		var self = this;

		return this.parse().then(cb).then(function() { return uci.save(); }).then(function() {
			return self.load();
		}).then(function() {
			self.renderContents();
		}).catch(function(err) {
			if (!silent)
				ui.addNotification(null, E('p', { 'class': 'save-failed' }, [
					_('Some fields are invalid, cannot save values!'), ' ', String(err.message || err)
				]), 'danger');
			throw err;
		});
	},

	reset: function() {
		uci.unload(this.config);
		return this.load().then(L.bind(this.renderContents, this));
	}
});

var CBIAbstractSection = CBIElement.extend({
	__init__: function(map, sectionType, title, description) {
		this.super('__init__', [ title, description ]);
		this.map = map;
		this.config = map.config;
		this.sectiontype = sectionType;
		this.tabs = null;
		this.tab_names = [];
	},

	filter: function() { return true; },

	cfgsections: function() {
		var self = this;
		return uci.sections(this.config, this.sectiontype).map(function(s) { return s['.name']; })
			.filter(function(sid) { return self.filter(sid); });
	},

	tab: function(name, title, description) {
		this.tabs = this.tabs || {};
		this.tabs[name] = { name: name, title: title, description: description };
		this.tab_names.push(name);
	},

	option: function(cls, name, title, description) {
		var o = cls.instantiate([ this.map, this, name, title, description ]);
		this.append(o);
		return o;
	},

	taboption: function(tab, cls) {
		if (!this.tabs || !this.tabs[tab])
			throw new Error('no tab ' + tab);
		var o = this.option.apply(this, Array.prototype.slice.call(arguments, 1));
		o.tab = tab;
		return o;
	},

	formvalue: function(sid, name) {
		var o = this.children.filter(function(c) { return c.option === name; })[0];
		if (!o)
			return null;
		var el = o.getUIElement(sid);
		return el ? el.getValue() : o.cfgvalue(sid);
	},

	/* options of one section instance, in tabs when the section has them */
	renderBody: function(sid, pick) {
		var self = this, opts = this.children.filter(pick);

		if (!this.tabs)
			return E('div', { 'class': 'cbi-section-node' }, opts.map(function(o, i) { return o.renderFrame(sid, i); }));

		var names = this.tab_names.filter(function(t) { return opts.some(function(o) { return o.tab === t; }); });
		var menu = E('ul', { 'class': 'cbi-tabmenu' }), body = E('div', { 'class': 'cbi-section-node cbi-section-node-tabbed' });

		names.forEach(function(t, n) {
			var pane = E('div', { 'class': 'cbi-tabcontainer', 'data-tab': t, 'style': n ? 'display:none' : '' },
				opts.filter(function(o) { return o.tab === t; }).map(function(o, i) { return o.renderFrame(sid, i); }));
			menu.appendChild(E('li', { 'class': 'cbi-tab' + (n ? '-disabled' : ''), 'data-tab': t }, [
				E('a', { 'href': '#', 'click': function(ev) {
					ev.preventDefault();
					menu.querySelectorAll('li').forEach(function(li) {
						li.className = (li.getAttribute('data-tab') === t) ? 'cbi-tab' : 'cbi-tab-disabled';
					});
					body.querySelectorAll('.cbi-tabcontainer').forEach(function(p) {
						p.style.display = (p.getAttribute('data-tab') === t) ? '' : 'none';
					});
				} }, [ self.tabs[t].title ])
			]));
			body.appendChild(pane);
		});
		return E('div', {}, [ menu, body ]);
	},

	checkDepends: function() {
		var self = this;
		this.cfgsections().forEach(function(sid) {
			self.children.forEach(function(o) {
				var frame = self.map.findElement('data-field', o.cbid(sid));
				if (!frame)
					return;
				var ok = o.depsSatisfied(sid);
				frame.style.display = ok ? '' : 'none';
				if (ok)
					frame.removeAttribute('data-inactive');
				else
					frame.setAttribute('data-inactive', 'true');
			});
		});
	},

	parse: function() {
		var self = this;
		return Promise.all(this.cfgsections().map(function(sid) {
			return Promise.all(self.children.map(function(o) { return o.parse(sid); }));
		}));
	}
});

var CBITypedSection = CBIAbstractSection.extend({
	render: function() {
		var self = this;
		return E('div', { 'class': 'cbi-section', 'id': 'cbi-' + this.config + '-' + this.sectiontype }, [
			this.title ? E('h3', {}, [ this.title ]) : null
		].concat(this.cfgsections().map(function(sid) {
			return E('div', { 'class': 'cbi-section-node', 'data-section-id': sid }, [
				self.renderBody(sid, function() { return true; })
			]);
		})));
	}
});

var CBINamedSection = CBIAbstractSection.extend({
	__init__: function(map, section, sectionType, title, description) {
		this.super('__init__', [ map, sectionType, title, description ]);
		this.section = section;
	},

	cfgsections: function() { return [ this.section ]; },

	render: function() {
		if (!uci.get(this.config, this.section))
			return E('div', { 'class': 'cbi-section' }, [ E('em', {}, [ _('This section contains no values yet') ]) ]);
		return E('div', { 'class': 'cbi-section', 'id': 'cbi-' + this.config + '-' + this.section }, [
			this.title ? E('h3', {}, [ this.title ]) : null,
			this.renderBody(this.section, function() { return true; })
		]);
	}
});

var CBIGridSection = CBITypedSection.extend({
	inGrid: function(o) { return o.modalonly !== true; },
	inModal: function(o) { return o.modalonly !== false; },

	sectiontitle: function(sid) { return sid; },

	handleAdd: function() {
		var sid = uci.add(this.config, this.sectiontype);
		this.addedSection = sid;
		return this.renderMoreOptionsModal(sid);
	},

	handleRemove: function(sid) {
		uci.remove(this.config, sid);
		this.map.renderContents();
	},

	handleModalCancel: function() {
		if (this.addedSection)
			uci.remove(this.config, this.addedSection);
		this.addedSection = null;
		ui.hideModal();
		this.map.renderContents();
	},

	handleModalSave: function(sid) {
		var self = this, opts = this.children.filter(this.inModal);

		return Promise.all(opts.map(function(o) { return o.parse(sid); })).then(function() {
			self.addedSection = null;
			ui.hideModal();
			return self.map.save(null, true);
		}).catch(function(err) {
			ui.addNotification(null, E('p', { 'class': 'save-failed' }, [
				_('Some fields are invalid, cannot save values!'), ' ', String(err.message || err) ]), 'danger');
		});
	},

	renderMoreOptionsModal: function(sid) {
		var self = this, title = this.addedSection ? _('Add rule') : _('Edit: %s').format(this.sectiontitle(sid));
		var body = E('div', { 'class': 'cbi-section', 'data-section-id': sid }, [
			this.renderBody(sid, function(o) { return self.inModal(o); })
		]);

		ui.showModal(title, [
			body,
			E('div', { 'class': 'right' }, [
				E('button', { 'class': 'cbi-button cbi-button-dismiss', 'click': function() { self.handleModalCancel(); } },
					[ _('Dismiss') ]), ' ',
				E('button', { 'class': 'cbi-button cbi-button-positive important cbi-button-modal-save',
					'click': ui.createHandlerFn(this, 'handleModalSave', sid) }, [ _('Save') ])
			])
		]);
		this.checkDepends();
		return Promise.resolve();
	},

	handleDrop: function(srcSid, dstSid, after) {
		if (srcSid === dstSid)
			return;
		uci.move(this.config, srcSid, dstSid, after);
		this.map.renderContents();
	},

	renderRow: function(sid) {
		var self = this, cols = this.children.filter(this.inGrid);
		var tr = E('tr', { 'class': 'tr cbi-section-table-row', 'data-sid': sid, 'draggable': this.sortable ? 'true' : null },
			cols.map(function(o) {
				return E('td', { 'class': 'td cbi-value-field', 'data-title': o.stripTags(o.title), 'data-name': o.option },
					[ o.editable ? o.renderWidgetFrame(sid) : o.textvalue(sid) ]);
			}).concat([
				E('td', { 'class': 'td cbi-section-table-cell nowrap cbi-section-actions' }, [
					this.sortable ? E('span', { 'class': 'drag-handle', 'title': _('Drag to reorder') }, [ '☰' ]) : null, ' ',
					E('button', { 'class': 'cbi-button cbi-button-edit',
						'click': function() { self.renderMoreOptionsModal(sid); } }, [ _('Edit') ]), ' ',
					this.addremove ? E('button', { 'class': 'cbi-button cbi-button-remove',
						'click': function() { self.handleRemove(sid); } }, [ _('Delete') ]) : null
				])
			]));

		if (this.sortable) {
			tr.addEventListener('dragstart', function(ev) { ev.dataTransfer.setData('text/plain', sid); });
			tr.addEventListener('dragover', function(ev) { ev.preventDefault(); });
			tr.addEventListener('drop', function(ev) {
				ev.preventDefault();
				var r = tr.getBoundingClientRect();
				self.handleDrop(ev.dataTransfer.getData('text/plain'), sid, ev.clientY > r.top + r.height / 2);
			});
		}
		return tr;
	},

	render: function() {
		var self = this, cols = this.children.filter(this.inGrid), sids = this.cfgsections();
		var rows = sids.map(function(sid) { return self.renderRow(sid); });

		if (!rows.length)
			rows = [ E('tr', { 'class': 'tr placeholder' }, [ E('td', { 'class': 'td', 'colspan': cols.length + 1 },
				[ E('em', {}, [ _('This section contains no values yet') ]) ]) ]) ];

		return E('div', { 'class': 'cbi-section cbi-tblsection', 'id': 'cbi-' + this.config + '-' + this.sectiontype }, [
			this.title ? E('h3', {}, [ this.title ]) : null,
			this.description ? E('div', { 'class': 'cbi-section-descr' }, this.description) : null,
			E('table', { 'class': 'table cbi-section-table' }, [
				E('tr', { 'class': 'tr table-titles' }, cols.map(function(o) {
					return E('th', { 'class': 'th' }, [ o.stripTags(o.title) ]);
				}).concat([ E('th', { 'class': 'th' }) ]))
			].concat(rows)),
			this.addremove ? E('div', { 'class': 'cbi-section-create' }, [
				E('button', { 'class': 'cbi-button cbi-button-add', 'title': _('Add'),
					'click': ui.createHandlerFn(this, 'handleAdd') }, [ _('Add') ])
			]) : null
		]);
	},

	/* the grid's parse covers the editable cells; the modal parses the rest */
	parse: function() {
		var self = this;
		return Promise.all(this.cfgsections().map(function(sid) {
			return Promise.all(self.children.map(function(o) { return o.parse(sid); }));
		}));
	}
});

var CBIAbstractValue = CBIElement.extend({
	__init__: function(map, section, option, title, description) {
		this.super('__init__', [ title, description ]);
		this.map = map;
		this.section = section;
		this.option = option;
		this.config = map.config;
		this.deps = [];
		this.keylist = [];
		this.vallist = [];
		this.rmempty = true;
		this.optional = false;
		this.default = null;
	},

	depends: function(field, value) {
		var d = {};
		if (L.isObject(field))
			d = field;
		else
			d[field] = value;
		this.deps.push(d);
	},

	value: function(key, label) {
		this.keylist.push(String(key));
		this.vallist.push(label != null ? label : String(key));
	},

	choices: function() {
		var c = {}, self = this;
		this.keylist.forEach(function(k, i) { c[k] = self.vallist[i]; });
		return c;
	},

	cbid: function(sid) { return 'cbid.' + this.config + '.' + sid + '.' + this.option; },

	cfgvalue: function(sid) { return uci.get(this.config, sid, this.option); },

	textvalue: function(sid) {
		var v = this.cfgvalue(sid), i;
		if (v == null)
			v = this.default;
		if (Array.isArray(v))
			return v.join(', ');
		i = this.keylist.indexOf(String(v));
		return (i >= 0) ? this.stripTags(this.vallist[i]) : (v == null ? '-' : String(v));
	},

	validate: function() { return true; },

	getUIElement: function(sid) {
		var node = this.map.findElement('id', this.cbid(sid)), inst = node ? dom.findClassInstance(node) : null;
		return (inst instanceof ui.AbstractElement) ? inst : null;
	},

	formvalue: function(sid) {
		var el = this.getUIElement(sid);
		return el ? el.getValue() : null;
	},

	depsSatisfied: function(sid) {
		var self = this;
		if (!this.deps.length)
			return true;
		return this.deps.some(function(d) {
			return Object.keys(d).every(function(k) {
				var cur = self.section.formvalue(sid, k);
				return String(cur == null ? '' : cur) === String(d[k]);
			});
		});
	},

	isActive: function(sid) {
		var frame = this.map.findElement('data-field', this.cbid(sid));
		return frame ? !frame.hasAttribute('data-inactive') : this.depsSatisfied(sid);
	},

	widgetOptions: function(sid) {
		var self = this;
		return {
			id: this.cbid(sid), name: this.cbid(sid), placeholder: this.placeholder,
			datatype: this.datatype, optional: this.optional || this.rmempty,
			validate: function(v) { return self.validate(sid, v); }
		};
	},

	renderWidgetFrame: function(sid) {
		var v = this.cfgvalue(sid);
		return E('div', { 'data-field': this.cbid(sid) }, [ this.renderWidget(sid, 0, v != null ? v : this.default) ]);
	},

	renderFrame: function(sid, idx) {
		var v = this.cfgvalue(sid);
		return E('div', { 'class': 'cbi-value', 'data-name': this.option, 'data-field': this.cbid(sid), 'data-index': idx }, [
			E('label', { 'class': 'cbi-value-title', 'for': this.cbid(sid) }, this.title ? String(this.title) : ''),
			E('div', { 'class': 'cbi-value-field' }, [
				this.renderWidget(sid, idx, v != null ? v : this.default),
				this.description ? E('div', { 'class': 'cbi-value-description' }, String(this.description)) : null
			])
		]);
	},

	parse: function(sid) {
		var el = this.getUIElement(sid);

		/* not on screen (modal closed, tab of another section): keep as is */
		if (!el)
			return Promise.resolve();
		if (!this.isActive(sid))
			return Promise.resolve(this.remove(sid));
		if (!el.triggerValidation())
			return Promise.reject(new TypeError(_('Option "%s" contains an invalid input value: %s')
				.format(this.stripTags(this.title) || this.option, el.getValidationError())));

		var fval = this.formvalue(sid), cval = this.cfgvalue(sid);
		var empty = fval == null || fval === '' || (Array.isArray(fval) && !fval.length);

		if (empty) {
			if (this.rmempty || this.optional)
				return Promise.resolve(this.remove(sid));
			return Promise.reject(new TypeError(_('Option "%s" must not be empty.')
				.format(this.stripTags(this.title) || this.option)));
		}
		if (JSON.stringify(fval) !== JSON.stringify(cval))
			return Promise.resolve(this.write(sid, fval));
		return Promise.resolve();
	},

	write: function(sid, value) { return uci.set(this.config, sid, this.option, value); },

	remove: function(sid) {
		if (this.cfgvalue(sid) != null)
			uci.unset(this.config, sid, this.option);
	}
});

var CBIValue = CBIAbstractValue.extend({
	renderWidget: function(sid, idx, cfgvalue) {
		return new ui.Textfield(Array.isArray(cfgvalue) ? cfgvalue.join(' ') : cfgvalue,
			Object.assign(this.widgetOptions(sid), { choices: this.choices() })).render();
	}
});

var CBIListValue = CBIAbstractValue.extend({
	renderWidget: function(sid, idx, cfgvalue) {
		return new ui.Select(cfgvalue, this.choices(), this.widgetOptions(sid)).render();
	}
});

var CBIMultiValue = CBIAbstractValue.extend({
	renderWidget: function(sid, idx, cfgvalue) {
		return new ui.Dropdown(L.toArray(cfgvalue), this.choices(),
			Object.assign(this.widgetOptions(sid), { multiple: true })).render();
	}
});

var CBIDynamicList = CBIAbstractValue.extend({
	renderWidget: function(sid, idx, cfgvalue) {
		return new ui.DynamicList(L.toArray(cfgvalue), this.choices(), this.widgetOptions(sid)).render();
	}
});

var CBIFlag = CBIAbstractValue.extend({
	__init__: function() {
		this.super('__init__', arguments);
		this.enabled = '1';
		this.disabled = '0';
		this.default = this.disabled;
	},

	renderWidget: function(sid, idx, cfgvalue) {
		return new ui.Checkbox(cfgvalue != null ? cfgvalue : this.default, Object.assign(this.widgetOptions(sid), {
			value_enabled: this.enabled, value_disabled: this.disabled })).render();
	},

	textvalue: function(sid) {
		var v = this.cfgvalue(sid);
		return ((v != null ? v : this.default) == this.enabled) ? _('Yes') : _('No');
	}
});

var CBIDummyValue = CBIAbstractValue.extend({
	renderWidget: function(sid) {
		var t = this.textvalue(sid);
		return E('div', { 'id': this.cbid(sid) }, [ t ]);
	},

	parse: function() { return Promise.resolve(); },
	write: function() {},
	remove: function() {}
});

return baseclass.extend({
	Map: CBIMap,
	TypedSection: CBITypedSection,
	NamedSection: CBINamedSection,
	GridSection: CBIGridSection,
	AbstractValue: CBIAbstractValue,
	Value: CBIValue,
	ListValue: CBIListValue,
	MultiValue: CBIMultiValue,
	DynamicList: CBIDynamicList,
	Flag: CBIFlag,
	DummyValue: CBIDummyValue
});
