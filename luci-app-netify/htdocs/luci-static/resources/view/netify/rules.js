'use strict';
'require view';
'require dom';
'require form';
'require uci';
'require ui';
'require netify.common as netify';

/*
 * Rules: the ordered `config rule` list of /etc/config/netify (first match
 * wins, as in fw4), edited through LuCI's form so that Save & Apply, its
 * rollback and the init script's reload trigger do the rest.
 */

var WEEKDAYS = [ 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun' ];

/* luci-rpc has returned both { ipv4 } and { ipaddrs: [] } over the years */
function hintIPv4(h) {
	return (h && Array.isArray(h.ipaddrs) && h.ipaddrs[0]) || (h && h.ipv4) || null;
}

/*
 * Known clients keyed by MAC: LuCI's host hints (DHCP leases, ARP) merged
 * with what the daemon has seen, so a phone that only showed up in netify's
 * flow table is still offered.
 */
function collectHosts(hints, devices) {
	var hosts = {};

	Object.keys(hints || {}).forEach(function(mac) {
		hosts[mac.toLowerCase()] = { name: hints[mac].name, ip: hintIPv4(hints[mac]) };
	});

	(devices || []).forEach(function(d) {
		var mac = (d.mac || '').toLowerCase(), h;

		if (!mac)
			return;
		h = hosts[mac] || (hosts[mac] = {});
		h.name = h.name || d.name;
		h.ip = h.ip || d.ip;
	});

	return hosts;
}

/*
 * Application picker: a search box over the daemon's catalog, grouped by
 * category.  A ui widget (not a plain dropdown) because catalogs run to
 * hundreds of entries.  Tags in the config but missing from the catalog are
 * kept and shown so saving never drops them silently.
 */
var AppPicker = ui.AbstractElement.extend({
	/* @empty: what to say when the catalog has nothing to offer */
	__init__: function(value, catalog, empty, options) {
		this.value = L.toArray(value);
		this.catalog = catalog;
		this.empty = empty;
		this.options = Object.assign({}, options);
	},

	groups: function() {
		var byCat = {}, order = [], known = {};
		var cats = this.catalog.categories || [], apps = this.catalog.apps || [];

		cats.forEach(function(c) { byCat[c.tag] = { label: c.label || c.tag, apps: [] }; order.push(c.tag); });
		apps.forEach(function(a) {
			var cat = byCat[a.category] ? a.category : '_other';

			if (!byCat[cat]) {
				byCat[cat] = { label: _('Other'), apps: [] };
				order.push(cat);
			}
			byCat[cat].apps.push({ tag: a.tag, label: a.label || a.tag });
			known[a.tag] = true;
		});

		this.value.forEach(function(tag) {
			if (known[tag])
				return;
			if (!byCat._unknown) {
				byCat._unknown = { label: _('Not in the catalog'), apps: [] };
				order.unshift('_unknown');
			}
			byCat._unknown.apps.push({ tag: tag, label: tag });
		});

		return order.map(function(tag) {
			var g = byCat[tag];
			g.tag = tag;
			g.apps.sort(function(a, b) { return a.label.localeCompare(b.label); });
			return g;
		}).filter(function(g) { return g.apps.length > 0; });
	},

	filterList: function(query) {
		var q = (query || '').trim().toLowerCase();

		this.node.querySelectorAll('fieldset').forEach(function(fs) {
			var shown = 0;

			fs.querySelectorAll('label[data-search]').forEach(function(item) {
				var hit = !q || item.getAttribute('data-search').indexOf(q) >= 0;
				item.classList.toggle('hidden', !hit);
				shown += hit ? 1 : 0;
			});
			fs.classList.toggle('hidden', !shown);
		});
	},

	updateSummary: function() {
		var labels = {};

		(this.catalog.apps || []).forEach(function(a) { labels[a.tag] = a.label || a.tag; });
		dom.content(this.summary, this.getValue().length
			? _('Selected: %s').format(this.getValue().map(function(t) { return labels[t] || t; }).join(', '))
			: _('No application selected'));
	},

	render: function() {
		var selected = {}, self = this;

		this.value.forEach(function(tag) { selected[tag] = true; });

		var list = E('div', { 'class': 'netify-app-list' },
			this.groups().map(function(g) {
				return E('fieldset', { 'data-category': g.tag }, [
					E('legend', {}, g.label)
				].concat(g.apps.map(function(a) {
					return E('label', {
						'data-search': (a.label + ' ' + a.tag + ' ' + g.label).toLowerCase()
					}, [
						E('input', { 'type': 'checkbox', 'value': a.tag, 'checked': selected[a.tag] ? '' : null }),
						' ', a.label
					]);
				})));
			}));

		if (!list.childNodes.length)
			list.appendChild(E('em', {}, this.empty));

		this.summary = E('div', { 'class': 'cbi-value-description' });

		var frame = E('div', { 'id': this.options.id, 'class': 'netify-app-picker' }, [
			E('input', {
				'type': 'search',
				'class': 'cbi-input-text netify-app-search',
				'placeholder': _('Search applications…'),
				'input': function(ev) { self.filterList(ev.target.value); }
			}),
			list,
			this.summary
		]);

		this.node = frame;
		frame.addEventListener('change', function() { self.updateSummary(); });
		this.setUpdateEvents(frame, 'change');
		this.setChangeEvents(frame, 'change');
		dom.bindClassInstance(frame, this);
		this.updateSummary();

		return frame;
	},

	getValue: function() {
		var out = [];

		if (!this.node)
			return this.value;
		this.node.querySelectorAll('input[type="checkbox"]').forEach(function(cb) {
			if (cb.checked)
				out.push(cb.value);
		});
		return out;
	},

	setValue: function(value) {
		var want = {};

		L.toArray(value).forEach(function(tag) { want[tag] = true; });
		this.value = L.toArray(value);
		if (this.node)
			this.node.querySelectorAll('input[type="checkbox"]').forEach(function(cb) {
				cb.checked = !!want[cb.value];
			});
	}
});

function appLabels(catalog) {
	var labels = {};

	(catalog.apps || []).forEach(function(a) { labels[a.tag] = a.label || a.tag; });
	return labels;
}

function joinList(list, labels) {
	return L.toArray(list).map(function(v) { return (labels && labels[v]) || v; }).join(', ');
}

function scheduleText(sid) {
	var get = function(o) { return uci.get('netify', sid, o); };
	var parts = [];

	if (get('weekdays'))
		parts.push(L.toArray(get('weekdays')).join(' '));
	if (get('monthdays'))
		parts.push(_('days %s').format(L.toArray(get('monthdays')).join(' ')));
	if (get('start_time') || get('stop_time'))
		parts.push('%s-%s'.format(get('start_time') || '00:00', get('stop_time') || '23:59'));
	if (get('start_date') || get('stop_date'))
		parts.push(_('from %s to %s').format(get('start_date') || '…', get('stop_date') || '…'));
	if (parts.length && get('utc_time') == '1')
		parts.push('UTC');
	if (limitText(sid))
		parts.push(_('once %s is used').format(limitText(sid)));

	return parts.length ? parts.join(', ') : _('Always');
}

/* The daily limits as netify check reads them (netify.5): "30m", "1h30m",
 * "90" minutes, 1m to 24h; "500M", "2G", "1.5GB", "512MiB", bytes. */
function minutesOf(text) {
	var m = /^(?:(\d+)h)?(?:(\d+)m)?$/.exec(text), n;

	if (/^\d+$/.test(text))
		n = +text;
	else if (m && (m[1] != null || m[2] != null))
		n = (+m[1] || 0) * 60 + (+m[2] || 0);
	return (n >= 1 && n <= 1440) ? n : null;
}

function validVolume(text) {
	var m = /^(\d+)(?:\.(\d{1,3}))?(?:([kKmMgGtTpP])(iB|ib|B|b)?|[bB])?$/.exec(text);

	return !!m && (+m[1] > 0 || +(m[2] || 0) > 0);
}

function limitText(sid) {
	var t = uci.get('netify', sid, 'time_limit'), v = uci.get('netify', sid, 'volume_limit');

	return [ t ? _('%s a day').format(t) : null, v ? _('%s a day').format(v) : null ].filter(Boolean).join(', ');
}

function hasLimit(section, sid) {
	return !!(section.formvalue(sid, 'time_limit') || section.formvalue(sid, 'volume_limit'));
}

/* What the app picker and the Test box say when the catalog is missing. */
function catalogEmpty(res) {
	if (res.down)
		return _('The application catalog comes from the netify daemon, which is not running.');
	if (res.error != null)
		return _('The application catalog could not be read: the netify call "%s" failed: %s').format(res.method, res.error);
	return _('The catalog is empty: the daemon knows no applications.');
}

/* The daemon's policy_test answer in words. */
function testAnswer(res) {
	var what = {
		block: _('the traffic is blocked'),
		allow: _('the traffic is allowed'),
		qos: _('the traffic goes to QoS class %s').format(res['class'] || '?')
	}[res.action] || res.action;
	var out = [];

	if (res.rule != null)
		out.push(_('Rule "%s" (#%d) applies: %s.').format(res.rule, res.index + 1, what));
	else if (res.inactive_rule != null)
		out.push(_('No rule applies: the traffic is allowed.'));
	else
		out.push(_('No rule matches: the traffic is allowed.'));

	if (res.inactive_rule != null)
		out.push(_('Rule "%s" (#%d) matches this device and application but is outside its schedule at that time.')
			.format(res.inactive_rule, res.inactive_index + 1));

	L.toArray(res.limits).forEach(function(l) {
		var used = [];

		if (l.time_limit_s)
			used.push(_('%d of %d minutes').format(Math.floor(l.used_s / 60), Math.floor(l.time_limit_s / 60)));
		if (l.volume_limit)
			used.push(_('%d of %d bytes').format(l.used_bytes, l.volume_limit));
		out.push((l.reached ? _('The daily limit of "%s" is reached (%s used today).')
			: _('It counts against the daily limit of "%s": %s used today.')).format(l.rule, used.join(', ')));
	});

	return out.join(' ');
}

/* The schedule options fw4 and netify read as hh:mm[:ss]: typed as the
 * label says, stored as netify and fw4 write them. */
function timeOption(o) {
	o.modalonly = true;
	o.placeholder = _('hh:mm');
	o.validate = function(sid, value) {
		return (!value || netify.parseTime(value)) ? true : _('Expecting a time of day as hh:mm or hh:mm:ss, e.g. 18:00');
	};
	o.write = function(sid, value) {
		return this.super('write', [ sid, netify.parseTime(value) || value ]);
	};
}

return view.extend({
	load: function() {
		return Promise.all([
			netify.call('apps'),
			netify.hostHints(),
			netify.call('devices'),
			uci.load('netify')
		]);
	},

	matchText: function(sid, hosts, labels) {
		var get = function(o) { return uci.get('netify', sid, o); };
		var who = [], what = [];

		L.toArray(get('src_mac')).forEach(function(mac) {
			var h = hosts[mac.toLowerCase()];
			who.push(h && h.name ? '%s (%s)'.format(h.name, mac) : mac);
		});
		L.toArray(get('device')).forEach(function(d) { who.push(uci.get('netify', d, 'label') || d); });
		L.toArray(get('group')).forEach(function(g) { who.push(_('group %s').format(uci.get('netify', g, 'label') || g)); });
		L.toArray(get('src_ip')).forEach(function(ip) { who.push(ip); });

		if (get('app'))
			what.push(joinList(get('app'), labels));
		if (get('category'))
			what.push(_('category %s').format(joinList(get('category'))));
		if (get('proto'))
			what.push(_('protocol %s').format(joinList(get('proto'))));

		return E('small', {}, [
			_('Who: %s').format(who.length ? who.join(', ') : _('any device')), E('br'),
			_('What: %s').format(what.length ? what.join('; ') : _('any application'))
		]);
	},

	handleTest: function(hosts, ev) {
		var mac = document.getElementById('netify-test-mac').value,
		    app = document.getElementById('netify-test-app').value,
		    at = document.getElementById('netify-test-at').value.trim(),
		    out = document.getElementById('netify-test-result'),
		    h = hosts[mac] || {};

		dom.content(out, E('em', { 'class': 'spinning' }, _('Asking the daemon…')));

		return netify.call('policy_test', mac || undefined, h.ip || undefined, app || undefined,
			at || undefined).then(function(res) {
			var problem = netify.problem([ res ], _('The netify daemon is not running: the Test asks it.'));

			/* the daemon's reason says the same, untranslated: not shown */
			dom.content(out, problem || E('div', { 'class': 'netify-test-answer' }, testAnswer(res.data)));
		});
	},

	renderTest: function(hosts, catalog) {
		var macs = Object.keys(hosts).sort();
		var apps = (catalog.apps || []).slice().sort(function(a, b) { return (a.label || a.tag).localeCompare(b.label || b.tag); });

		return E('div', { 'class': 'cbi-section netify-test' }, [
			E('h3', {}, _('Test a rule')),
			E('div', { 'class': 'cbi-section-descr' },
				_('Ask the running daemon which rule a device and application would meet. It uses the applied configuration, so Save & Apply first.')),
			E('div', { 'class': 'netify-toolbar' }, [
				E('select', { 'id': 'netify-test-mac', 'class': 'cbi-input-select' },
					[ E('option', { 'value': '' }, _('-- device --')) ].concat(macs.map(function(mac) {
						return E('option', { 'value': mac }, hosts[mac].name ? '%s (%s)'.format(hosts[mac].name, mac) : mac);
					}))),
				E('select', { 'id': 'netify-test-app', 'class': 'cbi-input-select' },
					[ E('option', { 'value': '' }, _('-- application --')) ].concat(apps.map(function(a) {
						return E('option', { 'value': a.tag }, a.label || a.tag);
					}))),
				E('input', { 'id': 'netify-test-at', 'class': 'cbi-input-text', 'placeholder': _('now (or YYYY-MM-DD hh:mm)') }),
				E('button', {
					'class': 'cbi-button cbi-button-action',
					'click': ui.createHandlerFn(this, 'handleTest', hosts)
				}, _('Test'))
			]),
			E('div', { 'id': 'netify-test-result', 'class': 'netify-test-result' })
		]);
	},

	render: function(data) {
		var appsRes = data[0], devRes = data[2],
		    catalog = appsRes.data || {},
		    hosts = collectHosts(data[1], (devRes.data && devRes.data.devices) || []),
		    labels = appLabels(catalog),
		    cats = catalog.categories || [],
		    self = this, m, s, o;

		m = new form.Map('netify', _('Netify - Rules'),
			_('Rules are checked from top to bottom and the first match decides. Drag rows to reorder. A rule without devices applies to every device; one without a schedule is always active.'));

		s = m.section(form.GridSection, 'rule', _('Rules'));
		s.anonymous = true;
		s.addremove = true;
		s.sortable = true;
		s.nodescriptions = true;

		s.tab('general', _('General Settings'));
		s.tab('schedule', _('Time Restrictions'));
		s.tab('limit', _('Daily Limit'));

		/* the grid's one Name column; the name itself is edited in the dialog */
		s.sectiontitle = function(sid) {
			return uci.get('netify', sid, 'name') || _('Unnamed rule');
		};

		o = s.taboption('general', form.Value, 'name', _('Name'));
		o.modalonly = true;
		o.placeholder = _('Unnamed rule');
		o.validate = function(sid, value) {
			if (!value && hasLimit(this.section, sid))
				return _('A rule with a daily limit needs a name: its budget is kept by name');
			if (value && hasLimit(this.section, sid) && new Blob([ value ]).size > 63)
				return _('The name of a rule with a daily limit is at most 63 bytes');
			return true;
		};

		o = s.option(form.DummyValue, '_match', _('Match'));
		o.modalonly = false;
		o.textvalue = function(sid) { return self.matchText(sid, hosts, labels); };

		o = s.option(form.DummyValue, '_when', _('When'));
		o.modalonly = false;
		o.textvalue = function(sid) { return scheduleText(sid); };

		o = s.taboption('general', form.ListValue, 'action', _('Action'));
		o.default = 'block';
		o.value('block', _('Block'));
		o.value('allow', _('Allow'));
		o.value('qos', _('QoS class'));
		o.value('log', _('Log only'));
		o.textvalue = function(sid) {
			var a = uci.get('netify', sid, 'action') || 'block';
			return (a == 'qos') ? 'qos: %s'.format(uci.get('netify', sid, 'class') || '?') : a;
		};
		o.validate = function(sid, value) {
			if (value == 'allow' && hasLimit(this.section, sid))
				return _('A rule with a daily limit blocks, throttles or logs once the limit is reached: it cannot allow');
			return true;
		};

		o = s.taboption('general', form.Value, 'class', _('QoS class'),
			_('Name of a <code>config class</code> section.'));
		o.modalonly = true;
		o.datatype = 'uciname';
		o.rmempty = false;
		o.depends('action', 'qos');
		uci.sections('netify', 'class').forEach(function(c) {
			o.value(c['.name'], c.label ? '%s (%s)'.format(c.label, c['.name']) : c['.name']);
		});

		o = s.option(form.Flag, 'enabled', _('Enable'));
		o.modalonly = false;
		o.default = o.enabled;
		o.editable = true;

		o = s.taboption('general', form.Value, 'app', _('Applications'),
			_('Search by name; the list is the daemon\'s application catalog grouped by category.'));
		o.modalonly = true;
		o.renderWidget = function(sid, idx, cfgvalue) {
			return new AppPicker(cfgvalue != null ? cfgvalue : this.default, catalog, catalogEmpty(appsRes), {
				id: this.cbid(sid),
				name: this.cbid(sid)
			}).render();
		};
		o.write = function(sid, value) {
			var list = L.toArray(value);
			return list.length ? uci.set('netify', sid, 'app', list) : uci.unset('netify', sid, 'app');
		};

		/* a MultiValue needs choices (LuCI's dropdown throws on none):
		 * without a catalog the category tags are typed */
		if (cats.length) {
			o = s.taboption('general', form.MultiValue, 'category', _('Categories'),
				_('Match every application of these categories.'));
			o.placeholder = _('none');
			cats.forEach(function(c) { o.value(c.tag, c.label || c.tag); });
		}
		else {
			o = s.taboption('general', form.DynamicList, 'category', _('Categories'),
				_('Match every application of these categories (tags, e.g. chat). %s').format(catalogEmpty(appsRes)));
			o.datatype = 'uciname';
		}
		o.modalonly = true;

		o = s.taboption('general', form.DynamicList, 'proto', _('Protocols'),
			_('nDPI protocol names, e.g. BitTorrent.'));
		o.modalonly = true;

		o = s.taboption('general', form.DynamicList, 'src_mac', _('Devices (MAC)'),
			_('Clients known to LuCI and to netify are offered by name.'));
		o.modalonly = true;
		o.datatype = 'macaddr';
		o.placeholder = _('any');
		Object.keys(hosts).sort().forEach(function(mac) {
			o.value(mac, '%s (%s)'.format(hosts[mac].name || hosts[mac].ip || '?', mac));
		});

		if (uci.sections('netify', 'device').length) {
			o = s.taboption('general', form.MultiValue, 'device', _('Named devices'));
			o.modalonly = true;
			uci.sections('netify', 'device').forEach(function(d) { o.value(d['.name'], d.label || d['.name']); });
		}

		if (uci.sections('netify', 'group').length) {
			o = s.taboption('general', form.MultiValue, 'group', _('Device groups'));
			o.modalonly = true;
			uci.sections('netify', 'group').forEach(function(g) { o.value(g['.name'], g.label || g['.name']); });
		}

		o = s.taboption('general', form.DynamicList, 'src_ip', _('Source addresses'),
			_('IPv4/IPv6 addresses or networks in CIDR notation.'));
		o.modalonly = true;
		o.datatype = 'ipmask';
		o.placeholder = _('any');

		/* Same option names, formats and widgets as fw4's time restrictions. */
		o = s.taboption('schedule', form.MultiValue, 'weekdays', _('Week Days'));
		o.modalonly = true;
		o.multiple = true;
		o.display = 5;
		o.placeholder = _('Any day');
		WEEKDAYS.forEach(function(d, i) {
			o.value(d, [ _('Monday'), _('Tuesday'), _('Wednesday'), _('Thursday'), _('Friday'), _('Saturday'), _('Sunday') ][i]);
		});
		o.write = function(sid, value) {
			return this.super('write', [ sid, L.toArray(value).join(' ') ]);
		};

		o = s.taboption('schedule', form.MultiValue, 'monthdays', _('Month Days'));
		o.modalonly = true;
		o.multiple = true;
		o.display_size = 15;
		o.placeholder = _('Any day');
		for (var d = 1; d <= 31; d++)
			o.value(String(d));
		o.write = function(sid, value) {
			return this.super('write', [ sid, L.toArray(value).join(' ') ]);
		};

		o = s.taboption('schedule', form.Value, 'start_time', _('Start Time (hh:mm[:ss])'),
			_('A stop time earlier than the start time spans midnight, e.g. 18:00 to 07:00.'));
		timeOption(o);

		o = s.taboption('schedule', form.Value, 'stop_time', _('Stop Time (hh:mm[:ss])'));
		timeOption(o);

		o = s.taboption('schedule', form.Value, 'start_date', _('Start Date (yyyy-mm-dd)'));
		o.modalonly = true;
		o.datatype = 'dateyyyymmdd';

		o = s.taboption('schedule', form.Value, 'stop_date', _('Stop Date (yyyy-mm-dd)'));
		o.modalonly = true;
		o.datatype = 'dateyyyymmdd';

		o = s.taboption('schedule', form.Flag, 'utc_time', _('Time in UTC'));
		o.modalonly = true;
		o.default = o.disabled;

		/* A daily limit: the rule does nothing until the device used that
		 * much of what it names today, then its action applies until the
		 * day's reset time (Settings). */
		o = s.taboption('limit', form.Value, 'time_limit', _('Time a day'),
			_('Active time the rule\'s devices may spend on what it names each day, e.g. 30m or 1h30m. Until it is used up the rule does nothing and the next rules decide; then its action applies until the usage day ends.'));
		o.modalonly = true;
		o.placeholder = _('no time limit');
		o.validate = function(sid, value) {
			return (!value || minutesOf(value) != null) ? true : _('Expecting a duration of 1m to 24h, e.g. 30m, 1h or 1h30m');
		};

		o = s.taboption('limit', form.Value, 'volume_limit', _('Volume a day'),
			_('Bytes in and out a day, e.g. 500M or 2G.'));
		o.modalonly = true;
		o.placeholder = _('no volume limit');
		o.validate = function(sid, value) {
			return (!value || validVolume(value)) ? true : _('Expecting a volume such as 500M, 2G, 1.5GB or 512MiB');
		};

		o = s.taboption('limit', form.Value, 'limit_warn', _('Warn at (%)'),
			_('A warning goes to the monitor stream once a day when this share is used; 0 for none.'));
		o.modalonly = true;
		o.datatype = 'range(0,99)';
		o.placeholder = '80';
		o.depends('time_limit', /./);
		o.depends('volume_limit', /./);

		o = s.taboption('limit', form.ListValue, 'limit_per', _('Budget'));
		o.modalonly = true;
		o.value('device', _('each device its own'));
		o.value('rule', _('one for all the rule\'s devices'));
		o.default = 'device';
		o.depends('time_limit', /./);
		o.depends('volume_limit', /./);

		return m.render().then(function(mapEl) {
			return E('div', {}, [
				netify.problem([ appsRes, devRes ],
					_('The netify daemon is not running: rules can be edited, but the catalog and the Test need it.')),
				mapEl,
				self.renderTest(hosts, catalog)
			]);
		});
	}
});
