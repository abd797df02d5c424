// What went wrong on a concurrency test's worker threads. Catch2's assertions are not
// thread-safe, so workers record here and the test thread reports after join():
//
//   ThreadFailures failures;
//   ... worker t, call i: if (!result.ok()) failures.add(t, i, result.error().to_string());
//   INFO(failures.report());
//   CHECK(failures.count() == 0);
//
// so a failure names the thread, the call and why, not just a count.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace bedrock_lite::test {

// Thread-safe.
class ThreadFailures {
 public:
  // Keeps the first kKept lines in full; later ones are only counted.
  static constexpr std::size_t kKept = 20;

  void add(int thread, std::size_t call, const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++count_;
    if (lines_.size() < kKept) {
      lines_.push_back("thread " + std::to_string(thread) + " call " + std::to_string(call) + ": " +
                       what);
    }
  }

  std::size_t count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_;
  }

  // "no failures", or every kept line and how many more there were.
  std::string report() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (count_ == 0) return "no failures";
    std::string out = std::to_string(count_) + " failure(s):\n";
    for (const auto& line : lines_) out += "  " + line + "\n";
    if (count_ > lines_.size())
      out += "  ... and " + std::to_string(count_ - lines_.size()) + " more\n";
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::size_t count_ = 0;
  std::vector<std::string> lines_;
};

}  // namespace bedrock_lite::test
