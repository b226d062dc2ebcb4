#include "isolation/restart_policy.h"

#include <algorithm>
#include <unordered_set>

#include "absl/hash/hash.h"

namespace classifyd::isolation {

RestartBackoff::RestartBackoff(std::chrono::milliseconds initial,
                               std::chrono::milliseconds max,
                               std::chrono::milliseconds stable,
                               int stable_calls)
    : initial_(initial),
      max_(max),
      stable_(stable),
      stable_calls_(stable_calls) {}

void RestartBackoff::Started(Clock::time_point now) {
  started_ = now;
  answered_ = 0;
}

std::chrono::milliseconds RestartBackoff::Died(Clock::time_point now) {
  if (now - started_ >= stable_ || answered_ >= stable_calls_) deaths_ = 0;
  ++deaths_;
  std::chrono::milliseconds wait = initial_;
  for (int i = 1; i < deaths_ && wait < max_; ++i) wait *= 2;
  return std::min(wait, max_);
}

uint64_t DocumentKey(std::string_view text) {
  return absl::Hash<std::string_view>{}(text);
}

void PoisonTracker::Died(std::span<const uint64_t> keys) {
  std::unordered_set<uint64_t> seen;
  for (uint64_t key : keys) {
    if (!seen.insert(key).second) continue;
    auto [it, inserted] = deaths_.try_emplace(key, 0);
    ++it->second;
    if (!inserted) continue;
    order_.push_back(key);
    if (order_.size() > kRememberedDocuments) {
      deaths_.erase(order_.front());
      order_.pop_front();
    }
  }
}

bool PoisonTracker::IsPoison(uint64_t key) const {
  return Deaths(key) >= kPoisonCrashes;
}

int PoisonTracker::Deaths(uint64_t key) const {
  auto it = deaths_.find(key);
  return it == deaths_.end() ? 0 : it->second;
}

}  // namespace classifyd::isolation
