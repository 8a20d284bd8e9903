// Keeps the recent lines libbpf prints in memory instead of on stderr (LIBBPF_TS_DEBUG=1 also echoes them).
#include "libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>

namespace {

constexpr size_t kMaxLines = 400;
std::mutex mu;
std::deque<std::string> lines;
std::string partial;
bool echo = false;

int Capture(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG && !echo) return 0;
  va_list copy;
  va_copy(copy, args);
  char small[1024];
  int n = vsnprintf(small, sizeof small, fmt, copy);
  va_end(copy);
  std::string text;
  if (n >= static_cast<int>(sizeof small)) {
    text.resize(static_cast<size_t>(n) + 1);
    vsnprintf(text.data(), text.size(), fmt, args);
    text.resize(static_cast<size_t>(n));
  } else if (n > 0) {
    text.assign(small, static_cast<size_t>(n));
  }
  if (echo) fputs(text.c_str(), stderr);
  std::lock_guard<std::mutex> lock(mu);
  partial += text;
  size_t pos;
  while ((pos = partial.find('\n')) != std::string::npos) {
    lines.push_back(partial.substr(0, pos));
    partial.erase(0, pos + 1);
    if (lines.size() > kMaxLines) lines.pop_front();
  }
  return n;
}

}  // namespace

void InstallLogCapture() {
  const char* env = getenv("LIBBPF_TS_DEBUG");
  echo = env != nullptr && env[0] != '\0' && env[0] != '0';
  libbpf_set_print(Capture);
}

void ClearLog() {
  std::lock_guard<std::mutex> lock(mu);
  lines.clear();
  partial.clear();
}

std::string LogTail(size_t count) {
  std::lock_guard<std::mutex> lock(mu);
  size_t start = lines.size() > count ? lines.size() - count : 0;
  std::string out;
  for (size_t i = start; i < lines.size(); i++) {
    out += lines[i];
    out += '\n';
  }
  if (!partial.empty()) out += partial;
  return out;
}
