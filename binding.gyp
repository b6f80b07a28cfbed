{
  "targets": [
    {
      "target_name": "kerno_native",
      "sources": [
        "native/binding.cc",
        "native/common.cc",
        "native/log.cc",
        "native/object.cc",
        "native/map.cc",
        "native/ringbuf.cc",
        "native/fanotify.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "libraries": ["-lbpf", "-lelf", "-lz"],
      # A release executable ships libbpf/libelf/libz beside the addon (Debian's .a files are not PIC, so they
      # cannot be linked in): $ORIGIN finds them there. DT_RPATH (not RUNPATH) because it also serves
      # libbpf's own libelf/libz lookups; a checkout still finds the system copies.
      "ldflags": ["-Wl,-rpath,'$$ORIGIN'", "-Wl,--disable-new-dtags"]
    }
  ]
}
