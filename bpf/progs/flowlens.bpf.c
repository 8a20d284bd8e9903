// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Flowlens kernel programs: one object so the tc programs and the tracepoints share fl_events. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "flowlens/abi.h"

#include "consts.h"
#include "maps.h"
#include "emit.h"
#include "parse.h"
#include "endpoint.h"
#include "flow_tc.h"
#include "policy.h"
#include "frag.h"
#include "tc.h"
#include "sock_policy.h"
#include "l7_redirect.h"
#include "trace_sock.h"
#include "trace_drop.h"
#include "trace_retrans.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Keep every ABI record type in the object's BTF (records are only built through pointers),
 * so user space can check its layout against the compiled object. */
const struct fl_record_hdr *fl_btf_hdr __attribute__((unused));
const struct fl_flow_record *fl_btf_flow __attribute__((unused));
const struct fl_drop_record *fl_btf_drop __attribute__((unused));
const struct fl_sock_record *fl_btf_sock __attribute__((unused));
const struct fl_retrans_record *fl_btf_retrans __attribute__((unused));
const struct fl_policy_record *fl_btf_policy __attribute__((unused));
