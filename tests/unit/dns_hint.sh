#!/bin/sh
# Golden test of the DNS hint cache end to end, on corpus captures holding
# both a DNS answer and a later connection that carries no server name:
# `netify classify` must name the application through the cache, say so
# (detection_source "dns") and report the name the client looked up.
# Skips when the nDPI corpus is not next to the source tree.  TAP output.
top=${top_srcdir:-.}
netify=${NETIFY:-./netify}
corpus=${NETIFY_CORPUS:-$top/../shared/corpus/ndpi}/pcap
apps="$top/policy/apps.d"

# capture, server address, server port, application, looked-up name
cases='KakaoTalk_chat.pcap 210.103.240.15 443 kakaotalk plus-talk.kakao.com
weibo.pcap 42.156.184.19 443 alicloud acjstb.aliyun.com
weibo.pcap 114.134.80.162 80 weibo weibo.com'

echo "1..3"
n=0
echo "$cases" | while read -r pcap ip port app name; do
	n=$((n + 1))
	if [ ! -r "$corpus/$pcap" ]; then
		echo "ok $n - $pcap # SKIP corpus not found"
		continue
	fi
	if "$netify" classify --no-summary --apps "$apps" "$corpus/$pcap" 2>/dev/null |
	   python3 -c '
import json, sys
ip, port, app, name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
for line in sys.stdin:
    f = json.loads(line).get("flow", {})
    if (f.get("other_ip") == ip and f.get("other_port") == port and
            f.get("detection_source") == "dns" and
            f.get("detected_application_name") == app and
            f.get("dns_host_name") == name and not f.get("host_server_name")):
        sys.exit(0)
sys.exit(1)' "$ip" "$port" "$app" "$name"; then
		echo "ok $n - $pcap: $ip:$port is $app via DNS hint $name"
	else
		echo "not ok $n - $pcap: $ip:$port is $app via DNS hint $name"
	fi
done
