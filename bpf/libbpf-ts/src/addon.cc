// Module entry: registers the native functions and releases everything still open when the env shuts down.
#include "common.h"
#include "libbpf_log.h"

const napi_type_tag kObjectTag = {0x6c6962627066ULL, 0x6f626a656374ULL};
const napi_type_tag kLinkTag = {0x6c6962627066ULL, 0x6c696e6bULL};
const napi_type_tag kRingTag = {0x6c6962627066ULL, 0x72696e67ULL};

AddonState* State(Napi::Env env) { return env.GetInstanceData<AddonState>(); }

Napi::Object InitNetns(Napi::Env env, Napi::Object exports);  // netns.cc

namespace {

// Detaches links (tc filters outlive the process otherwise), frees ring buffers, closes objects.
void Cleanup(void* arg) {
  auto* state = static_cast<AddonState*>(arg);
  for (LinkHandle* link : state->links) CloseLink(link);
  state->links.clear();
  for (RingBufHandle* ring : state->rings) CloseRing(ring);
  state->rings.clear();
  while (!state->objects.empty()) CloseObject(state, *state->objects.begin());
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* state = new AddonState();
  env.SetInstanceData(state);  // deleted with the env, after the cleanup hook ran
  napi_add_env_cleanup_hook(env, Cleanup, state);
  InstallLogCapture();
  InitObject(env, exports);
  InitLinks(env, exports);
  InitMaps(env, exports);
  InitRingBuf(env, exports);
  InitNetns(env, exports);
  return exports;
}

NODE_API_MODULE(bpf_addon, Init)
