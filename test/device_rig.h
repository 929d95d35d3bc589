// What device unit tests plug devices into: a board that records stop and reset
// requests, and an interrupt controller that records every level its lines take.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "devices/device.h"

namespace test {

struct RecordingBoard : rs::BoardControl {
  int status = -1;
  std::string why;
  int resets = 0;
  std::string reset_how;
  void request_stop(int s, const std::string& w) override { status = s, why = w; }
  void request_reset(const std::string& how) override {
    ++resets;
    reset_how = how;
  }
  std::vector<bool> a20;  // every A20 line change, in order
  void set_a20(bool on) override { a20.push_back(on); }
};

struct IrqRecorder : rs::IrqSink {
  std::vector<std::pair<int, bool>> edges;  // (line, level) in order
  bool level[16] = {};
  void set_irq(int line, bool l) override {
    edges.emplace_back(line, l);
    level[line] = l;
  }
  rs::IrqLine line(int n) { return rs::IrqLine{this, n}; }
};

}  // namespace test
