'use strict';
'require baseclass';
'require rpc';

/*
 * Stand-in for LuCI.uci: a client-side working copy of each loaded config.
 * save() sends the difference to the loaded state through the ubus `uci`
 * object (add / set / delete / order), as LuCI does; apply() asks the
 * server to commit.  Change tracking is by diffing, which is simpler than
 * LuCI's change log but sends the same kind of calls.
 */

var callGet = rpc.declare({ object: 'uci', method: 'get', params: [ 'config' ], expect: { values: {} }, reject: true });
var callAdd = rpc.declare({ object: 'uci', method: 'add', params: [ 'config', 'type', 'name', 'values' ], expect: { section: '' }, reject: true });
var callSet = rpc.declare({ object: 'uci', method: 'set', params: [ 'config', 'section', 'values' ], reject: true });
var callDelete = rpc.declare({ object: 'uci', method: 'delete', params: [ 'config', 'section', 'options' ], reject: true });
var callOrder = rpc.declare({ object: 'uci', method: 'order', params: [ 'config', 'sections' ], reject: true });
var callApply = rpc.declare({ object: 'uci', method: 'apply', params: [ 'rollback', 'timeout' ], reject: true });
var callConfirm = rpc.declare({ object: 'uci', method: 'confirm', reject: true });
var callChanges = rpc.declare({ object: 'uci', method: 'changes', expect: { changes: {} }, reject: true });

var loaded = {};	/* conf -> sections as last loaded from the server */
var work = {};		/* conf -> working copy */
var newSeq = 0;

function clone(o) { return JSON.parse(JSON.stringify(o)); }

function isMeta(k) { return k.charAt(0) === '.'; }

function sameValue(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

function ordered(conf) {
	var secs = work[conf] || {};
	return Object.keys(secs).map(function(k) { return secs[k]; })
		.sort(function(a, b) { return a['.index'] - b['.index']; });
}

function renumber(list) {
	list.forEach(function(s, i) { s['.index'] = i; });
}

return baseclass.extend({
	load: function(confs) {
		return Promise.all(L.toArray(confs).map(function(conf) {
			if (work[conf])
				return conf;
			return callGet(conf).then(function(values) {
				loaded[conf] = values;
				work[conf] = clone(values);
				return conf;
			});
		}));
	},

	unload: function(confs) {
		L.toArray(confs).forEach(function(c) { delete loaded[c]; delete work[c]; });
	},

	sections: function(conf, type, cb) {
		var list = ordered(conf).filter(function(s) { return type == null || s['.type'] === type; });
		if (typeof cb === 'function')
			list.forEach(function(s) { cb.call(this, s, s['.name']); });
		return list;
	},

	get: function(conf, sid, opt) {
		var s = work[conf] && work[conf][sid];

		if (!s)
			return null;
		if (opt == null)
			return s;
		return s.hasOwnProperty(opt) ? s[opt] : null;
	},

	get_first: function(conf, type, opt) {
		var s = this.sections(conf, type)[0];
		return s ? this.get(conf, s['.name'], opt) : null;
	},

	set: function(conf, sid, opt, value) {
		var s = work[conf] && work[conf][sid];

		if (!s || isMeta(opt))
			return;
		if (value == null || value === '' || (Array.isArray(value) && !value.length))
			delete s[opt];
		else
			s[opt] = Array.isArray(value) ? value.map(String) : String(value);
	},

	unset: function(conf, sid, opt) { this.set(conf, sid, opt, null); },

	add: function(conf, type, name) {
		var list = ordered(conf), sid = name || ('new' + (++newSeq) + Math.random().toString(16).slice(2, 8));

		work[conf] = work[conf] || {};
		work[conf][sid] = { '.name': sid, '.type': type, '.anonymous': !name, '.index': list.length, '.new': true };
		return sid;
	},

	remove: function(conf, sid) {
		if (work[conf] && work[conf][sid]) {
			delete work[conf][sid];
			renumber(ordered(conf));
		}
	},

	move: function(conf, sid1, sid2, after) {
		var list = ordered(conf), a = list.filter(function(s) { return s['.name'] === sid1; })[0], pos;

		if (!a)
			return false;
		list.splice(list.indexOf(a), 1);
		pos = sid2 == null ? (after ? list.length : 0)
			: list.findIndex(function(s) { return s['.name'] === sid2; }) + (after ? 1 : 0);
		list.splice(Math.max(0, pos), 0, a);
		renumber(list);
		return true;
	},

	/* the calls that turn the loaded state into the working copy */
	diff: function(conf) {
		var old = loaded[conf] || {}, cur = work[conf] || {}, calls = [];

		Object.keys(old).forEach(function(sid) {
			if (!cur[sid])
				calls.push([ 'delete', sid ]);
		});
		ordered(conf).forEach(function(s) {
			var sid = s['.name'], values = {}, gone = [];

			Object.keys(s).filter(function(k) { return !isMeta(k); }).forEach(function(k) {
				if (!old[sid] || !sameValue(old[sid][k], s[k]))
					values[k] = s[k];
			});
			if (old[sid])
				Object.keys(old[sid]).filter(function(k) { return !isMeta(k) && !s.hasOwnProperty(k); })
					.forEach(function(k) { gone.push(k); });
			if (!old[sid])
				calls.push([ 'add', sid, s['.type'], s['.anonymous'] ? undefined : sid, values ]);
			else if (Object.keys(values).length)
				calls.push([ 'set', sid, values ]);
			if (gone.length)
				calls.push([ 'deleteopts', sid, gone ]);
		});

		var before = Object.keys(old).filter(function(k) { return cur[k]; })
			.sort(function(a, b) { return old[a]['.index'] - old[b]['.index']; });
		var after = ordered(conf).map(function(s) { return s['.name']; }).filter(function(k) { return old[k]; });
		var hasNew = ordered(conf).some(function(s) { return !old[s['.name']]; });
		if (!sameValue(before, after) || hasNew)
			calls.push([ 'order' ]);
		return calls;
	},

	changed: function(conf) { return this.diff(conf).length > 0; },

	save: function() {
		var self = this, confs = Object.keys(work).filter(function(c) { return self.changed(c); });

		return confs.reduce(function(p, conf) {
			var realName = {};

			return self.diff(conf).reduce(function(q, c) {
				return q.then(function() {
					switch (c[0]) {
					case 'delete': return callDelete(conf, c[1]);
					case 'add':
						return callAdd(conf, c[2], c[3], c[4]).then(function(sid) { realName[c[1]] = sid; });
					case 'set': return callSet(conf, c[1], c[2]);
					case 'deleteopts': return callDelete(conf, c[1], c[2]);
					case 'order':
						return callOrder(conf, ordered(conf).map(function(s) { return realName[s['.name']] || s['.name']; }));
					}
				});
			}, p);
		}, Promise.resolve()).then(function() {
			self.unload(confs);
			return self.load(confs);
		});
	},

	apply: function(timeout) {
		return callApply(true, timeout || 10).then(function() { return callConfirm(); });
	},

	changes: function() { return callChanges(); }
});
