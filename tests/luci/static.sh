#!/bin/sh
# Tier 1: static contract checks of luci-app-netify (TAP).
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
exec node "$here/static.js"
