#include "host/jitdump.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <stdexcept>

namespace rs {

namespace {

constexpr uint32_t kMagic = 0x4A695444;  // "JiTD"
constexpr uint32_t kVersion = 1;
constexpr uint32_t kElfMachX86_64 = 62;
constexpr uint32_t kCodeLoad = 0;

struct Header {
  uint32_t magic, version, total_size, elf_mach, pad1, pid;
  uint64_t timestamp, flags;
};

struct CodeLoad {
  uint32_t id, total_size;
  uint64_t timestamp;
  uint32_t pid, tid;
  uint64_t vma, code_addr, code_size, code_index;
};

// perf matches records to samples by time: CLOCK_MONOTONIC, as `perf record -k mono`.
uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

}  // namespace

JitDump::JitDump() : path_("/tmp/jit-" + std::to_string(getpid()) + ".dump") {
  f_ = std::fopen(path_.c_str(), "w+");
  if (!f_) throw std::runtime_error("cannot write " + path_);
  std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
  const Header h{kMagic, kVersion, sizeof(Header), kElfMachX86_64, 0, uint32_t(getpid()), now_ns(), 0};
  std::fwrite(&h, sizeof h, 1, f_);
  std::fflush(f_);
  marker_ = mmap(nullptr, size_t(sysconf(_SC_PAGESIZE)), PROT_READ | PROT_EXEC, MAP_PRIVATE, fileno(f_), 0);
  if (marker_ == MAP_FAILED) {
    marker_ = nullptr;
    std::fclose(f_);
    throw std::runtime_error("cannot map " + path_ + " (perf finds the jitdump by that mapping)");
  }
}

JitDump::~JitDump() {
  if (marker_) munmap(marker_, size_t(sysconf(_SC_PAGESIZE)));
  if (f_) std::fclose(f_);
}

void JitDump::load(const std::string& name, const uint8_t* code, uint32_t code_size) {
  const uint64_t addr = uint64_t(code);
  CodeLoad r{kCodeLoad, uint32_t(sizeof(CodeLoad) + name.size() + 1 + code_size), now_ns(), uint32_t(getpid()),
             uint32_t(syscall(SYS_gettid)), addr, addr, code_size, index_++};
  std::fwrite(&r, sizeof r, 1, f_);
  std::fwrite(name.c_str(), name.size() + 1, 1, f_);
  std::fwrite(code, code_size, 1, f_);
}

}  // namespace rs
