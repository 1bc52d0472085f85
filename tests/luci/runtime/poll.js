'use strict';
'require baseclass';

/*
 * Stand-in for LuCI.poll: callbacks run every `interval` seconds, one
 * after the other, never overlapping a still-pending previous run.
 */

var queue = [], timer = null, tick = 0;

return baseclass.extend({
	add: function(fn, interval) {
		if (typeof fn !== 'function')
			throw new TypeError('poll.add: not a function');
		queue.push({ fn: fn, interval: interval || 5, running: false });
		this.start();
		return true;
	},

	remove: function(fn) {
		var n = queue.length;
		queue = queue.filter(function(e) { return e.fn !== fn; });
		return queue.length !== n;
	},

	start: function() {
		if (timer)
			return false;
		timer = window.setInterval(function() {
			tick++;
			queue.forEach(function(e) {
				if (e.running || tick % e.interval)
					return;
				e.running = true;
				Promise.resolve().then(e.fn).catch(function(err) { console.error('poll', err); })
					.then(function() { e.running = false; });
			});
			document.dispatchEvent(new CustomEvent('poll-tick', { detail: tick }));
		}, 1000);
		return true;
	},

	stop: function() {
		if (!timer)
			return false;
		window.clearInterval(timer);
		timer = null;
		return true;
	},

	active: function() { return timer != null; }
});
