#!/bin/sh
# Tier 2: the rpcd plugin against the built netify binary (TAP).
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
exec node "$here/rpcd.js"
