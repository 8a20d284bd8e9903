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
#include "trace_sock.h"
#include "trace_drop.h"
#include "trace_retrans.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
