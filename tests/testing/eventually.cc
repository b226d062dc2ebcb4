#include "testing/eventually.h"

#include <thread>

namespace classifyd::testing {

bool Eventually(const std::function<bool()>& done,
                std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace classifyd::testing
