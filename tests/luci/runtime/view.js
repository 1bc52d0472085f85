'use strict';
'require baseclass';
'require dom';
'require ui';

/*
 * Stand-in for LuCI.view: load() then render() into #view, then the page
 * footer with Save & Apply / Save / Reset unless the view sets the handler
 * to null.  Save calls save() on every form map on the page.
 */

return baseclass.extend({
	__init__: function() {
		var vp = document.getElementById('view'), self = this;

		dom.content(vp, E('div', { 'class': 'spinning' }, [ _('Loading view…') ]));
		return Promise.resolve(this.load()).then(function(data) {
			return self.render(data);
		}).then(function(nodes) {
			dom.content(vp, nodes);
			dom.append(vp, self.addFooter());
			vp.setAttribute('data-rendered', 'true');
		}).catch(function(err) {
			dom.content(vp, E('div', { 'class': 'alert-message danger view-error' }, [ String(err && err.stack || err) ]));
			console.error(err);
		});
	},

	load: function() {},
	render: function() {},

	maps: function() {
		return Array.prototype.slice.call(document.querySelectorAll('#maincontent .cbi-map'));
	},

	handleSave: function(ev) {
		return Promise.all(this.maps().map(function(m) { return dom.callClassMethod(m, 'save'); }));
	},

	handleSaveApply: function(ev, mode) {
		return this.handleSave(ev).then(function() { return ui.changes.apply(mode == '0'); });
	},

	handleReset: function(ev) {
		return Promise.all(this.maps().map(function(m) { return dom.callClassMethod(m, 'reset'); }));
	},

	addFooter: function() {
		var buttons = [];

		if (this.handleSaveApply)
			buttons.push(E('button', { 'class': 'cbi-button cbi-button-apply',
				'click': ui.createHandlerFn(this, 'handleSaveApply') }, [ _('Save & Apply') ]));
		if (this.handleSave)
			buttons.push(E('button', { 'class': 'cbi-button cbi-button-save',
				'click': ui.createHandlerFn(this, 'handleSave') }, [ _('Save') ]));
		if (this.handleReset)
			buttons.push(E('button', { 'class': 'cbi-button cbi-button-reset',
				'click': ui.createHandlerFn(this, 'handleReset') }, [ _('Reset') ]));

		return buttons.length ? E('div', { 'class': 'cbi-page-actions' }, buttons) : E([]);
	}
});
