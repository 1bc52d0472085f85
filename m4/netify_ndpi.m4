# netify_ndpi.m4: probes of the installed nDPI's API, for src/dpi.c's
# compat layer (nDPI 4.2 on Debian, 4.8 on OpenWrt 23.05/24.10, 4.11-dev,
# 5.0 on OpenWrt master), and of the gcry_* symbols a default libndpi
# exports (its bundled "gcrypt-light").
#
# Each probe compiles a call with -Werror, so that an older header rejects
# a newer call instead of warning about it. Where every known form of a
# call fails, configure stops: dpi.c must never guess an nDPI API.
#
# nDPI 5.0: no 5.0 source was at hand when these probes were written. The
# 5.0 forms (two-argument ndpi_detection_giveup, ndpi_protocol.state in
# place of ndpi_extra_dissection_possible, ndpi_get_num_protocols) follow
# its published API (release notes and ndpi_api.h), not a compiled build.

# NETIFY_NDPI_PROBE(MESSAGE, BODY, DEFINE, DESCRIPTION, SHELLVAR)
# Compiles BODY against <ndpi_api.h>; yes defines DEFINE. SHELLVAR=yes|no.
AC_DEFUN([NETIFY_NDPI_PROBE], [
  AC_MSG_CHECKING([$1])
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <ndpi_api.h>]], [[$2]])],
    [AC_MSG_RESULT([yes])
     AC_DEFINE([$3], [1], [$4])
     $5=yes],
    [AC_MSG_RESULT([no])
     $5=no])
])

AC_DEFUN([NETIFY_NDPI], [
saved_CFLAGS=$CFLAGS; saved_LIBS=$LIBS
CFLAGS="$CFLAGS $NDPI_CFLAGS -Werror"; LIBS="$LIBS $NDPI_LIBS"

NETIFY_NDPI_PROBE([whether ndpi_detection_process_packet takes input_info (nDPI >= 4.4)],
  [struct ndpi_flow_input_info ii; (void)ndpi_detection_process_packet(0, 0, 0, 0, 0, &ii);],
  [NDPI_HAVE_INPUT_INFO], [process_packet takes input_info], [ndpi_input_info])
NETIFY_NDPI_PROBE([whether ndpi_init_detection_module takes a global context (nDPI after 4.8)],
  [struct ndpi_global_context *g = 0; (void)ndpi_init_detection_module(g);],
  [NDPI_HAVE_GLOBAL_CTX], [init takes ndpi_global_context], [ndpi_global_ctx])
NETIFY_NDPI_PROBE([whether ndpi_finalize_initialization returns int],
  [int r = ndpi_finalize_initialization(0); (void)r;],
  [NDPI_FINALIZE_RETURNS_INT], [finalize returns int], [ndpi_finalize_int])
NETIFY_NDPI_PROBE([whether ndpi_protocol has proto.master_protocol (nDPI after 4.10)],
  [ndpi_protocol p; p.proto.master_protocol = 0; (void)p;],
  [NDPI_PROTOCOL_HAS_PROTO], [ndpi_protocol fields moved under .proto], [ndpi_moved_fields])
NETIFY_NDPI_PROBE([whether ndpi_protocol has protocol_by_ip (nDPI >= 4.6)],
  [ndpi_protocol p; p.protocol_by_ip = 0; (void)p;],
  [NDPI_HAVE_PROTOCOL_BY_IP], [ndpi_protocol.protocol_by_ip names the server's network], [ndpi_by_ip])
NETIFY_NDPI_PROBE([whether ndpi_set_protocol_detection_bitmask2 exists (removed in nDPI 5.0)],
  [NDPI_PROTOCOL_BITMASK b; NDPI_BITMASK_SET_ALL(b); ndpi_set_protocol_detection_bitmask2(0, &b);],
  [NDPI_HAVE_BITMASK], [protocol bitmask API present], [ndpi_bitmask])

dnl nDPI up to 4.6 reassembles TLS in one buffer per flow (later: one per
dnl direction): its pending record header is read there (dpi.c).
NETIFY_NDPI_PROBE([whether a flow has one TLS reassembly buffer (nDPI <= 4.6)],
  [struct ndpi_flow_struct f; f.l4.tcp.tls.message.buffer_used = 0; (void)f;],
  [NDPI_TLS_ONE_BUFFER], [l4.tcp.tls.message is a single buffer], [ndpi_tls_one_buffer])

dnl The flow-risk address lists (netify reads no risk): 4.6-4.8 skip them
dnl with an init preference, 4.10 and later with a configuration key.
NETIFY_NDPI_PROBE([whether nDPI has the ndpi_dont_init_risk_ptree preference (nDPI 4.6-4.8)],
  [ndpi_prefs p = ndpi_dont_init_risk_ptree; (void)p;],
  [NDPI_HAVE_PREF_NO_RISK_PTREE], [init preference ndpi_dont_init_risk_ptree], [ndpi_pref_risk])
NETIFY_NDPI_PROBE([whether ndpi_set_config exists (nDPI >= 4.10)],
  [ndpi_cfg_error e = ndpi_set_config(0, 0, "flow_risk_lists.load", "0"); (void)e;],
  [NDPI_HAVE_SET_CONFIG], [ndpi_set_config (string configuration keys)], [ndpi_set_config])

dnl ndpi_detection_giveup: (mod, flow, enable_guess, &guessed) until 4.8,
dnl (mod, flow, &guessed) from 4.10, (mod, flow) in 5.0.
NETIFY_NDPI_PROBE([whether ndpi_detection_giveup takes enable_guess (nDPI < 4.10)],
  [u_int8_t g; (void)ndpi_detection_giveup(0, 0, 1, &g);],
  [NDPI_GIVEUP_HAS_ENABLE_GUESS], [giveup takes enable_guess], [ndpi_giveup4])
NETIFY_NDPI_PROBE([whether ndpi_detection_giveup takes three arguments (nDPI 4.10, 4.11)],
  [u_int8_t g; (void)ndpi_detection_giveup(0, 0, &g);],
  [NDPI_GIVEUP_3], [giveup takes (mod, flow, &guessed)], [ndpi_giveup3])
NETIFY_NDPI_PROBE([whether ndpi_detection_giveup takes two arguments (nDPI 5.0)],
  [ndpi_protocol p = ndpi_detection_giveup(0, 0); (void)p;],
  [NDPI_GIVEUP_2], [giveup takes (mod, flow)], [ndpi_giveup2])
AS_IF([test "$ndpi_giveup4$ndpi_giveup3$ndpi_giveup2" = nonono],
  [AC_MSG_ERROR([ndpi_detection_giveup has none of the forms netify knows (4, 3 or 2 arguments): see src/dpi.c and m4/netify_ndpi.m4])])

dnl Whether nDPI has more to collect on a classified flow.
NETIFY_NDPI_PROBE([whether ndpi_extra_dissection_possible exists (gone in nDPI 5.0)],
  [u_int8_t x = ndpi_extra_dissection_possible(0, 0); (void)x;],
  [NDPI_HAVE_EXTRA_DISSECTION], [ndpi_extra_dissection_possible exists], [ndpi_extra])
NETIFY_NDPI_PROBE([whether ndpi_protocol carries a classification state (nDPI 5.0)],
  [ndpi_protocol p; p.state = NDPI_STATE_CLASSIFIED; (void)p;],
  [NDPI_HAVE_STATE], [ndpi_protocol.state (NDPI_STATE_*)], [ndpi_state])
AS_IF([test "$ndpi_extra$ndpi_state" = nono],
  [AC_MSG_ERROR([nDPI has neither ndpi_extra_dissection_possible() nor ndpi_protocol.state: netify cannot tell when a flow is done])])
AS_IF([test "$ndpi_giveup2" = yes && test "$ndpi_state" != yes],
  [AC_MSG_ERROR([two-argument ndpi_detection_giveup without ndpi_protocol.state: an nDPI API netify does not know])])

dnl With the two-argument giveup, whether nDPI guessed is read from the flow.
AS_IF([test "$ndpi_giveup2" = yes], [
  NETIFY_NDPI_PROBE([whether flows carry a detection confidence (by port, by IP)],
    [struct ndpi_flow_struct f; f.confidence = NDPI_CONFIDENCE_MATCH_BY_PORT; (void)f;],
    [NDPI_HAVE_CONFIDENCE], [flow.confidence], [ndpi_confidence])
  AS_IF([test "$ndpi_confidence" != yes],
    [AC_MSG_ERROR([two-argument ndpi_detection_giveup but no flow confidence: cannot tell a guess])])
])

dnl 4.2 puts the application it names by address in app_protocol, 4.6 to
dnl 4.11 in protocol_by_ip; a 5.0 without it would lose it unnoticed.
AS_IF([test "$ndpi_giveup2" = yes && test "$ndpi_by_ip" != yes],
  [AC_MSG_WARN([nDPI 5.0 without ndpi_protocol.protocol_by_ip: the applications nDPI names by address are not read (src/dpi.c PROTO_BY_IP)])])

NETIFY_NDPI_PROBE([whether ndpi_get_num_protocols exists (nDPI 5.0)],
  [u_int n = ndpi_get_num_protocols(0); (void)n;],
  [NDPI_HAVE_NUM_PROTOCOLS], [ndpi_get_num_protocols], [ndpi_num_protocols])
AS_IF([test "$ndpi_num_protocols" != yes], [
  NETIFY_NDPI_PROBE([whether ndpi_get_num_supported_protocols exists (nDPI < 5.0)],
    [u_int n = ndpi_get_num_supported_protocols(0); (void)n;],
    [NDPI_HAVE_NUM_SUPPORTED], [ndpi_get_num_supported_protocols], [ndpi_num_supported])
  AS_IF([test "$ndpi_num_supported" != yes],
    [AC_MSG_ERROR([nDPI has neither ndpi_get_num_protocols() nor ndpi_get_num_supported_protocols()])])
])

NETIFY_NDPI_PROBE([whether nDPI flows carry JA3 hashes],
  [struct ndpi_flow_struct f; (void)f.protos.tls_quic.ja3_client[0];],
  [NDPI_HAVE_JA3], [tls_quic.ja3_client exists], [ndpi_ja3])
dnl ALPN moved: 4.2 keeps tls_quic.alpn, later releases advertised_alpns
AC_MSG_CHECKING([which field holds the TLS ALPN list])
AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <ndpi_api.h>]],
  [[struct ndpi_flow_struct f; (void)f.protos.tls_quic.alpn;]])],
  [AC_MSG_RESULT([alpn]); AC_DEFINE([NDPI_TLS_ALPN_FIELD], [alpn], [tls_quic ALPN member])],
  [AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <ndpi_api.h>]],
    [[struct ndpi_flow_struct f; (void)f.protos.tls_quic.advertised_alpns;]])],
    [AC_MSG_RESULT([advertised_alpns]); AC_DEFINE([NDPI_TLS_ALPN_FIELD], [advertised_alpns], [tls_quic ALPN member])],
    [AC_MSG_RESULT([none])])])

dnl A default libndpi (OpenWrt's, or nDPI built without
dnl --with-local-libgcrypt) defines gcry_* and mbedtls_* functions of its
dnl own. A program that calls libgcrypt while linked with such a libndpi
dnl gets libndpi's functions: the dynamic linker takes the first
dnl definition in load order, versioned or not. The probe links a gcry_*
dnl call against libndpi alone (not the -lgcrypt a libndpi built with the
dnl system libgcrypt lists in its .pc file): if that links, libndpi
dnl defines them.
AC_MSG_CHECKING([whether libndpi exports gcry_* functions of its own (gcrypt-light)])
CFLAGS=$saved_CFLAGS
LIBS="$saved_LIBS `$PKG_CONFIG --libs-only-L libndpi` -lndpi"
AC_LINK_IFELSE([AC_LANG_PROGRAM([[char gcry_cipher_open(void);]], [[return gcry_cipher_open();]])],
  [AC_MSG_RESULT([yes: src/crypto.c binds libgcrypt by handle])
   AC_DEFINE([NDPI_EXPORTS_GCRYPT], [1], [libndpi defines gcry_* symbols])
   ndpi_gcry=yes],
  [AC_MSG_RESULT([no]); ndpi_gcry=no])
CFLAGS=$saved_CFLAGS; LIBS=$saved_LIBS
])

# NETIFY_NDPI_READER: the ndpiReader of the same nDPI version (beside the
# library's prefix first, then PATH), for the golden tests' reference. It
# is kept only when it reports the library's version; else the tests that
# compare with it skip, and say why.
AC_DEFUN([NETIFY_NDPI_READER], [
ndpi_version=`$PKG_CONFIG --modversion libndpi`
ndpi_prefix=`$PKG_CONFIG --variable=prefix libndpi`
AC_PATH_PROG([NDPI_READER], [ndpiReader], [], [$ndpi_prefix/bin$PATH_SEPARATOR$PATH])
AS_IF([test -n "$NDPI_READER"], [
  AC_MSG_CHECKING([whether $NDPI_READER is nDPI $ndpi_version])
  AS_IF([$NDPI_READER -h 2>&1 | grep -q "nDPI $ndpi_version"],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no: the golden tests that compare with it will skip])
     NDPI_READER=])
])
AC_SUBST([NDPI_READER])
])
