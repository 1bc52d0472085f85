'use strict';
'require view';
'require dom';
'require poll';
'require netify.common as netify';

/*
 * Overview: what the daemon is doing right now.  Read-only, so the page
 * has no Save buttons; everything is refreshed by one poll callback.  A
 * stopped daemon, a failed call and a daemon with nothing to show yet each
 * read differently.
 */

var TOP_N = 8;

/* A flow's device key: the configured device name when the daemon matched
 * one, else the MAC, else the local address (routed clients). */
function flowDevice(f) {
	return f.device || f.local_mac || f.local_ip || '?';
}

function flowApp(f) {
	return f.app_label || f.detected_application_name || f.detected_protocol_name || _('Unknown');
}

function countBy(list, keyfn) {
	var counts = {};

	list.forEach(function(item) {
		var k = keyfn(item);
		counts[k] = (counts[k] || 0) + 1;
	});

	return Object.keys(counts).map(function(k) { return [ k, counts[k] ]; })
		.sort(function(a, b) { return b[1] - a[1] || (a[0] > b[0] ? 1 : -1); });
}

function table(titles, rows, empty, cls) {
	var head = E('tr', { 'class': 'tr table-titles' }, titles.map(function(t) {
		return E('th', { 'class': 'th' }, t);
	}));

	if (!rows.length)
		rows = [ E('tr', { 'class': 'tr placeholder' }, [
			E('td', { 'class': 'td', 'colspan': titles.length }, E('em', {}, empty))
		]) ];

	return E('table', { 'class': 'table' + (cls ? ' ' + cls : '') }, [ head ].concat(rows));
}

function row(titles, cells) {
	return E('tr', { 'class': 'tr' }, cells.map(function(c, i) {
		return E('td', { 'class': 'td', 'data-title': titles[i] }, c);
	}));
}

/* "12s ago" for what the daemon saw lately; the date for older times (a
 * replayed capture's flows) */
function lastSeen(ms, now) {
	var age = Math.max(0, Math.round((now - ms) / 1000)), d;

	if (age < 86400)
		return _('%ds ago').format(age);
	d = new Date(ms);
	return '%04d-%02d-%02d %02d:%02d'.format(d.getFullYear(), d.getMonth() + 1, d.getDate(),
		d.getHours(), d.getMinutes());
}

function num(v) {
	return v != null ? String(v) : '-';
}

function load() {
	return Promise.all([ netify.call('status'), netify.call('devices'), netify.call('flows') ]);
}

return view.extend({
	filter: { device: '', app: '', blocked: false },

	load: load,

	renderStatus: function(st, down) {
		var rows = [
			[ _('Daemon'), down ? _('not running') : st.running ? _('running') : _('unknown') ],
			[ _('Version'), st.version || '-' ],
			[ _('Uptime'), st.uptime != null ? '%t'.format(st.uptime) : '-' ],
			[ _('Tracked flows'), num(st.flows) ],
			[ _('Known clients'), num(st.clients) ],
			[ _('Applications in catalog'), num(st.apps) ],
			[ _('DNS cache entries'), num(st.dns_cache) ]
		];
		var qtitles = [ _('Queue'), _('Packets'), _('Verdicts'), _('Dropped'), _('Failed open'), _('ENOBUFS') ];
		var nodes = [];

		if (st.flow_offloading)
			nodes.push(E('div', { 'class': 'alert-message warning netify-offload-warning' },
				_('Flow offloading is enabled in the firewall: offloaded connections bypass netify after their first packets, so blocking and QoS may not apply to them.')));

		nodes.push(E('table', { 'class': 'table netify-status' }, rows.map(function(r) {
			return E('tr', { 'class': 'tr' }, [
				E('td', { 'class': 'td left netify-label' }, r[0]),
				E('td', { 'class': 'td left' }, r[1])
			]);
		})));

		if (st.running)
			nodes.push(table(qtitles, (st.queues || []).map(function(q) {
				return row(qtitles, [ String(q.queue), String(q.packets), String(q.verdicts),
					String(q.dropped), String(q.fail_open), String(q.enobufs) ]);
			}), _('No queues bound (a capture is replayed)')));

		return nodes;
	},

	renderTop: function(flows, devices) {
		var atitles = [ _('Application'), _('Flows') ],
		    dtitles = [ _('Device'), _('Address'), _('Flows') ];
		var apps = countBy(flows, flowApp).slice(0, TOP_N);
		var devs = devices.slice().sort(function(a, b) { return (b.flows || 0) - (a.flows || 0); }).slice(0, TOP_N);

		return E('div', { 'class': 'cbi-section netify-top' }, [
			E('div', { 'class': 'netify-top-part' }, [
				E('h3', {}, _('Top applications')),
				table(atitles, apps.map(function(a) { return row(atitles, [ a[0], String(a[1]) ]); }),
					_('No flows yet'))
			]),
			E('div', { 'class': 'netify-top-part' }, [
				E('h3', {}, _('Top devices')),
				table(dtitles, devs.map(function(d) {
					return row(dtitles, [ d.name || d.mac, [ d.mac || '', E('br'), d.ip || '' ], String(d.flows || 0) ]);
				}), _('No devices seen yet'))
			])
		]);
	},

	matches: function(f) {
		if (this.filter.device && flowDevice(f) != this.filter.device)
			return false;
		if (this.filter.app && flowApp(f) != this.filter.app)
			return false;
		if (this.filter.blocked && f.action != 'block')
			return false;
		return true;
	},

	renderFlows: function(flows) {
		var titles = [ _('Device'), _('Application'), _('Protocol'), _('Host / SNI'),
		               _('Remote'), _('Rule'), _('Action'), _('Last seen') ];
		var now = Date.now();
		var rows = flows.filter(L.bind(this.matches, this)).map(function(f) {
			return row(titles, [
				[ flowDevice(f), E('br'), E('small', {}, f.local_ip || '') ],
				flowApp(f),
				f.detected_protocol_name || '-',
				f.host_server_name || '-',
				'%s:%s'.format(f.other_ip || '?', f.other_port != null ? f.other_port : '?'),
				f.rule || '-',
				netify.actionBadge(f.action, f['class']),
				f.last_seen_at ? lastSeen(f.last_seen_at, now) : '-'
			]);
		});

		return table(titles, rows, flows.length ? _('No matching flows') : _('No flows yet'));
	},

	fillSelect: function(select, keys, current, anyLabel) {
		var opts = [ E('option', { 'value': '' }, anyLabel) ];

		keys.forEach(function(k) {
			opts.push(E('option', { 'value': k, 'selected': (k == current) ? '' : null }, k));
		});
		dom.content(select, opts);
		select.value = current;
	},

	/* res: the outcomes of status, devices and flows */
	refresh: function(res) {
		var st = res[0], devices = res[1], flows = res[2];
		var down = !!(st.down || devices.down || flows.down);
		var problem = netify.problem(res);

		this.flows = (flows.data && flows.data.flows) || [];
		dom.content(this.problemNode, problem);
		dom.content(this.statusNode, this.renderStatus(st.data || {}, down));

		/* without an answer there is nothing to list, not an empty list */
		this.dataNode.classList.toggle('hidden', !devices.data || !flows.data);
		if (!devices.data || !flows.data)
			return;

		dom.content(this.topNode, this.renderTop(this.flows, devices.data.devices || []));
		this.fillSelect(this.devSelect, countBy(this.flows, flowDevice).map(function(e) { return e[0]; }).sort(),
			this.filter.device, _('All devices'));
		this.fillSelect(this.appSelect, countBy(this.flows, flowApp).map(function(e) { return e[0]; }).sort(),
			this.filter.app, _('All applications'));
		dom.content(this.flowsNode, this.renderFlows(this.flows));
	},

	poll: function() {
		return load().then(L.bind(this.refresh, this));
	},

	onFilter: function() {
		this.filter.device = this.devSelect.value;
		this.filter.app = this.appSelect.value;
		this.filter.blocked = this.blockedBox.checked;
		dom.content(this.flowsNode, this.renderFlows(this.flows || []));
	},

	render: function(data) {
		var onFilter = L.bind(this.onFilter, this);

		this.problemNode = E('div');
		this.statusNode = E('div', { 'class': 'cbi-section-node' });
		this.topNode = E('div');
		this.flowsNode = E('div', { 'id': 'netify-flows' });
		this.devSelect = E('select', { 'class': 'cbi-input-select', 'id': 'netify-filter-device', 'change': onFilter });
		this.appSelect = E('select', { 'class': 'cbi-input-select', 'id': 'netify-filter-app', 'change': onFilter });
		this.blockedBox = E('input', { 'type': 'checkbox', 'id': 'netify-filter-blocked', 'change': onFilter });
		this.dataNode = E('div', {}, [
			this.topNode,
			E('div', { 'class': 'cbi-section' }, [
				E('h3', {}, _('Live flows')),
				E('div', { 'class': 'cbi-section-descr netify-toolbar' }, [
					E('label', {}, [ _('Device') + ' ', this.devSelect ]),
					E('label', {}, [ _('Application') + ' ', this.appSelect ]),
					E('label', {}, [ this.blockedBox, ' ' + _('Blocked only') ])
				]),
				this.flowsNode
			])
		]);

		this.refresh(data);
		poll.add(L.bind(this.poll, this), 5);

		return E('div', { 'class': 'cbi-map' }, [
			E('h2', {}, _('Netify - Overview')),
			E('div', { 'class': 'cbi-map-descr' },
				_('State of the application firewall and the connections it classifies right now.')),
			this.problemNode,
			E('div', { 'class': 'cbi-section' }, [ E('h3', {}, _('Status')), this.statusNode ]),
			this.dataNode
		]);
	},

	handleSaveApply: null,
	handleSave: null,
	handleReset: null
});
