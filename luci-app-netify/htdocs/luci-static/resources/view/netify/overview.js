'use strict';
'require view';
'require dom';
'require poll';
'require rpc';

/*
 * Overview: what the daemon is doing right now.  Read-only, so the page
 * has no Save buttons; everything is refreshed by one poll callback.
 */

var callStatus = rpc.declare({
	object: 'luci.netify',
	method: 'status',
	reject: true,
	expect: { '': {} }
});

var callFlows = rpc.declare({
	object: 'luci.netify',
	method: 'flows',
	reject: true,
	expect: { flows: [] }
});

var callDevices = rpc.declare({
	object: 'luci.netify',
	method: 'devices',
	reject: true,
	expect: { devices: [] }
});

var TOP_N = 8;

/* A flow's device key: the configured device name when the daemon matched
 * one, else the MAC, else the local address (routed clients). */
function flowDevice(f) {
	return f.device || f.local_mac || f.local_ip || '?';
}

function flowApp(f) {
	return f.app_label || f.detected_application_name || f.detected_protocol_name || _('Unknown');
}

function actionBadge(action, cls) {
	var colors = { block: '#c44', allow: '#4a4', qos: '#47a', log: '#888' };

	if (!action || action == 'none')
		return E('em', {}, _('none'));

	return E('span', {
		'class': 'label netify-action-' + action,
		'style': 'color:#fff;padding:0 .4em;border-radius:3px;background:' + (colors[action] || '#888')
	}, (action == 'qos' && cls) ? 'qos: ' + cls : action);
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

function table(titles, rows, empty) {
	var head = E('tr', { 'class': 'tr table-titles' }, titles.map(function(t) {
		return E('th', { 'class': 'th' }, t);
	}));

	if (!rows.length)
		rows = [ E('tr', { 'class': 'tr placeholder' }, [
			E('td', { 'class': 'td', 'colspan': titles.length }, E('em', {}, empty))
		]) ];

	return E('table', { 'class': 'table' }, [ head ].concat(rows));
}

function row(titles, cells) {
	return E('tr', { 'class': 'tr' }, cells.map(function(c, i) {
		return E('td', { 'class': 'td', 'data-title': titles[i] }, c);
	}));
}

return view.extend({
	filter: { device: '', app: '', blocked: false },

	load: function() {
		return Promise.all([
			L.resolveDefault(callStatus(), {}),
			L.resolveDefault(callDevices(), []),
			L.resolveDefault(callFlows(), [])
		]);
	},

	renderStatus: function(st) {
		var rows = [
			[ _('Daemon'), st.running ? _('running') : _('not running') ],
			[ _('Version'), st.version || '-' ],
			[ _('Uptime'), st.uptime != null ? '%t'.format(st.uptime) : '-' ],
			[ _('Tracked flows'), String(st.flows != null ? st.flows : '-') ],
			[ _('Known clients'), String(st.clients != null ? st.clients : '-') ],
			[ _('Applications in catalog'), String(st.apps != null ? st.apps : '-') ],
			[ _('DNS cache entries'), String(st.dns_cache != null ? st.dns_cache : '-') ]
		];
		var qtitles = [ _('Queue'), _('Packets'), _('Verdicts'), _('Dropped'), _('Failed open'), _('ENOBUFS') ];
		var nodes = [];

		if (st.flow_offloading)
			nodes.push(E('div', { 'class': 'alert-message warning netify-offload-warning' },
				_('Flow offloading is enabled in the firewall: offloaded connections bypass netify after their first packets, so blocking and QoS may not apply to them.')));

		if (!st.running)
			nodes.push(E('div', { 'class': 'alert-message warning' },
				_('The netify daemon is not running; no traffic is inspected.')));

		nodes.push(E('table', { 'class': 'table netify-status' }, rows.map(function(r) {
			return E('tr', { 'class': 'tr' }, [
				E('td', { 'class': 'td left', 'width': '33%' }, r[0]),
				E('td', { 'class': 'td left' }, r[1])
			]);
		})));

		nodes.push(table(qtitles, (st.queues || []).map(function(q) {
			return row(qtitles, [ String(q.queue), String(q.packets), String(q.verdicts),
				String(q.dropped), String(q.fail_open), String(q.enobufs) ]);
		}), _('No queues bound')));

		return nodes;
	},

	renderTop: function(flows, devices) {
		var atitles = [ _('Application'), _('Flows') ],
		    dtitles = [ _('Device'), _('Address'), _('Flows') ];
		var apps = countBy(flows, flowApp).slice(0, TOP_N);
		var devs = devices.slice().sort(function(a, b) { return (b.flows || 0) - (a.flows || 0); }).slice(0, TOP_N);

		return E('div', { 'class': 'cbi-section netify-top', 'style': 'display:flex;flex-wrap:wrap;gap:1em' }, [
			E('div', { 'style': 'flex:1;min-width:16em' }, [
				E('h3', {}, _('Top applications')),
				table(atitles, apps.map(function(a) { return row(atitles, [ a[0], String(a[1]) ]); }),
					_('No flows yet'))
			]),
			E('div', { 'style': 'flex:1;min-width:16em' }, [
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
			var age = f.last_seen_at ? Math.max(0, Math.round((now - f.last_seen_at) / 1000)) : null;

			return row(titles, [
				[ flowDevice(f), E('br'), E('small', {}, f.local_ip || '') ],
				flowApp(f),
				f.detected_protocol_name || '-',
				f.host_server_name || '-',
				'%s:%s'.format(f.other_ip || '?', f.other_port != null ? f.other_port : '?'),
				f.rule || '-',
				actionBadge(f.action, f['class']),
				age != null ? _('%ds ago').format(age) : '-'
			]);
		});

		return table(titles, rows, _('No matching flows'));
	},

	fillSelect: function(select, keys, current, anyLabel) {
		var opts = [ E('option', { 'value': '' }, anyLabel) ];

		keys.forEach(function(k) {
			opts.push(E('option', { 'value': k, 'selected': (k == current) ? '' : null }, k));
		});
		dom.content(select, opts);
		select.value = current;
	},

	refresh: function(st, devices, flows) {
		this.flows = flows;
		dom.content(this.statusNode, this.renderStatus(st));
		dom.content(this.topNode, this.renderTop(flows, devices));
		this.fillSelect(this.devSelect, countBy(flows, flowDevice).map(function(e) { return e[0]; }).sort(),
			this.filter.device, _('All devices'));
		this.fillSelect(this.appSelect, countBy(flows, flowApp).map(function(e) { return e[0]; }).sort(),
			this.filter.app, _('All applications'));
		dom.content(this.flowsNode, this.renderFlows(flows));
	},

	poll: function() {
		return Promise.all([
			L.resolveDefault(callStatus(), {}),
			L.resolveDefault(callDevices(), []),
			L.resolveDefault(callFlows(), [])
		]).then(L.bind(function(res) {
			this.refresh(res[0], res[1], res[2]);
		}, this));
	},

	onFilter: function() {
		this.filter.device = this.devSelect.value;
		this.filter.app = this.appSelect.value;
		this.filter.blocked = this.blockedBox.checked;
		dom.content(this.flowsNode, this.renderFlows(this.flows || []));
	},

	render: function(data) {
		var onFilter = L.bind(this.onFilter, this);

		this.statusNode = E('div', { 'class': 'cbi-section-node' });
		this.topNode = E('div');
		this.flowsNode = E('div', { 'id': 'netify-flows' });
		this.devSelect = E('select', { 'class': 'cbi-input-select', 'id': 'netify-filter-device', 'change': onFilter });
		this.appSelect = E('select', { 'class': 'cbi-input-select', 'id': 'netify-filter-app', 'change': onFilter });
		this.blockedBox = E('input', { 'type': 'checkbox', 'id': 'netify-filter-blocked', 'change': onFilter });

		this.refresh(data[0], data[1], data[2]);
		poll.add(L.bind(this.poll, this), 5);

		return E('div', { 'class': 'cbi-map' }, [
			E('h2', {}, _('Netify - Overview')),
			E('div', { 'class': 'cbi-map-descr' },
				_('State of the application firewall and the connections it classifies right now.')),
			E('div', { 'class': 'cbi-section' }, [ E('h3', {}, _('Status')), this.statusNode ]),
			this.topNode,
			E('div', { 'class': 'cbi-section' }, [
				E('h3', {}, _('Live flows')),
				E('div', { 'class': 'cbi-section-descr', 'style': 'display:flex;gap:1em;align-items:center;flex-wrap:wrap' }, [
					E('label', {}, [ _('Device') + ' ', this.devSelect ]),
					E('label', {}, [ _('Application') + ' ', this.appSelect ]),
					E('label', {}, [ this.blockedBox, ' ' + _('Blocked only') ])
				]),
				this.flowsNode
			])
		]);
	},

	handleSaveApply: null,
	handleSave: null,
	handleReset: null
});
