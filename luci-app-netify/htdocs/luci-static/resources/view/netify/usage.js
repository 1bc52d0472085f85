'use strict';
'require view';
'require dom';
'require poll';
'require ui';
'require netify.common as netify';

/*
 * Usage: what each device used of each application, today and this week,
 * by active time and by volume, a daily history per application, and what
 * is left of each daily limit.  The figures are the daemon's (luci.netify
 * usage, from the kernel's conntrack counters); the charts are SVG drawn
 * here, nothing is loaded from elsewhere.  Each bar and column carries its
 * exact figures in data-bytes / data-seconds, the text shows them rounded.
 */

var TOP_N = 8;
var SVG = 'http://www.w3.org/2000/svg';

/* ---- figures ---- */

function bytesText(b) {
	var units = [ 'B', 'kB', 'MB', 'GB', 'TB', 'PB' ], v = +b || 0, u = 0;

	while (v >= 1000 && u < units.length - 1) {
		v /= 1000;
		u++;
	}
	return u ? '%.1f %s'.format(v, units[u]) : '%d B'.format(v);
}

function timeText(s) {
	var m = Math.floor((+s || 0) / 60);

	return m >= 60 ? '%dh%02dm'.format(Math.floor(m / 60), m % 60) : '%dm'.format(m);
}

function volume(t) {
	return ((t && t.bytes_in) || 0) + ((t && t.bytes_out) || 0);
}

function clock(ms) {
	var d = new Date(ms);

	return '%04d-%02d-%02d %02d:%02d'.format(d.getFullYear(), d.getMonth() + 1, d.getDate(),
		d.getHours(), d.getMinutes());
}

/* "YYYY-MM-DD" plus @n days: calendar arithmetic, no time zone */
function addDays(day, n) {
	var d = new Date(day + 'T00:00:00Z');

	d.setUTCDate(d.getUTCDate() + n);
	return '%04d-%02d-%02d'.format(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/* ---- SVG ---- */

function svg(tag, attrs, children) {
	var el = document.createElementNS(SVG, tag);

	Object.keys(attrs || {}).forEach(function(k) {
		if (attrs[k] != null)
			el.setAttribute(k, attrs[k]);
	});
	(children || []).forEach(function(c) {
		el.appendChild(typeof c == 'string' ? document.createTextNode(c) : c);
	});
	return el;
}

/*
 * Horizontal bars, one per row: { label, value, text, tip, data }; the
 * longest bar fills the width.
 */
function barChart(cls, rows, empty) {
	var W = 520, LABEL = 150, VALUE = 80, ROW = 22, max = 0;

	if (!rows.length)
		return E('p', { 'class': 'netify-chart-empty' }, E('em', {}, empty));

	rows.forEach(function(r) { max = Math.max(max, r.value); });

	return svg('svg', {
		'class': 'netify-chart netify-bars ' + cls,
		'viewBox': '0 0 %d %d'.format(W, rows.length * ROW + 4),
		'width': '100%',
		'role': 'img'
	}, rows.map(function(r, i) {
		var w = max ? Math.max(1, Math.round((W - LABEL - VALUE) * r.value / max)) : 1, y = i * ROW + 2;

		return svg('g', Object.assign({ 'class': 'netify-bar' }, r.data), [
			svg('title', {}, [ r.tip ]),
			svg('text', { 'x': LABEL - 6, 'y': y + 15, 'text-anchor': 'end', 'class': 'netify-bar-label' }, [ r.label ]),
			svg('rect', { 'x': LABEL, 'y': y + 3, 'width': w, 'height': ROW - 6, 'rx': 2 }),
			svg('text', { 'x': LABEL + w + 6, 'y': y + 15, 'class': 'netify-bar-value' }, [ r.text ])
		]);
	}));
}

/*
 * Columns, one per day: { day, value, tip, data }; a date under the first
 * column, every 7th and the last.
 */
function columnChart(cls, cols) {
	var W = 620, H = 120, BASE = 100, max = 0, cw = W / Math.max(cols.length, 1);

	cols.forEach(function(c) { max = Math.max(max, c.value); });

	return svg('svg', {
		'class': 'netify-chart netify-columns ' + cls,
		'viewBox': '0 0 %d %d'.format(W, H),
		'width': '100%',
		'role': 'img'
	}, [ svg('line', { 'x1': 0, 'y1': BASE, 'x2': W, 'y2': BASE, 'class': 'netify-axis' }) ].concat(cols.map(function(c, i) {
		var h = max ? Math.round((BASE - 4) * c.value / max) : 0, x = i * cw;
		var parts = [ svg('title', {}, [ c.tip ]),
			svg('rect', { 'x': x + 1, 'y': BASE - h, 'width': Math.max(cw - 2, 1), 'height': h }) ];

		/* the first and the last label inside the chart */
		if (i == 0 || i == cols.length - 1 || (cols.length - 1 - i) % 7 == 0)
			parts.push(svg('text', {
				'x': i == 0 ? x : i == cols.length - 1 ? x + cw : x + cw / 2, 'y': H - 4,
				'text-anchor': i == 0 ? 'start' : i == cols.length - 1 ? 'end' : 'middle',
				'class': 'netify-col-label'
			}, [ c.day.slice(5) ]));

		return svg('g', Object.assign({ 'class': 'netify-col' }, c.data), parts);
	})));
}

function figures(t) {
	return {
		'data-bytes': String(volume(t)),
		'data-bytes-in': String((t && t.bytes_in) || 0),
		'data-bytes-out': String((t && t.bytes_out) || 0),
		'data-seconds': String((t && t.active_s) || 0)
	};
}

/* a device's applications as bars, by active time or by volume */
function appBars(apps, by, cls, empty) {
	var rows = (apps || []).slice().sort(function(a, b) {
		return by == 'time'
			? (b.totals.active_s - a.totals.active_s) || (volume(b.totals) - volume(a.totals))
			: (volume(b.totals) - volume(a.totals)) || (b.totals.active_s - a.totals.active_s);
	}).slice(0, TOP_N);

	return barChart(cls, rows.map(function(a) {
		var t = a.totals;

		return {
			label: a.label || a.tag,
			value: by == 'time' ? t.active_s : volume(t),
			text: by == 'time' ? timeText(t.active_s) : bytesText(volume(t)),
			tip: _('%s: %s active, %s in, %s out, %d connections').format(a.label || a.tag,
				timeText(t.active_s), bytesText(t.bytes_in), bytesText(t.bytes_out), t.conns),
			data: Object.assign({ 'data-app': a.tag }, figures(t))
		};
	}), empty);
}

/* ---- the view ---- */

return view.extend({
	device: null,		/* the MAC shown */
	app: null,		/* the application whose history is shown */

	load: function() {
		return Promise.all([ netify.call('usage'), netify.hostHints() ]).then(L.bind(function(res) {
			return this.loadWeek(res[0]).then(function(week) { return [ res[0], week, res[1] ]; });
		}, this));
	},

	/* the last 7 usage days, once today's day is known */
	loadWeek: function(today) {
		if (!today.data)
			return Promise.resolve(today);
		return netify.call('usage', undefined, undefined, undefined, addDays(today.data.day, -6), today.data.day);
	},

	deviceName: function(d) {
		var h = this.hints[d.mac] || this.hints[(d.mac || '').toUpperCase()] || {};

		if (d.mac == '00:00:00:00:00:00')
			return _('Unknown device');
		return d.name || h.name || d.mac;
	},

	/* devices of today and of the week, most bytes this week first */
	devices: function(today, week) {
		var byMac = {}, out = [];

		(week.devices || []).concat(today.devices || []).forEach(function(d) {
			if (!byMac[d.mac]) {
				byMac[d.mac] = d;
				out.push(d);
			}
		});
		return out;
	},

	findDevice: function(reply, mac) {
		return (reply.devices || []).filter(function(d) { return d.mac == mac; })[0] || { apps: [], totals: {} };
	},

	renderCharts: function(title, reply, mac, cls) {
		var d = this.findDevice(reply, mac), t = d.totals || {};

		return E('div', { 'class': 'cbi-section netify-usage-' + cls }, [
			E('h3', {}, title),
			E('div', { 'class': 'cbi-section-descr netify-usage-totals', 'data-bytes': String(volume(t)),
				'data-seconds': String(t.active_s || 0) },
				_('%s active, %s in, %s out, %d connections').format(timeText(t.active_s), bytesText(t.bytes_in),
					bytesText(t.bytes_out), t.conns || 0)),
			E('div', { 'class': 'netify-top' }, [
				E('div', { 'class': 'netify-top-part' }, [
					E('h4', {}, _('By active time')),
					appBars(d.apps, 'time', 'netify-by-time', _('No use'))
				]),
				E('div', { 'class': 'netify-top-part' }, [
					E('h4', {}, _('By volume')),
					appBars(d.apps, 'volume', 'netify-by-volume', _('No use'))
				])
			])
		]);
	},

	/* each daily limit's budget for the device (or shared by its rule) */
	renderLimits: function(reply, mac) {
		var titles = [ _('Limit'), _('Time used'), _('Time left'), _('Volume used'), _('Volume left'), _('State'), _('Renews') ];
		var rows = (reply.limits || []).filter(function(l) {
			return l.mac == mac || (l.mac == null && l.per == 'rule');
		}).map(function(l) {
			var state = l.reached
				? _('reached %s: %s').format(clock(l.reached_at), l.action || 'block')
				: l.warned ? _('warned') : _('ok');

			return E('tr', { 'class': 'tr netify-limit', 'data-rule': l.rule, 'data-used-seconds': String(l.used_s),
				'data-used-bytes': String(l.used_bytes), 'data-reached': l.reached ? '1' : '0' }, [
				E('td', { 'class': 'td', 'data-title': titles[0] }, l.per == 'rule' ? _('%s (shared)').format(l.rule) : l.rule),
				E('td', { 'class': 'td', 'data-title': titles[1] },
					l.time_limit_s ? '%s / %s'.format(timeText(l.used_s), timeText(l.time_limit_s)) : '-'),
				E('td', { 'class': 'td netify-left-time', 'data-title': titles[2] },
					l.time_limit_s ? timeText(l.remaining_s) : '-'),
				E('td', { 'class': 'td', 'data-title': titles[3] },
					l.volume_limit ? '%s / %s'.format(bytesText(l.used_bytes), bytesText(l.volume_limit)) : '-'),
				E('td', { 'class': 'td netify-left-volume', 'data-title': titles[4] },
					l.volume_limit ? bytesText(l.remaining_bytes) : '-'),
				E('td', { 'class': 'td', 'data-title': titles[5] },
					E('span', { 'class': 'label netify-action ' + (l.reached ? 'netify-action-block' : 'netify-action-allow') }, state)),
				E('td', { 'class': 'td', 'data-title': titles[6] }, clock(l.resets_at))
			]);
		});

		if (!rows.length)
			rows = [ E('tr', { 'class': 'tr placeholder' }, [
				E('td', { 'class': 'td', 'colspan': titles.length }, E('em', {}, _('No daily limit applies to this device')))
			]) ];

		return E('div', { 'class': 'cbi-section' }, [
			E('h3', {}, _('Daily limits')),
			E('table', { 'class': 'table netify-limits' }, [
				E('tr', { 'class': 'tr table-titles' }, titles.map(function(t) { return E('th', { 'class': 'th' }, t); }))
			].concat(rows))
		]);
	},

	/* one application's days: active time and volume per day */
	renderHistory: function(res) {
		var d, days;

		if (!res)
			return E('em', {}, _('Choose an application.'));
		if (!res.data)
			return netify.problem([ res ], _('The netify daemon is not running.'));
		d = (res.data.devices || [])[0];
		days = (d && d.days) || [];
		if (!days.length)
			return E('em', {}, _('No use in the last %d days').format(62));

		var cols = function(by) {
			return days.map(function(x) {
				return {
					day: x.day,
					value: by == 'time' ? x.totals.active_s : volume(x.totals),
					tip: _('%s: %s active, %s').format(x.day, timeText(x.totals.active_s), bytesText(volume(x.totals))),
					data: Object.assign({ 'data-day': x.day }, figures(x.totals))
				};
			});
		};

		return E('div', {}, [
			E('h4', {}, _('Active time per day')),
			columnChart('netify-history-time', cols('time')),
			E('h4', {}, _('Volume per day')),
			columnChart('netify-history-volume', cols('volume'))
		]);
	},

	loadHistory: function() {
		var node = this.historyNode, app = this.appSelect.value;

		this.app = app || null;
		if (!app) {
			dom.content(node, this.renderHistory(null));
			return Promise.resolve();
		}
		dom.content(node, E('em', { 'class': 'spinning' }, _('Loading…')));
		return netify.call('usage', this.device, app).then(L.bind(function(res) {
			if (this.app == app)
				dom.content(node, this.renderHistory(res));
		}, this));
	},

	renderDevice: function() {
		var today = this.today, week = this.week, mac = this.device, apps = {}, opts;

		this.findDevice(week, mac).apps.concat(this.findDevice(today, mac).apps || []).forEach(function(a) {
			apps[a.tag] = a.label || a.tag;
		});
		if (this.app && !apps[this.app])
			this.app = null;
		opts = [ E('option', { 'value': '' }, _('-- application --')) ].concat(Object.keys(apps).sort().map(L.bind(function(tag) {
			return E('option', { 'value': tag, 'selected': tag == this.app ? '' : null }, apps[tag]);
		}, this)));
		this.appSelect = E('select', { 'id': 'netify-usage-app', 'class': 'cbi-input-select',
			'change': ui.createHandlerFn(this, 'loadHistory') }, opts);
		this.historyNode = E('div', { 'id': 'netify-usage-history' }, this.renderHistory(null));

		dom.content(this.deviceNode, [
			this.renderCharts(_('Today (%s)').format(today.day), today, mac, 'today'),
			this.renderCharts(_('This week (%s to %s)').format(week.from, week.to), week, mac, 'week'),
			this.renderLimits(today, mac),
			E('div', { 'class': 'cbi-section' }, [
				E('h3', {}, _('Daily history of an application')),
				E('div', { 'class': 'netify-toolbar' }, [ this.appSelect ]),
				this.historyNode
			])
		]);
		if (this.app)
			this.loadHistory();
	},

	onDevice: function() {
		this.device = this.devSelect.value;
		this.renderDevice();
	},

	/* res: the outcomes of usage (today) and usage (the week), and the host hints */
	refresh: function(res) {
		var today = res[0], week = res[1], devs;

		dom.content(this.problemNode, netify.problem([ today, week ],
			_('The netify daemon is not running: there is no usage to show.')));
		this.dataNode.classList.toggle('hidden', !today.data || !week.data);
		if (!today.data || !week.data)
			return;
		this.today = today.data;
		this.week = week.data;
		devs = this.devices(this.today, this.week);
		if (!devs.some(L.bind(function(d) { return d.mac == this.device; }, this)))
			this.device = devs.length ? devs[0].mac : null;

		dom.content(this.devSelect, devs.map(L.bind(function(d) {
			return E('option', { 'value': d.mac, 'selected': d.mac == this.device ? '' : null },
				this.deviceName(d) == d.mac ? d.mac : '%s (%s)'.format(this.deviceName(d), d.mac));
		}, this)));
		dom.content(this.dayNode, _('Usage day %s, since %s (a day starts at %s).').format(this.today.day,
			clock(this.today.day_start), this.today.reset_time));
		if (!this.device) {
			dom.content(this.deviceNode, E('em', {}, _('No usage counted yet today or this week.')));
			return;
		}
		this.renderDevice();
	},

	poll: function() {
		return Promise.all([ netify.call('usage') ]).then(L.bind(function(res) {
			return this.loadWeek(res[0]).then(L.bind(function(week) {
				this.refresh([ res[0], week ]);
			}, this));
		}, this));
	},

	render: function(data) {
		this.hints = data[2] || {};
		this.problemNode = E('div');
		this.dayNode = E('div', { 'class': 'cbi-section-descr' });
		this.devSelect = E('select', { 'id': 'netify-usage-device', 'class': 'cbi-input-select',
			'change': ui.createHandlerFn(this, 'onDevice') });
		this.deviceNode = E('div', { 'id': 'netify-usage-device-view' });
		this.dataNode = E('div', {}, [
			this.dayNode,
			E('div', { 'class': 'netify-toolbar' }, [ E('label', {}, [ _('Device') + ' ', this.devSelect ]) ]),
			this.deviceNode
		]);

		this.refresh(data);
		poll.add(L.bind(this.poll, this), 30);

		return E('div', { 'class': 'cbi-map' }, [
			E('h2', {}, _('Netify - Usage')),
			E('div', { 'class': 'cbi-map-descr' },
				_('What each device used of each application, counted from the kernel\'s connection counters. Active time counts the minutes in which a device exchanged data with an application; parallel connections count once.')),
			this.problemNode,
			this.dataNode
		]);
	},

	handleSaveApply: null,
	handleSave: null,
	handleReset: null
});
