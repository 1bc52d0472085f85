# Shared by the IPFIX tests (collectors.sh, replay.sh, lab/export_lab.sh):
# waiting for a collector's socket, and nfacctd's configuration with the
# information elements netify exports that pmacct has no name for.

# wait_port PROTO PORT: until something listens there (udp or tcp), 5 s
wait_port() {
	i=0
	while [ $i -lt 50 ]; do
		ss -Hln"$(echo "$1" | cut -c1)" "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# nfacctd_conf DIR PORT OUT: DIR/nfacctd.conf (and DIR/prim.lst) for an
# nfacctd on 127.0.0.1:PORT printing every flow as JSON lines to OUT
nfacctd_conf() {
	cat >"$1/prim.lst" <<-EOT
	name=app_id	field_type=95	len=5	semantics=raw
	name=http_host	field_type=460	len=vlen	semantics=str
	name=rev_bytes	field_type=29305:1	len=8	semantics=u_int
	name=rev_pkts	field_type=29305:2	len=8	semantics=u_int
	name=fwd	field_type=89	len=1	semantics=u_int
	name=end_reason	field_type=136	len=1	semantics=u_int
	name=flow_id	field_type=148	len=8	semantics=u_int
	EOT
	cat >"$1/nfacctd.conf" <<-EOT
	daemonize: false
	nfacctd_ip: 127.0.0.1
	nfacctd_port: $2
	aggregate_primitives: $1/prim.lst
	plugins: print[p]
	aggregate[p]: src_host,dst_host,src_port,dst_port,proto,src_mac,dst_mac,timestamp_start,timestamp_end,class,app_id,http_host,rev_bytes,rev_pkts,fwd,end_reason,flow_id
	print_output[p]: json
	print_output_file[p]: $3
	print_output_file_append[p]: true
	print_refresh_time[p]: 1
	timestamps_since_epoch: true
	EOT
}
