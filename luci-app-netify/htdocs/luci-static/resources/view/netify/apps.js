'use strict';
'require view';
'require dom';
'require uci';
'require netify.common as netify';

/*
 * Applications: the daemon's catalog (built-in definitions plus apps.d),
 * searchable, with the rules that name each application directly or
 * through its category.  Read-only; rules are edited on the Rules page.
 */

function rulesUsing(app) {
	return uci.sections('netify', 'rule').filter(function(r) {
		return L.toArray(r.app).indexOf(app.tag) >= 0 ||
			L.toArray(r.category).indexOf(app.category) >= 0;
	}).map(function(r) {
		var how = L.toArray(r.app).indexOf(app.tag) >= 0 ? '' : ' ' + _('(by category)');
		return '%s: %s%s%s'.format(r.name || _('Unnamed rule'), r.action || 'block',
			r.enabled == '0' ? ' ' + _('(disabled)') : '', how);
	});
}

return view.extend({
	load: function() {
		return Promise.all([
			netify.call('apps'),
			uci.load('netify')
		]);
	},

	applyFilter: function() {
		var q = this.search.value.trim().toLowerCase(),
		    cat = this.catSelect.value, shown = 0;

		this.rows.forEach(function(r) {
			var hit = (!cat || r.app.category == cat) && (!q || r.key.indexOf(q) >= 0);
			r.node.classList.toggle('hidden', !hit);
			shown += hit ? 1 : 0;
		});
		dom.content(this.counter, _('%d of %d applications').format(shown, this.rows.length));
	},

	render: function(data) {
		var res = data[0],
		    catalog = res.data || {},
		    cats = catalog.categories || [],
		    catLabel = {}, self = this;
		var titles = [ _('Application'), _('Category'), _('Tag'), _('Used by rules') ];

		cats.forEach(function(c) { catLabel[c.tag] = c.label || c.tag; });

		this.rows = (catalog.apps || []).slice().sort(function(a, b) {
			return (a.label || a.tag).localeCompare(b.label || b.tag);
		}).map(function(a) {
			var used = rulesUsing(a), cells = [
				E('strong', {}, a.label || a.tag),
				catLabel[a.category] || a.category || '-',
				E('code', {}, a.tag),
				used.length ? used.map(function(u) { return E('div', {}, u); }) : E('em', {}, _('none'))
			];

			return {
				app: a,
				key: [ a.label, a.tag, catLabel[a.category] ].join(' ').toLowerCase(),
				node: E('tr', { 'class': 'tr', 'data-app': a.tag }, cells.map(function(c, i) {
					return E('td', { 'class': 'td', 'data-title': titles[i] }, c);
				}))
			};
		});

		this.search = E('input', {
			'type': 'search', 'id': 'netify-app-search', 'class': 'cbi-input-text',
			'placeholder': _('Search applications…'),
			'input': function() { self.applyFilter(); }
		});
		this.catSelect = E('select', {
			'class': 'cbi-input-select', 'id': 'netify-app-category',
			'change': function() { self.applyFilter(); }
		}, [ E('option', { 'value': '' }, _('All categories')) ].concat(cats.map(function(c) {
			return E('option', { 'value': c.tag }, c.label || c.tag);
		})));
		this.counter = E('span', { 'class': 'netify-app-count' });

		var tbl = E('table', { 'class': 'table netify-apps' }, [
			E('tr', { 'class': 'tr table-titles' }, titles.map(function(t) { return E('th', { 'class': 'th' }, t); }))
		].concat(this.rows.map(function(r) { return r.node; })));

		/* an empty catalog is only "empty" when the daemon said so */
		if (res.data && !this.rows.length)
			tbl.appendChild(E('tr', { 'class': 'tr placeholder' }, E('td', { 'class': 'td', 'colspan': 4 },
				E('em', {}, _('The catalog is empty: the daemon knows no applications.')))));

		this.applyFilter();

		return E('div', { 'class': 'cbi-map' }, [
			E('h2', {}, _('Netify - Applications')),
			E('div', { 'class': 'cbi-map-descr' },
				_('Applications netify recognises, from its built-in definitions and the files in the applications directory.')),
			netify.problem([ res ], _('The netify daemon is not running: the application catalog comes from it.')),
			E('div', { 'class': 'cbi-section' + (res.data ? '' : ' hidden') }, [
				E('div', { 'class': 'netify-toolbar' }, [ this.search, this.catSelect, this.counter ]),
				tbl
			])
		]);
	},

	handleSaveApply: null,
	handleSave: null,
	handleReset: null
});
