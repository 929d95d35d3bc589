// The jitdump file of Linux perf (tools/perf/Documentation/jitdump-specification.txt):
// each translated block's host code, so that `perf inject --jit` can turn the samples
// of a `perf record -k mono` run into per-instruction profiles of translated code
// (`perf annotate`), which the perf map (names only) cannot give.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace rs {

class JitDump {
 public:
  // Creates /tmp/jit-<pid>.dump and maps its first page executable: that mapping is how
  // perf finds the file. Throws std::runtime_error.
  JitDump();
  ~JitDump();
  JitDump(const JitDump&) = delete;
  JitDump& operator=(const JitDump&) = delete;

  // A code load record: code_size bytes at code, named name.
  void load(const std::string& name, const uint8_t* code, uint32_t code_size);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
  void* marker_ = nullptr;
  uint64_t index_ = 0;
};

}  // namespace rs
