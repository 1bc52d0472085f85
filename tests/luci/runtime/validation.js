'use strict';
'require baseclass';

/*
 * Stand-in for LuCI.validation: parses datatype expressions such as
 * "range(1,3600)" or "list(neg(ipmask))" and checks values against the
 * datatypes netify's views use.  Error texts are this stand-in's own.
 */

function isIPv4(s) {
	var p = String(s).split('.');
	return p.length === 4 && p.every(function(x) { return /^\d{1,3}$/.test(x) && +x <= 255; });
}

function isIPv6(s) {
	s = String(s);
	if (!/^[0-9a-fA-F:.]+$/.test(s) || s.indexOf(':') < 0 || (s.match(/::/g) || []).length > 1)
		return false;
	var parts = s.split(':'), v4 = parts[parts.length - 1].indexOf('.') >= 0;
	if (v4 && !isIPv4(parts.pop()))
		return false;
	var groups = parts.filter(function(x) { return x !== ''; });
	if (!groups.every(function(x) { return /^[0-9a-fA-F]{1,4}$/.test(x); }))
		return false;
	var n = groups.length + (v4 ? 2 : 0);
	return s.indexOf('::') >= 0 ? n < 8 : n === 8;
}

function prefixOk(p, max) {
	return /^\d{1,3}$/.test(p) && +p <= max;
}

var types = {
	string: function() { return true; },
	integer: function(v) { return /^-?\d+$/.test(v) || _('Expecting an integer'); },
	uinteger: function(v) { return /^\d+$/.test(v) || _('Expecting a non-negative integer'); },
	range: function(v, a) {
		return (/^-?\d+(\.\d+)?$/.test(v) && +v >= +a[0] && +v <= +a[1]) ||
			_('Expecting a value between %d and %d').format(a[0], a[1]);
	},
	min: function(v, a) { return (/^-?\d+$/.test(v) && +v >= +a[0]) || _('Expecting a value of at least %d').format(a[0]); },
	max: function(v, a) { return (/^-?\d+$/.test(v) && +v <= +a[0]) || _('Expecting a value of at most %d').format(a[0]); },
	uciname: function(v) { return /^[a-zA-Z0-9_]+$/.test(v) || _('Expecting letters, digits and underscores'); },
	netdevname: function(v) {
		return (/^[^\s\/:]{1,15}$/.test(v) && v !== '.' && v !== '..') || _('Expecting a network device name');
	},
	hostname: function(v) {
		return (/^[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?)*\.?$/.test(v) &&
			v.length <= 253) || _('Expecting a hostname');
	},
	macaddr: function(v) { return /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(v) || _('Expecting a MAC address'); },
	ipaddr: function(v) { return isIPv4(v) || isIPv6(v) || _('Expecting an IP address'); },
	ip4addr: function(v) { return isIPv4(v) || _('Expecting an IPv4 address'); },
	ip6addr: function(v) { return isIPv6(v) || _('Expecting an IPv6 address'); },
	cidr: function(v) {
		var m = String(v).split('/');
		return (m.length === 2 && ((isIPv4(m[0]) && prefixOk(m[1], 32)) || (isIPv6(m[0]) && prefixOk(m[1], 128)))) ||
			_('Expecting an address/prefix (CIDR)');
	},
	ipmask: function(v) {
		var m = String(v).split('/');
		if (m.length === 1)
			return isIPv4(m[0]) || isIPv6(m[0]) || _('Expecting an address or network');
		return (m.length === 2 && ((isIPv4(m[0]) && (prefixOk(m[1], 32) || isIPv4(m[1]))) ||
			(isIPv6(m[0]) && prefixOk(m[1], 128)))) || _('Expecting an address or network');
	},
	ipaddrport: function(v, a) {
		var m = String(v).match(/^\[([^\]]+)\]:(\d+)$/) || String(v).match(/^([^:\[\]]+):(\d+)$/);
		var bracket = a && +a[0];
		if (!m || +m[2] < 1 || +m[2] > 65535)
			return _('Expecting address:port');
		if (/^\[/.test(v))
			return isIPv6(m[1]) || _('Expecting [IPv6]:port');
		return isIPv4(m[1]) || (!bracket && isIPv6(m[1])) || _('Expecting address:port');
	},
	port: function(v) { return (/^\d+$/.test(v) && +v <= 65535) || _('Expecting a port'); },
	timehhmmss: function(v) {
		return /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/.test(v) || _('Expecting a time as hh:mm[:ss]');
	},
	dateyyyymmdd: function(v) {
		var m = String(v).match(/^(\d{4})-(\d{2})-(\d{2})$/), d;
		if (!m)
			return _('Expecting a date as YYYY-MM-DD');
		d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
		return (d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3]) || _('Expecting a valid date');
	},
	neg: function(v, a) { return check(String(v).replace(/^!\s*/, ''), a[0]); },
	or: function(v, a) {
		for (var i = 0; i < a.length; i++)
			if (check(v, a[i]) === true)
				return true;
		return _('No alternative matches');
	},
	and: function(v, a) {
		for (var i = 0; i < a.length; i++) {
			var r = check(v, a[i]);
			if (r !== true)
				return r;
		}
		return true;
	},
	list: function(v, a) {
		var items = L.toArray(v);
		for (var i = 0; i < items.length; i++) {
			var r = check(items[i], a[0]);
			if (r !== true)
				return r;
		}
		return true;
	}
};

/* "name(arg, arg)" -> { name, args }; args are numbers, strings or nested */
function parse(expr) {
	var pos = 0, s = String(expr);

	function node() {
		var m = /^\s*([a-zA-Z0-9_]+)\s*/.exec(s.slice(pos)), n;
		if (!m)
			throw new SyntaxError('bad datatype ' + s);
		pos += m[0].length;
		n = { name: m[1], args: [] };
		if (s[pos] === '(') {
			pos++;
			while (s[pos] !== ')') {
				var q = /^\s*(-?\d+(?:\.\d+)?|'[^']*'|"[^"]*")\s*/.exec(s.slice(pos));
				if (q) {
					pos += q[0].length;
					n.args.push(/^['"]/.test(q[1]) ? q[1].slice(1, -1) : q[1]);
				} else {
					n.args.push(node());
				}
				if (s[pos] === ',')
					pos++;
				else if (s[pos] !== ')')
					throw new SyntaxError('bad datatype ' + s);
			}
			pos++;
			while (s[pos] === ' ')
				pos++;
		}
		return n;
	}
	return node();
}

function check(value, n) {
	var fn = types[n.name];
	if (!fn)
		throw new Error('stand-in has no datatype ' + n.name);
	return fn(value, n.args);
}

return baseclass.extend({
	types: types,
	parse: parse,

	/* returns true or an error message */
	validate: function(value, datatype) {
		return check(value, typeof datatype === 'string' ? parse(datatype) : datatype);
	}
});
