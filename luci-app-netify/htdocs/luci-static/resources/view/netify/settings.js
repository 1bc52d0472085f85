'use strict';
'require view';
'require form';
'require uci';
'require netify.common as netify';

/*
 * Settings: the single `config netify 'main'` section.  Every field is
 * validated in the browser with the same limits the daemon's `netify check`
 * enforces, so Save & Apply does not roll back on a typo.
 */

function validQueue(sid, value) {
	var m = String(value || '').match(/^(\d+)(?:-(\d+))?$/);

	if (value == null || value === '')
		return true;
	if (!m || +m[1] > 65535 || (m[2] != null && (+m[2] > 65535 || +m[2] < +m[1])))
		return _('Expecting a queue number 0-65535 or a range such as 0-3');
	return true;
}

function validMask(sid, value) {
	if (value == null || value === '')
		return true;
	if (!/^0x[0-9a-fA-F]{1,8}$/.test(value) || parseInt(value, 16) == 0)
		return _('Expecting a non-zero 32-bit hexadecimal mask such as 0x00ff0000');
	return true;
}

function validPath(sid, value) {
	if (value == null || value === '')
		return true;
	if (!/^\/[^\s]*$/.test(value))
		return _('Expecting an absolute path');
	return true;
}

function validGroup(sid, value) {
	if (value == null || value === '')
		return true;
	if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(value))
		return _('Expecting a system group name');
	return true;
}

/* [udp://|tcp://]host[:port], an IPv6 address as [addr]:port: what the
 * daemon's util_endpoint_parse() takes */
function validCollector(sid, value) {
	var m, host, port;

	if (value == null || value === '')
		return true;
	m = String(value).match(/^(?:(udp|tcp):\/\/)?(?:\[([0-9A-Fa-f:.]+)\]|([^\s:\/\[\]]+))(?::(\d+))?$/);
	host = m && (m[2] || m[3]);
	port = m && m[4];
	if (!m || !host || host.length > 255 || (port != null && (+port < 1 || +port > 65535)))
		return _('Expecting host:port, udp://host:port or tcp://host:port (an IPv6 address as [addr]:port)');
	return true;
}

return view.extend({
	load: function() {
		return Promise.all([
			netify.call('status'),
			uci.load('netify')
		]);
	},

	render: function(data) {
		var res = data[0], status = res.data || {}, m, s, x, o;

		m = new form.Map('netify', _('Netify - Settings'),
			_('Daemon settings. Changes take effect when applied; the daemon reloads its configuration without dropping tracked flows where it can.'));

		m.description = E('div', {}, [
			m.description,
			netify.problem([ res ], _('The netify daemon is not running: these settings apply when it starts.')),
			status.flow_offloading ? E('div', { 'class': 'alert-message warning netify-offload-warning' },
				_('Flow offloading is enabled in the firewall settings. Offloaded connections skip the netfilter hooks netify relies on, so blocks and QoS marks may not hold for long-lived connections. Disable software and hardware flow offloading for reliable enforcement.')) : ''
		]);

		s = m.section(form.NamedSection, 'main', 'netify');
		s.addremove = false;

		s.tab('general', _('General Settings'));
		s.tab('network', _('Interfaces'));
		s.tab('enforce', _('Enforcement'));
		s.tab('monitor', _('Monitoring'));
		s.tab('usage', _('Usage'));
		s.tab('advanced', _('Advanced Settings'));

		o = s.taboption('general', form.Flag, 'enabled', _('Enable'));
		o.rmempty = false;
		o.default = o.enabled;

		o = s.taboption('general', form.ListValue, 'log_level', _('Log level'));
		o.default = 'notice';
		[ 'err', 'warning', 'notice', 'info', 'debug' ].forEach(function(l) { o.value(l); });

		o = s.taboption('general', form.Value, 'apps_dir', _('Applications directory'),
			_('Extra application definitions are read from this directory.'));
		o.placeholder = '/etc/netify/apps.d';
		o.validate = validPath;

		o = s.taboption('network', form.DynamicList, 'lan_interface', _('LAN interfaces'));
		o.datatype = 'netdevname';
		o.placeholder = 'br-lan';

		o = s.taboption('network', form.DynamicList, 'wan_interface', _('WAN interfaces'),
			_('Several are allowed, e.g. with mwan3.'));
		o.datatype = 'netdevname';
		o.placeholder = 'wan';

		o = s.taboption('network', form.DynamicList, 'lan_network', _('LAN networks'));
		o.datatype = 'cidr';
		o.placeholder = '192.168.1.0/24';

		o = s.taboption('network', form.DynamicList, 'wan_network', _('WAN networks'));
		o.datatype = 'cidr';

		o = s.taboption('enforce', form.Value, 'queue', _('NFQUEUE number'),
			_('A single queue or a range such as 0-3; one worker runs per queue.'));
		o.placeholder = '0';
		o.validate = validQueue;

		o = s.taboption('enforce', form.Value, 'packet_budget', _('Packets inspected per flow'),
			_('0 inspects until classification completes.'));
		o.datatype = 'range(0,1024)';
		o.placeholder = '32';

		o = s.taboption('enforce', form.Flag, 'fail_open', _('Fail open'),
			_('Let traffic through when the queue is full or the daemon is not running.'));
		o.default = o.enabled;
		o.rmempty = false;

		o = s.taboption('enforce', form.ListValue, 'block_mode', _('Block with'));
		o.value('reject', _('reject (TCP reset / ICMP unreachable)'));
		o.value('drop', _('drop silently'));
		o.default = 'reject';

		o = s.taboption('enforce', form.Value, 'block_timeout', _('Block timeout (s)'),
			_('How long a blocked endpoint stays in the block set.'));
		o.datatype = 'range(1,86400)';
		o.placeholder = '300';

		o = s.taboption('enforce', form.Flag, 'input_chain', _('Inspect traffic to the router'));
		o.default = o.disabled;

		o = s.taboption('enforce', form.Flag, 'output_chain', _('Inspect traffic from the router'));
		o.default = o.disabled;

		o = s.taboption('enforce', form.Flag, 'keep_blocking', _('Keep blocking when stopped'),
			_('Leave block rules in place when the daemon exits.'));
		o.default = o.disabled;

		o = s.taboption('monitor', form.Value, 'monitor_socket', _('Monitor socket'));
		o.placeholder = '/var/run/netify/netify.sock';
		o.validate = validPath;

		o = s.taboption('monitor', form.Value, 'monitor_group', _('Socket group'),
			_('Group owning the sockets (mode 0660).'));
		o.placeholder = 'netify';
		o.validate = validGroup;

		o = s.taboption('monitor', form.DynamicList, 'monitor_tcp', _('TCP listeners'),
			_('Optional, e.g. 127.0.0.1:7150. The stream is unauthenticated: keep it on the loopback or the LAN.'));
		o.datatype = 'ipaddrport(1)';

		o = s.taboption('monitor', form.ListValue, 'monitor_framing', _('Stream framing'));
		o.value('ndjson', _('newline-delimited JSON'));
		o.value('netify', _('netify agent framing'));
		o.default = 'ndjson';

		o = s.taboption('monitor', form.Value, 'control_socket', _('Control socket'));
		o.placeholder = '/var/run/netify/control.sock';
		o.validate = validPath;

		o = s.taboption('monitor', form.Value, 'status_interval', _('Status interval (s)'));
		o.datatype = 'range(1,3600)';
		o.placeholder = '10';

		o = s.taboption('usage', form.Flag, 'usage', _('Count usage'),
			_('What each device uses of each application, from the kernel\'s connection counters. Without it, daily limits never apply. The usage settings take effect when the daemon starts.'));
		o.default = o.enabled;
		o.rmempty = false;

		o = s.taboption('usage', form.Value, 'reset_time', _('Day starts at (hh:mm)'),
			_('When a usage day starts and the daily limits renew, local time.'));
		o.placeholder = '00:00';
		o.validate = function(sid, value) {
			return (!value || /^([01]\d|2[0-3]):[0-5]\d$/.test(value)) ? true : _('Expecting a time of day as hh:mm, 00:00 to 23:59');
		};

		o = s.taboption('usage', form.Value, 'usage_dir', _('State directory'),
			_('Where the usage is saved; keep it in RAM (tmpfs).'));
		o.placeholder = '/var/run/netify';
		o.validate = validPath;

		o = s.taboption('usage', form.Value, 'usage_save_interval', _('Save every (s)'));
		o.datatype = 'range(60,86400)';
		o.placeholder = '300';

		o = s.taboption('usage', form.Value, 'usage_persist_dir', _('Copy kept across reboots'),
			_('Optional: a directory on flash, written rarely.'));
		o.validate = validPath;

		o = s.taboption('usage', form.Value, 'usage_persist_interval', _('Copy every (s)'));
		o.datatype = 'range(3600,604800)';
		o.placeholder = '21600';

		o = s.taboption('usage', form.Value, 'usage_max_entries', _('Usage entries'),
			_('Device and application pairs kept (2 KiB each).'));
		o.datatype = 'range(64,1048576)';
		o.placeholder = '4096';

		o = s.taboption('usage', form.Value, 'usage_min_bytes', _('Bytes for an active minute'));
		o.datatype = 'range(1,1000000000)';
		o.placeholder = '1';

		o = s.taboption('usage', form.Value, 'usage_refresh', _('Volume limit reads (s)'),
			_('How often the connections of rules with a volume limit are read.'));
		o.datatype = 'range(1,60)';
		o.placeholder = '2';

		o = s.taboption('advanced', form.Value, 'mark_mask', _('Mark mask'),
			_('Bits of the packet and connection mark netify may use. Must not overlap marks used by other packages (mwan3, SQM).'));
		o.placeholder = '0x00ff0000';
		o.validate = validMask;

		o = s.taboption('advanced', form.Value, 'flow_table_size', _('Flow table size'));
		o.datatype = 'range(1024,4194304)';
		o.placeholder = _('from RAM');

		o = s.taboption('advanced', form.Value, 'dns_cache_size', _('DNS cache size'));
		o.datatype = 'range(256,1048576)';
		o.placeholder = _('from RAM');

		o = s.taboption('advanced', form.Value, 'dns_ttl_min', _('Minimum DNS TTL (s)'));
		o.datatype = 'uinteger';
		o.placeholder = '60';

		o = s.taboption('advanced', form.Value, 'dns_ttl_max', _('Maximum DNS TTL (s)'));
		o.datatype = 'uinteger';
		o.placeholder = '86400';
		o.validate = function(sid, value) {
			var min = this.section.formvalue(sid, 'dns_ttl_min') || '60';

			if (value && +value < +min)
				return _('Must not be smaller than the minimum TTL');
			return true;
		};

		/* config export: IPFIX flow records to collectors */
		x = m.section(form.TypedSection, 'export', _('Flow export (IPFIX)'),
			_('One IPFIX record per connection when it ends, and one every active timeout while it lasts, with the application, to collectors such as nfcapd, nfacctd or ntopng. Records a collector cannot take are dropped and counted; traffic never waits. These settings take effect when the daemon starts.'));
		x.anonymous = true;
		x.addremove = true;

		o = x.option(form.Flag, 'enabled', _('Export flow records'));
		o.rmempty = false;

		o = x.option(form.DynamicList, 'collector', _('Collectors'),
			_('Up to 8, as host:port (UDP), udp://host:port or tcp://host:port; port 4739 when omitted.'));
		o.validate = validCollector;
		o.placeholder = 'udp://192.0.2.10:4739';

		o = x.option(form.Value, 'observation_domain', _('Observation domain'),
			_('A number per router, so a collector tells routers apart.'));
		o.datatype = 'range(0,4294967295)';
		o.placeholder = '1';

		o = x.option(form.Value, 'active_timeout', _('Active timeout (s)'),
			_('Seconds between records of a connection that goes on; 0 sends a record at the end only.'));
		o.datatype = 'range(0,86400)';
		o.placeholder = '120';

		o = x.option(form.Value, 'template_refresh', _('Template refresh (s)'));
		o.datatype = 'range(1,86400)';
		o.placeholder = '60';

		o = x.option(form.Value, 'template_refresh_packets', _('Template refresh (messages)'));
		o.datatype = 'range(0,1000000)';
		o.placeholder = '1000';

		o = x.option(form.Value, 'mtu', _('Message size (bytes)'));
		o.datatype = 'range(512,65535)';
		o.placeholder = '1400';

		o = x.option(form.Value, 'queue', _('Queue (records)'),
			_('Records waiting to be sent; when it is full, records are dropped and counted.'));
		o.datatype = 'range(16,1048576)';
		o.placeholder = '512';

		o = x.option(form.Value, 'rate', _('Rate limit (records/s)'),
			_('0 for no limit.'));
		o.datatype = 'range(0,10000000)';
		o.placeholder = '20000';

		o = x.option(form.Value, 'flush', _('Flush after (ms)'));
		o.datatype = 'range(10,60000)';
		o.placeholder = '500';

		o = x.option(form.Value, 'max_conns', _('Connections kept'),
			_('Connections remembered until the kernel reports their end.'));
		o.datatype = 'range(64,16777216)';
		o.placeholder = '8192';

		o = x.option(form.Value, 'pen', _('Enterprise number'),
			_('IANA Private Enterprise Number for netify\'s own elements (nDPI protocol, action, rule, QoS class); 0 does not send them.'));
		o.datatype = 'range(0,4294967295)';
		o.placeholder = '0';

		return m.render();
	}
});
