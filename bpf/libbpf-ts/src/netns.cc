// Network namespaces: sk_lookup programs attached to a netns, and TCP sockets created inside another
// netns (the L7 proxy listens and connects inside each endpoint's netns from one process).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common.h"
#include "libbpf_log.h"

namespace {

// Runs fn with the calling thread inside the netns at path, then moves the thread back. Returns fn's
// result, or -errno when entering failed. Only this thread changes namespace; other threads never do.
template <typename Fn>
int InNetns(const std::string& path, Fn fn) {
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return -errno;
  int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int err = errno;
    close(self);
    return -err;
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    int err = errno;
    close(target);
    close(self);
    return -err;
  }
  close(target);
  int result = fn();
  if (setns(self, CLONE_NEWNET) != 0) {
    // The JS thread would keep running in the endpoint's netns: nothing after this could be trusted.
    fprintf(stderr, "libbpf-ts: cannot return to the original network namespace: %s\n", strerror(errno));
    abort();
  }
  close(self);
  return result;
}

bool ParseAddr(const std::string& host, int port, sockaddr_storage* ss, socklen_t* len) {
  memset(ss, 0, sizeof *ss);
  auto* v4 = reinterpret_cast<sockaddr_in*>(ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof *v4;
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof *v6;
    return true;
  }
  return false;
}

// A non-blocking TCP socket of family; AF_INET6 ones are dual-stack (IPv4 as v4-mapped) unless
// bound to a specific IPv6 address. Returns the fd or -errno.
int NewTcpSocket(int family) {
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return -errno;
  if (family == AF_INET6) {
    int off = 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  return fd;
}

// attachNetns(obj, prog, netnsPath): a bpf_link of an sk_lookup program on that netns.
Napi::Value AttachNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ObjectHandle* owner = Unwrap<ObjectHandle>(info, 0, &kObjectTag, "BPF object");
  if (owner == nullptr) return env.Undefined();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  bpf_program* prog = bpf_object__find_program_by_name(owner->obj, name.c_str());
  if (prog == nullptr) {
    ThrowErrno(env, "find program " + name, ENOENT);
    return env.Undefined();
  }
  std::string path = info[2].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    ThrowErrno(env, "open netns " + path, errno);
    return env.Undefined();
  }
  ClearLog();
  bpf_link* l = bpf_program__attach_netns(prog, fd);
  int err = errno;
  close(fd);  // the link holds the netns
  if (l == nullptr) {
    ThrowErrno(env, "attach netns", err);
    return env.Undefined();
  }
  auto* link = new LinkHandle();
  link->owner = owner;
  link->link = l;
  State(env)->links.insert(link);
  return Wrap(env, link, &kLinkTag);
}

// netnsTcpListen(netnsPath, host, port, backlog) -> fd of a listening socket inside that netns.
Napi::Value NetnsTcpListen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string host = info[1].As<Napi::String>().Utf8Value();
  int port = info[2].As<Napi::Number>().Int32Value();
  int backlog = info[3].As<Napi::Number>().Int32Value();
  sockaddr_storage ss;
  socklen_t len;
  if (!ParseAddr(host, port, &ss, &len)) {
    ThrowErrno(env, "listen address " + host, EINVAL);
    return env.Undefined();
  }
  const char* step = "enter netns";
  int r = InNetns(path, [&]() -> int {
    step = "socket";
    int fd = NewTcpSocket(ss.ss_family);
    if (fd < 0) return fd;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    step = "bind";
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      int err = errno;
      close(fd);
      return -err;
    }
    step = "listen";
    if (listen(fd, backlog) != 0) {
      int err = errno;
      close(fd);
      return -err;
    }
    return fd;
  });
  if (r < 0) {
    ThrowErrno(env, std::string(step) + " in netns " + path, -r);
    return env.Undefined();
  }
  return Napi::Number::New(env, r);
}

// netnsTcpSocket(netnsPath, ipv6) -> fd of an unconnected non-blocking TCP socket of that netns.
Napi::Value NetnsTcpSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  bool ipv6 = info[1].As<Napi::Boolean>().Value();
  int r = InNetns(path, [&]() -> int { return NewTcpSocket(ipv6 ? AF_INET6 : AF_INET); });
  if (r < 0) {
    ThrowErrno(env, "socket in netns " + path, -r);
    return env.Undefined();
  }
  return Napi::Number::New(env, r);
}

}  // namespace

Napi::Object InitNetns(Napi::Env env, Napi::Object exports) {
  exports.Set("programAttachNetns", Napi::Function::New(env, AttachNetns));
  exports.Set("netnsTcpListen", Napi::Function::New(env, NetnsTcpListen));
  exports.Set("netnsTcpSocket", Napi::Function::New(env, NetnsTcpSocket));
  return exports;
}
