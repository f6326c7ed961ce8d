{
  "targets": [
    {
      "target_name": "baseline",
      "sources": ["baseline.cc"],
      "cflags_cc": ["-O2", "-std=c++17"],
      "conditions": [["OS=='linux'", {"libraries": ["-lrt"]}]]
    }
  ]
}
