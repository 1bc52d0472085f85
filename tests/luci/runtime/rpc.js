'use strict';
'require baseclass';

/*
 * Stand-in for LuCI.rpc: ubus calls as JSON-RPC 2.0 POSTs to /ubus, the
 * same wire format LuCI uses; `expect` and `params` behave as documented.
 */

var seq = 1;
var STATUS = [ 'OK', 'Invalid command', 'Invalid argument', 'Method not found', 'Object not found',
	'No data', 'Permission denied', 'Timeout', 'Not supported', 'Unknown error', 'Connection failed' ];

function call(object, method, args) {
	return fetch('/ubus', {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ jsonrpc: '2.0', id: seq++, method: 'call',
			params: [ L.env.sessionid, object, method, args || {} ] })
	}).then(function(res) { return res.json(); }).then(function(msg) {
		var r = msg.result;

		if (msg.error)
			throw new Error('RPC error: ' + msg.error.message);
		if (!Array.isArray(r) || r[0] !== 0) {
			var e = new Error('RPC call to ' + object + '/' + method + ' failed with ubus code ' +
				(Array.isArray(r) ? r[0] : '?') + ': ' + STATUS[Array.isArray(r) ? r[0] : 9]);
			e.ubusStatus = Array.isArray(r) ? r[0] : 9;
			throw e;
		}
		return r[1];
	});
}

function applyExpect(data, expect) {
	if (!L.isObject(expect))
		return data;
	var key = Object.keys(expect)[0], def = expect[key];
	var v = (key === '') ? data : (L.isObject(data) ? data[key] : undefined);

	if (def != null && v != null && (Array.isArray(def) !== Array.isArray(v) || typeof def !== typeof v))
		return def;
	return v != null ? v : def;
}

return baseclass.extend({
	declare: function(opts) {
		return function() {
			var args = {}, argv = arguments;

			(opts.params || []).forEach(function(p, i) {
				if (argv[i] !== undefined)
					args[p] = argv[i];
			});
			return call(opts.object, opts.method, args).then(function(data) {
				var v = applyExpect(data, opts.expect);
				return typeof opts.filter === 'function' ? opts.filter(v, args) : v;
			}, function(err) {
				/* as documented: a ubus error status resolves to the numeric
				 * code unless `reject: true` asks for a rejection */
				if (opts.reject || err.ubusStatus == null)
					throw err;
				return err.ubusStatus;
			});
		};
	},

	getSessionID: function() { return L.env.sessionid; }
});
