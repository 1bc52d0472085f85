'use strict';
/* Minimal TAP producer: tests are queued, then run in order with a plan. */

const queue = [];

function test(name, fn) {
	queue.push({ name, fn });
}

async function run() {
	let n = 0, failed = 0;

	console.log(`1..${queue.length}`);
	for (const t of queue) {
		n++;
		let res;
		try {
			res = await t.fn();
		} catch (e) {
			res = { fail: (e && e.stack) || String(e) };
		}
		if (res && res.skip) {
			console.log(`ok ${n} - ${t.name} # SKIP ${res.skip}`);
		} else if (res && res.fail) {
			failed++;
			console.log(`not ok ${n} - ${t.name}`);
			String(res.fail).split('\n').forEach((l) => console.log(`# ${l}`));
		} else {
			console.log(`ok ${n} - ${t.name}`);
		}
	}
	return failed;
}

/* helper: collect problems, fail with all of them at once */
function problems(list) {
	return list.length ? { fail: list.join('\n') } : null;
}

module.exports = { test, run, problems };
