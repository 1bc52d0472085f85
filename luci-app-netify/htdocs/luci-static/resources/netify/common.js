'use strict';
'require baseclass';
'require rpc';

/*
 * What the netify views share: the luci.netify calls, how their outcome
 * is told apart, the problem box and the stylesheet.
 *
 * Every call resolves to an outcome, never rejects:
 *   { method, data }         the daemon answered (data may be empty)
 *   { method, down: true }   the daemon is not running (its control
 *                            socket is absent or refuses connections)
 *   { method, error }        the call failed: the plugin's or the
 *                            daemon's error, rpcd's (ACL, timeout) or
 *                            the browser's (HTTP), as text
 */

/* one declaration per luci.netify method (written out: the static checks
 * read object and method names from here) */
var calls = {
	status: rpc.declare({ object: 'luci.netify', method: 'status', reject: true, expect: { '': {} } }),
	flows: rpc.declare({ object: 'luci.netify', method: 'flows', reject: true, expect: { '': {} } }),
	apps: rpc.declare({ object: 'luci.netify', method: 'apps', reject: true, expect: { '': {} } }),
	devices: rpc.declare({ object: 'luci.netify', method: 'devices', reject: true, expect: { '': {} } }),
	policy_test: rpc.declare({
		object: 'luci.netify',
		method: 'policy_test',
		reject: true,
		params: [ 'mac', 'ip', 'app', 'at' ],
		expect: { '': {} }
	}),
	usage: rpc.declare({
		object: 'luci.netify',
		method: 'usage',
		reject: true,
		params: [ 'device', 'app', 'category', 'from', 'to', 'hours' ],
		expect: { '': {} }
	})
};

var callHostHints = rpc.declare({
	object: 'luci-rpc',
	method: 'getHostHints',
	reject: true,
	expect: { '': {} }
});

/* the app's stylesheet, once per page */
function addStylesheet() {
	var href = L.resource('netify/netify.css');

	if (!document.querySelector('link[href="%s"]'.format(href)))
		document.head.appendChild(E('link', { 'rel': 'stylesheet', 'href': href }));
}

addStylesheet();

return baseclass.extend({
	/**
	 * call - run a luci.netify method and classify its outcome
	 * @method: status, flows, apps, devices, policy_test, usage
	 * @args: the method's arguments, in the order rpc.declare() lists them
	 */
	call: function(method /*, args... */) {
		var args = Array.prototype.slice.call(arguments, 1);

		return calls[method].apply(null, args).then(function(res) {
			if (!L.isObject(res))
				return { method: method, error: _('unexpected reply') };
			if (res.running === false && (method == 'status' || res.error != null))
				return { method: method, down: true };
			if (res.error != null)
				return { method: method, error: String(res.error) };
			return { method: method, data: res };
		}, function(err) {
			/* LuCI's RPCError carries its stack after the first line */
			return { method: method, error: String((err && err.message) || err).split('\n')[0] };
		});
	},

	/** LuCI's host hints (DHCP leases, ARP), {} when unavailable */
	hostHints: function() {
		return L.resolveDefault(callHostHints(), {});
	},

	/**
	 * problem - the box saying what went wrong with these outcomes, or ''
	 * (nothing to say; E() would print a null)
	 * @outcomes: outcomes of call()
	 * @consequence: what "not running" means on this page (optional)
	 */
	problem: function(outcomes, consequence) {
		var down = outcomes.filter(function(o) { return o && o.down; }),
		    failed = outcomes.filter(function(o) { return o && o.error != null; });

		if (down.length)
			return E('div', { 'class': 'alert-message warning netify-problem netify-down' },
				consequence || _('The netify daemon is not running; no traffic is inspected.'));

		if (failed.length)
			return E('div', { 'class': 'alert-message error netify-problem netify-failed' },
				failed.map(function(o) {
					return E('p', {}, _('The netify call "%s" failed: %s').format(o.method, o.error));
				}));

		return '';
	},

	/** actionBadge - a flow's or a rule's action as a coloured label */
	actionBadge: function(action, cls) {
		if (!action || action == 'none')
			return E('em', {}, _('none'));

		return E('span', { 'class': 'label netify-action netify-action-' + action },
			(action == 'qos' && cls) ? 'qos: ' + cls : action);
	},

	/**
	 * parseTime - "8:00", "18:00" or "18:00:30" as netify and fw4 store it
	 * ("08:00", "18:00", "18:00:30"), or null when it is not a time of day
	 */
	parseTime: function(text) {
		var m = /^(\d{1,2}):([0-5]\d)(?::([0-5]\d))?$/.exec(String(text || '').trim());

		if (!m || +m[1] > 23)
			return null;
		return ('0' + m[1]).slice(-2) + ':' + m[2] + (m[3] != null ? ':' + m[3] : '');
	}
});
