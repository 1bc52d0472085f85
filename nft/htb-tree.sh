#!/bin/sh
# An HTB tree on the LAN egress (downloads) picked by netify's QoS classes.
#
#   nft/htb-tree.sh DEV RATE [INTERACTIVE]   e.g.  nft/htb-tree.sh br-lan 90mbit 30mbit
#
# Two ways for a packet to find its HTB class, both set by netify's chain
# inet netify forward_verdict for every packet of a flow in a class:
#
# 1. skb priority: a class with `option priority` gets `meta priority set`.
#    HTB takes a packet whose priority equals one of its class ids
#    (major:minor as one number, major << 16 | minor) straight into that
#    class, no filter needed. 1:30 is 0x10030 = 65584:
#        config class 'bulk'
#            option mark '3'
#            option priority '65584'
#
# 2. packet mark: the class bits are copied into the packet mark, so a tc
#    `fw` filter with a mask matches them (needs cls_fw in the kernel).
#    Class 3 under the default mark_mask 0x00ff0000 is 0x000c0000 in the
#    mask 0x003c0000.
#
# The namespace lab (tests/lab/lab.sh) uses way 1 and checks the class
# counters with `tc -s class show`.
set -e
DEV=${1:?usage: htb-tree.sh DEV RATE}
RATE=${2:?usage: htb-tree.sh DEV RATE}
INTERACTIVE=${3:-$RATE}

tc qdisc replace dev "$DEV" root handle 1: htb default 20
tc class add dev "$DEV" parent 1: classid 1:1 htb rate "$RATE"
# interactive (voice, games): guaranteed INTERACTIVE, served first
tc class add dev "$DEV" parent 1:1 classid 1:10 htb rate "$INTERACTIVE" ceil "$RATE" prio 0
# default
tc class add dev "$DEV" parent 1:1 classid 1:20 htb rate 1kbit ceil "$RATE" prio 1
# bulk: borrows what the others leave
tc class add dev "$DEV" parent 1:1 classid 1:30 htb rate 1kbit ceil "$RATE" prio 2
for c in 10 20 30; do
	tc qdisc add dev "$DEV" parent 1:$c fq_codel 2>/dev/null ||
		echo "no fq_codel: class 1:$c keeps HTB's default leaf queue" >&2
done

# way 2, where cls_fw exists: class bits of the packet mark
if tc filter add dev "$DEV" parent 1: protocol all prio 1 handle 0x000c0000/0x003c0000 fw flowid 1:30 2>/dev/null; then
	tc filter add dev "$DEV" parent 1: protocol all prio 1 handle 0x00040000/0x003c0000 fw flowid 1:10
else
	echo "no cls_fw: classes reach HTB through skb priority only" >&2
fi
