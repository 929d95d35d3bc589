// Disk requests off the guest's CPU: a disk controller queues reads, writes and flushes
// here, an I/O thread runs them on the image (pread/pwrite, fdatasync), and the machine
// thread runs each request's completion (the controller's "done": status, interrupt)
// when it next polls its devices. The I/O thread never touches device state; it only
// moves bytes between the image and guest RAM the controller has bounds-checked. A read
// the host's page cache can answer at once completes inside read() (read_cached).
#pragma once
#include <sys/uio.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "block/block_image.h"

namespace rs {

class IoQueue {
 public:
  using Done = std::function<void(bool ok)>;
  // wake: called from the I/O thread after a completion is ready (the machine makes its
  // run loop poll the devices).
  IoQueue(BlockImage& image, std::function<void()> wake);
  ~IoQueue();
  IoQueue(const IoQueue&) = delete;
  IoQueue& operator=(const IoQueue&) = delete;

  BlockImage& image() { return image_; }
  // The buffers must stay valid until done runs. fua: the data is on the host's disk
  // before done (forced unit access).
  void read(uint64_t offset, std::vector<iovec> iov, Done done);
  void write(uint64_t offset, std::vector<iovec> iov, bool fua, Done done);
  void flush(Done done);

  // Completions waiting for complete() (any thread).
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  // Machine thread: runs the completions that are ready.
  void complete();
  // Machine thread: waits for every queued request and runs all completions (reset, exit).
  void drain();
  size_t in_flight() const { return in_flight_; }

 private:
  enum class Op { Read, Write, Flush };
  struct Request {
    Op op;
    uint64_t offset;
    std::vector<iovec> iov;
    bool fua;
    Done done;
    bool ok = false;
  };
  void submit(Request r);
  void worker();
  bool run(Request& r);

  BlockImage& image_;
  std::function<void()> wake_;
  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<Request> todo_, finished_;
  std::atomic<bool> ready_{false};
  bool busy_ = false, stop_ = false;
  size_t in_flight_ = 0;  // machine thread: submitted, completion not yet run
  std::thread thread_;
};

}  // namespace rs
