'use strict';
/*
 * Locates the project's `netify` binary (NETIFY env, else ./netify in the
 * build directory, else in the source tree) and probes which subcommands
 * it has, so tests can skip with a reason instead of faking a result.
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..', '..', '..');

function binary() {
	const cands = [ process.env.NETIFY, path.resolve('netify'), path.join(root, 'netify') ].filter(Boolean);
	return cands.find((p) => {
		try {
			fs.accessSync(p, fs.constants.X_OK);
			return fs.statSync(p).isFile();
		} catch (e) {
			return false;
		}
	}) || null;
}

function run(args, input, opts) {
	const bin = binary();
	if (!bin)
		return null;
	return spawnSync(bin, args, Object.assign({ input: input || '', encoding: 'utf8', timeout: 20000 }, opts));
}

/* parsed `netify rpc list`, or null when the binary or the command is missing */
function rpcList() {
	const r = run([ 'rpc', 'list' ]);
	if (!r || r.status !== 0)
		return null;
	try {
		const v = JSON.parse(r.stdout);
		return (v && typeof v === 'object' && !Array.isArray(v)) ? v : null;
	} catch (e) {
		return null;
	}
}

/* true when `netify <cmd> --help` (or bare) is recognised as a command */
function hasCommand(cmd) {
	const r = run([ cmd, '--help' ]);
	if (!r || r.error)
		return false;
	/* main.c's words for a command left out of the build or unknown */
	return !/not part of this build|unknown command/.test((r.stdout + r.stderr).toLowerCase());
}

module.exports = { root, binary, run, rpcList, hasCommand };
