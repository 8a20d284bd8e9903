# Builds the libbpf_ts Node-API addon against the system libbpf (dynamically linked).
{
  "targets": [
    {
      "target_name": "bpf_addon",
      "sources": [
        "src/addon.cc",
        "src/errors.cc",
        "src/libbpf_log.cc",
        "src/object.cc",
        "src/links.cc",
        "src/maps.cc",
        "src/ringbuf.cc",
        "src/netns.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=9", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "cflags_cc": ["-fvisibility=hidden", "-std=c++17", "-Wall", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "libraries": ["-lbpf", "-lelf", "-lz"]
    }
  ]
}
