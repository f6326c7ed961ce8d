# Two targets: the Go engine built as a C shared library (libgoshm.so), then the N-API addon that
# links it with an rpath of $ORIGIN, so the addon finds the library beside itself from any directory.
{
  "targets": [
    {
      "target_name": "goshm",
      "type": "none",
      "actions": [
        {
          "action_name": "go_build_c_shared",
          "message": "Building the Go engine: go build -buildmode=c-shared",
          "inputs": ["<!@(node tools/go-sources.js)"],
          "outputs": ["<(PRODUCT_DIR)/libgoshm.so"],
          "action": ["node", "tools/build-go.js", "<(PRODUCT_DIR)/libgoshm.so"]
        }
      ]
    },
    {
      "target_name": "node_libsharedmemory",
      "dependencies": ["goshm"],
      "sources": ["addon.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "goshm/cabi"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-O2"],
      "libraries": ["-L<(PRODUCT_DIR)", "-lgoshm", "-Wl,-rpath,'$$ORIGIN'"]
    }
  ]
}
