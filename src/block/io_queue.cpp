#include "block/io_queue.h"

#include <csignal>

namespace rs {

IoQueue::IoQueue(BlockImage& image, std::function<void()> wake) : image_(image), wake_(std::move(wake)) {
  // The thread blocks every signal (it inherits the mask it starts with): the machine's
  // timer, console and gdb signals must reach the machine thread, whose sleeps they end.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  thread_ = std::thread([this] { worker(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

IoQueue::~IoQueue() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void IoQueue::read(uint64_t offset, std::vector<iovec> iov, Done done) {
  // Data in the host's page cache is read here and now, unless a queued write to the
  // image could still change it: two context switches saved per cached read.
  bool idle;
  {
    std::lock_guard<std::mutex> g(mu_);
    idle = todo_.empty() && !busy_;
  }
  if (idle && image_.read_cached(offset, iov.data(), int(iov.size()))) {
    return done(true);
  }
  submit(Request{Op::Read, offset, std::move(iov), false, std::move(done)});
}

void IoQueue::write(uint64_t offset, std::vector<iovec> iov, bool fua, Done done) {
  submit(Request{Op::Write, offset, std::move(iov), fua, std::move(done)});
}

void IoQueue::flush(Done done) { submit(Request{Op::Flush, 0, {}, false, std::move(done)}); }

void IoQueue::submit(Request r) {
  ++in_flight_;
  {
    std::lock_guard<std::mutex> g(mu_);
    todo_.push_back(std::move(r));
  }
  cv_.notify_one();
}

// Requests run in the order they came: a flush covers every write queued before it.
bool IoQueue::run(Request& r) {
  switch (r.op) {
    case Op::Flush:
      return image_.flush();
    case Op::Read:
      return image_.readv(r.offset, r.iov.data(), int(r.iov.size()));
    case Op::Write:
      return image_.writev(r.offset, r.iov.data(), int(r.iov.size())) && (!r.fua || image_.flush());
  }
  return false;
}

void IoQueue::worker() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    cv_.wait(lk, [this] { return stop_ || !todo_.empty(); });
    if (todo_.empty()) return;  // stop_, nothing left
    Request r = std::move(todo_.front());
    todo_.pop_front();
    busy_ = true;
    lk.unlock();
    r.ok = run(r);
    lk.lock();
    busy_ = false;
    finished_.push_back(std::move(r));
    ready_.store(true, std::memory_order_release);
    idle_cv_.notify_all();
    lk.unlock();
    if (wake_) wake_();
    lk.lock();
  }
}

void IoQueue::complete() {
  std::deque<Request> done;
  {
    std::lock_guard<std::mutex> g(mu_);
    done.swap(finished_);
    ready_.store(false, std::memory_order_release);
  }
  for (Request& r : done) {
    --in_flight_;
    r.done(r.ok);
  }
}

void IoQueue::drain() {
  {
    std::unique_lock<std::mutex> lk(mu_);
    idle_cv_.wait(lk, [this] { return todo_.empty() && !busy_; });
  }
  complete();
}

}  // namespace rs
