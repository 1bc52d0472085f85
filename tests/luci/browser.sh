#!/bin/sh
# Tier 3: the views in headless Chromium with the LuCI stand-in (TAP).
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
exec node "$here/browser.js"
