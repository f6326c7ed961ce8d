# Two targets: the Go engine built as a C shared library (libgoshm), then the N-API addon that
# links it and finds it beside itself from any directory. Everything that differs per OS is in the
# conditions: the library's file name and how the addon finds it (rpath $ORIGIN on Linux,
# @loader_path on macOS, the addon's own folder on Windows). Only Linux is built and tested here;
# the macOS and Windows entries are where those ports plug in (Windows also needs the import
# library goshm.lib, made from the DLL's exports).
{
  "variables": {
    "conditions": [
      ["OS=='mac'", { "goshm_lib": "libgoshm.dylib" }],
      ["OS=='win'", { "goshm_lib": "goshm.dll" }],
      ["OS!='mac' and OS!='win'", { "goshm_lib": "libgoshm.so" }]
    ]
  },
  "targets": [
    {
      "target_name": "goshm",
      "type": "none",
      "actions": [
        {
          "action_name": "go_build_c_shared",
          "message": "Building the Go engine: go build -buildmode=c-shared",
          "inputs": ["<!@(node tools/go-sources.js)"],
          "outputs": ["<(PRODUCT_DIR)/<(goshm_lib)"],
          "action": ["node", "tools/build-go.js", "<(PRODUCT_DIR)/<(goshm_lib)"]
        }
      ]
    },
    {
      "target_name": "node_libsharedmemory",
      "dependencies": ["goshm"],
      "sources": [
        "addon.cc",
        "src/constants.cc",
        "src/errors.cc",
        "src/inspect.cc",
        "src/queues.cc",
        "src/segments.cc",
        "src/streams.cc",
        "src/values.cc",
        "src/watches.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "goshm/cabi"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2"],
      "conditions": [
        ["OS!='mac' and OS!='win'", {
          "libraries": ["-L<(PRODUCT_DIR)", "-lgoshm", "-Wl,-rpath,'$$ORIGIN'"]
        }],
        ["OS=='mac'", {
          "libraries": ["-L<(PRODUCT_DIR)", "-lgoshm", "-Wl,-rpath,@loader_path"],
          "xcode_settings": { "CLANG_CXX_LANGUAGE_STANDARD": "c++17", "MACOSX_DEPLOYMENT_TARGET": "12.0" }
        }],
        ["OS=='win'", {
          "libraries": ["<(PRODUCT_DIR)/goshm.lib"]
        }]
      ]
    }
  ]
}
