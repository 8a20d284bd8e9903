// Attachments: tc (clsact) filters, tracepoints, cgroup hooks, plus BPF_PROG_TEST_RUN; links detach on close.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <mutex>

#include "common.h"
#include "libbpf_log.h"

namespace {

// Clsact qdiscs per ifindex: how many of our filters use each, and whether we created it (then we delete it).
struct ClsactUse {
  int refs = 0;
  bool created = false;
};
std::mutex clsactMu;
std::map<int, ClsactUse> clsacts;

bpf_tc_hook TcHook(int ifindex, bpf_tc_attach_point point) {
  bpf_tc_hook hook{};
  hook.sz = sizeof hook;
  hook.ifindex = ifindex;
  hook.attach_point = point;
  return hook;
}

bpf_tc_opts TcOpts(uint32_t handle, uint32_t priority) {
  bpf_tc_opts opts{};
  opts.sz = sizeof opts;
  opts.handle = handle;
  opts.priority = priority;
  return opts;
}

bpf_program* FindProgram(const Napi::CallbackInfo& info, ObjectHandle** owner) {
  ObjectHandle* h = Unwrap<ObjectHandle>(info, 0, &kObjectTag, "BPF object");
  if (h == nullptr) return nullptr;
  std::string name = info[1].As<Napi::String>().Utf8Value();
  bpf_program* prog = bpf_object__find_program_by_name(h->obj, name.c_str());
  if (prog == nullptr) {
    ThrowErrno(info.Env(), "find program " + name, ENOENT);
    return nullptr;
  }
  if (owner) *owner = h;
  return prog;
}

Napi::Value NewLink(Napi::Env env, LinkHandle* link) {
  State(env)->links.insert(link);
  return Wrap(env, link, &kLinkTag);
}

Napi::Value AttachTc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ObjectHandle* owner;
  bpf_program* prog = FindProgram(info, &owner);
  if (prog == nullptr) return env.Undefined();
  int ifindex = info[2].As<Napi::Number>().Int32Value();
  bool ingress = info[3].As<Napi::Boolean>().Value();
  uint32_t priority = info[4].As<Napi::Number>().Uint32Value();
  uint32_t handle = info[5].As<Napi::Number>().Uint32Value();
  ClearLog();

  std::lock_guard<std::mutex> lock(clsactMu);
  bpf_tc_hook hook = TcHook(ifindex, BPF_TC_INGRESS);
  int err = bpf_tc_hook_create(&hook);
  bool createdNow = err == 0;
  if (err && err != -EEXIST) {
    ThrowErrno(env, "create clsact", err);
    return env.Undefined();
  }
  ClsactUse& use = clsacts[ifindex];
  if (use.refs == 0) use.created = createdNow;

  hook.attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
  bpf_tc_opts opts = TcOpts(handle, priority);
  opts.flags = BPF_TC_F_REPLACE;
  opts.prog_fd = bpf_program__fd(prog);
  err = bpf_tc_attach(&hook, &opts);
  if (err) {
    if (use.refs == 0) {
      if (use.created) {
        bpf_tc_hook all = TcHook(ifindex, static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
        bpf_tc_hook_destroy(&all);
      }
      clsacts.erase(ifindex);
    }
    ThrowErrno(env, "attach tc filter", err);
    return env.Undefined();
  }
  use.refs++;
  auto* link = new LinkHandle();
  link->kind = LinkHandle::Kind::Tc;
  link->owner = owner;
  link->ifindex = ifindex;
  link->ingress = ingress;
  link->handle = opts.handle;
  link->priority = opts.priority;
  return NewLink(env, link);
}

void DetachTc(LinkHandle* link) {
  std::lock_guard<std::mutex> lock(clsactMu);
  bpf_tc_hook hook = TcHook(link->ifindex, link->ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
  bpf_tc_opts opts = TcOpts(link->handle, link->priority);
  bpf_tc_detach(&hook, &opts);  // ENOENT/ENODEV: the filter or interface is already gone
  auto it = clsacts.find(link->ifindex);
  if (it == clsacts.end()) return;
  if (--it->second.refs > 0) return;
  if (it->second.created) {
    hook.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
    bpf_tc_hook_destroy(&hook);
  }
  clsacts.erase(it);
}

Napi::Value AttachTracepoint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ObjectHandle* owner;
  bpf_program* prog = FindProgram(info, &owner);
  if (prog == nullptr) return env.Undefined();
  std::string category = info[2].As<Napi::String>().Utf8Value();
  std::string name = info[3].As<Napi::String>().Utf8Value();
  ClearLog();
  bpf_link* l = bpf_program__attach_tracepoint(prog, category.c_str(), name.c_str());
  if (l == nullptr) {
    ThrowErrno(env, "attach tracepoint", errno);
    return env.Undefined();
  }
  auto* link = new LinkHandle();
  link->owner = owner;
  link->link = l;
  return NewLink(env, link);
}

Napi::Value AttachCgroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ObjectHandle* owner;
  bpf_program* prog = FindProgram(info, &owner);
  if (prog == nullptr) return env.Undefined();
  std::string path = info[2].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    ThrowErrno(env, "open cgroup", errno);
    return env.Undefined();
  }
  ClearLog();
  bpf_link* l = bpf_program__attach_cgroup(prog, fd);
  int err = errno;
  close(fd);  // the link keeps its own reference to the cgroup
  if (l == nullptr) {
    ThrowErrno(env, "attach cgroup", err);
    return env.Undefined();
  }
  auto* link = new LinkHandle();
  link->owner = owner;
  link->link = l;
  return NewLink(env, link);
}

Napi::Value LinkClose(const Napi::CallbackInfo& info) {
  LinkHandle* link = Unwrap<LinkHandle>(info, 0, &kLinkTag, "link");
  if (link != nullptr) {
    State(info.Env())->links.erase(link);
    CloseLink(link);
  }
  return info.Env().Undefined();
}

Napi::Value TestRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bpf_program* prog = FindProgram(info, nullptr);
  if (prog == nullptr) return env.Undefined();
  const uint8_t* data;
  size_t len;
  if (!ReadBytes(info, 2, &data, &len)) return env.Undefined();
  bpf_test_run_opts opts{};
  opts.sz = sizeof opts;
  opts.data_in = data;
  opts.data_size_in = static_cast<uint32_t>(len);
  opts.repeat = static_cast<int>(info[3].As<Napi::Number>().Uint32Value());
  int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
  if (err) {
    ThrowErrno(env, "test run", errno);
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("retval", Napi::Number::New(env, opts.retval));
  out.Set("durationNs", Napi::Number::New(env, opts.duration));
  return out;
}

}  // namespace

void CloseLink(LinkHandle* link) {
  if (link->closed) return;
  link->closed = true;
  if (link->kind == LinkHandle::Kind::Tc) {
    DetachTc(link);
  } else {
    bpf_link__destroy(link->link);
    link->link = nullptr;
  }
}

void CloseLinksOf(AddonState* state, ObjectHandle* obj) {
  for (auto it = state->links.begin(); it != state->links.end();) {
    if ((*it)->owner == obj) {
      CloseLink(*it);
      it = state->links.erase(it);
    } else {
      ++it;
    }
  }
}

Napi::Object InitLinks(Napi::Env env, Napi::Object exports) {
  exports.Set("programAttachTc", Napi::Function::New(env, AttachTc));
  exports.Set("programAttachTracepoint", Napi::Function::New(env, AttachTracepoint));
  exports.Set("programAttachCgroup", Napi::Function::New(env, AttachCgroup));
  exports.Set("programTestRun", Napi::Function::New(env, TestRun));
  exports.Set("linkClose", Napi::Function::New(env, LinkClose));
  return exports;
}
