// Attachments: tc (clsact) filters, tracepoints, cgroup hooks, plus BPF_PROG_TEST_RUN; links detach on close,
// except kept tc filters and pinned bpf_links, which outlive the process until detached or unpinned.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <set>
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
// Tc links attached with keep: closing them forgets the filter instead of detaching it.
std::set<LinkHandle*> keptTc;

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
  bool keep = info.Length() > 6 && info[6].IsBoolean() && info[6].As<Napi::Boolean>().Value();
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
  auto* link = new LinkHandle();
  if (keep) {
    use.created = false;  // a filter that outlives us lives in this clsact: never delete it
    if (use.refs == 0) clsacts.erase(ifindex);
    keptTc.insert(link);
  } else {
    use.refs++;
  }
  link->kind = LinkHandle::Kind::Tc;
  link->owner = owner;
  link->ifindex = ifindex;
  link->ingress = ingress;
  link->handle = opts.handle;
  link->priority = opts.priority;
  return NewLink(env, link);
}

// Removes one filter; false when it was not there (or the interface is gone).
bool DetachTcFilter(int ifindex, bool ingress, uint32_t handle, uint32_t priority) {
  bpf_tc_hook hook = TcHook(ifindex, ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
  bpf_tc_opts opts = TcOpts(handle, priority);
  return bpf_tc_detach(&hook, &opts) == 0;
}

// detach: remove the filter even when the link is kept (closing a kept link only forgets it).
void DetachTc(LinkHandle* link, bool detach) {
  std::lock_guard<std::mutex> lock(clsactMu);
  if (keptTc.erase(link) > 0) {
    if (detach) DetachTcFilter(link->ifindex, link->ingress, link->handle, link->priority);
    return;
  }
  bpf_tc_hook hook = TcHook(link->ifindex, link->ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
  DetachTcFilter(link->ifindex, link->ingress, link->handle, link->priority);  // gone already: fine
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

// Removes the attachment now (kept tc filter, pinned bpf_link: BPF_LINK_DETACH), then closes the handle.
Napi::Value LinkDetach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LinkHandle* link = Unwrap<LinkHandle>(info, 0, &kLinkTag, "link");
  if (link == nullptr) return env.Undefined();
  State(env)->links.erase(link);
  if (link->kind == LinkHandle::Kind::Tc) {
    DetachTc(link, true);
    link->closed = true;
    return env.Undefined();
  }
  int err = bpf_link__detach(link->link);
  CloseLink(link);
  if (err && err != -ENOENT) ThrowErrno(env, "detach link", err);
  return env.Undefined();
}

LinkHandle* BpfLinkArg(const Napi::CallbackInfo& info, const char* op) {
  LinkHandle* link = Unwrap<LinkHandle>(info, 0, &kLinkTag, "link");
  if (link == nullptr) return nullptr;
  if (link->kind != LinkHandle::Kind::BpfLink) {
    ThrowErrno(info.Env(), std::string(op) + " (tc filters are not bpf_links)", EOPNOTSUPP);
    return nullptr;
  }
  return link;
}

Napi::Value LinkPin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LinkHandle* link = BpfLinkArg(info, "pin link");
  if (link == nullptr) return env.Undefined();
  std::string path = info[1].As<Napi::String>().Utf8Value();
  ClearLog();
  int err = bpf_link__pin(link->link, path.c_str());
  if (err) ThrowErrno(env, "pin link", err);
  return env.Undefined();
}

Napi::Value LinkUnpin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LinkHandle* link = BpfLinkArg(info, "unpin link");
  if (link == nullptr) return env.Undefined();
  int err = bpf_link__unpin(link->link);
  if (err) ThrowErrno(env, "unpin link", err);
  return env.Undefined();
}

// A link pinned in bpffs (by this or an earlier process); closing the handle leaves the pin in force.
Napi::Value LinkOpenPinned(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  ClearLog();
  bpf_link* l = bpf_link__open(path.c_str());
  if (l == nullptr) {
    ThrowErrno(env, "open pinned link " + path, errno);
    return env.Undefined();
  }
  auto* link = new LinkHandle();
  link->link = l;
  return NewLink(env, link);
}

// Swaps the program of a live link atomically (BPF_LINK_UPDATE): no moment without a program.
Napi::Value LinkUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LinkHandle* link = BpfLinkArg(info, "update link");
  if (link == nullptr) return env.Undefined();
  ObjectHandle* h = Unwrap<ObjectHandle>(info, 1, &kObjectTag, "BPF object");
  if (h == nullptr) return env.Undefined();
  std::string name = info[2].As<Napi::String>().Utf8Value();
  bpf_program* prog = bpf_object__find_program_by_name(h->obj, name.c_str());
  if (prog == nullptr) {
    ThrowErrno(env, "find program " + name, ENOENT);
    return env.Undefined();
  }
  ClearLog();
  int err = bpf_link__update_program(link->link, prog);
  if (err) ThrowErrno(env, "update link program", err);
  return env.Undefined();
}

// Removes a tc filter by its place (a filter a previous process kept); false when none was there.
Napi::Value TcDetach(const Napi::CallbackInfo& info) {
  int ifindex = info[0].As<Napi::Number>().Int32Value();
  bool ingress = info[1].As<Napi::Boolean>().Value();
  uint32_t handle = info[2].As<Napi::Number>().Uint32Value();
  uint32_t priority = info[3].As<Napi::Number>().Uint32Value();
  std::lock_guard<std::mutex> lock(clsactMu);
  return Napi::Boolean::New(info.Env(), DetachTcFilter(ifindex, ingress, handle, priority));
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
    DetachTc(link, false);
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
  exports.Set("linkDetach", Napi::Function::New(env, LinkDetach));
  exports.Set("linkPin", Napi::Function::New(env, LinkPin));
  exports.Set("linkUnpin", Napi::Function::New(env, LinkUnpin));
  exports.Set("linkOpenPinned", Napi::Function::New(env, LinkOpenPinned));
  exports.Set("linkUpdate", Napi::Function::New(env, LinkUpdate));
  exports.Set("tcDetach", Napi::Function::New(env, TcDetach));
  return exports;
}
