// The input of one classify_batch() call, owning copies of its texts: a
// caller whose call timed out is answered and gone while the plugin may
// still read them.
//
// Short texts (headlines, paragraphs) share blocks of kBlockBytes, so a
// batch of 64 headlines costs one allocation rather than 64; a text longer
// than kLongTextBytes gets a block of its own, freed with the batch, so
// that a batch of large documents does not leave large blocks behind in
// malloc's arenas (nor raise its mmap threshold for good).
//
// Thread-compatible: filled by one thread, then read by the worker that
// owns the call.
#ifndef CLASSIFYD_DAEMON_INVOKER_PLUGIN_BATCH_H_
#define CLASSIFYD_DAEMON_INVOKER_PLUGIN_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace classifyd {

class PluginBatch {
 public:
  static constexpr size_t kBlockBytes = 16 * 1024;
  static constexpr size_t kLongTextBytes = 2 * 1024;

  void Reserve(size_t count) { texts_.reserve(count); }

  // Appends a copy of `text`.
  void Add(std::string_view text) {
    char* copy = nullptr;
    if (text.size() > kLongTextBytes) {
      blocks_.push_back(std::make_unique_for_overwrite<char[]>(text.size()));
      copy = blocks_.back().get();
    } else {
      if (block_ == nullptr || kBlockBytes - block_used_ < text.size()) {
        blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlockBytes));
        block_ = blocks_.back().get();
        block_used_ = 0;
      }
      copy = block_ + block_used_;
      block_used_ += text.size();
    }
    if (!text.empty()) std::memcpy(copy, text.data(), text.size());
    texts_.emplace_back(copy, text.size());
  }

  size_t size() const { return texts_.size(); }
  // The copies, in the order they were added; valid while the batch lives
  // (moves included).
  std::span<const std::string_view> Texts() const { return texts_; }

  uint32_t top_k = 0;
  float min_score = 0;

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* block_ = nullptr;  // The block short texts go to; in blocks_.
  size_t block_used_ = 0;
  std::vector<std::string_view> texts_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_INVOKER_PLUGIN_BATCH_H_
