// wordlist: an example classifyd plugin to copy when writing your own.
// It gives a document one label when the document contains any of a list
// of words, and returns the words it found as evidence.
//
// Manifest options:
//   label = "sports"             the label to give
//   words = "足球,篮球,NBA"      comma-separated, matched case-sensitively
//   score = 0.9                  the label's score, 0..1
#include <classifyd/plugin_sdk.h>

#include <string>
#include <string_view>
#include <vector>

namespace {

class WordList final : public classifyd::sdk::Classifier {
 public:
  // Runs once per manifest (and again on every reload). Throwing refuses
  // the manifest; the daemon shows the message in ListPlugins.
  explicit WordList(const classifyd::sdk::InstanceConfig& config)
      : label_(config.GetString("label", "sports")),
        score_(static_cast<float>(config.GetDouble("score", 0.9))) {
    const std::string words = config.GetString("words", "");
    for (size_t start = 0; start <= words.size();) {
      size_t end = words.find(',', start);
      if (end == std::string::npos) end = words.size();
      if (end > start) words_.push_back(words.substr(start, end - start));
      start = end + 1;
    }
    if (words_.empty()) {
      throw classifyd::sdk::Error(CLASSIFYD_INVALID_ARGUMENT,
                                  "option 'words' must list at least one word");
    }
    if (score_ <= 0 || score_ > 1) {
      throw classifyd::sdk::Error(CLASSIFYD_INVALID_ARGUMENT,
                                  "option 'score' must be in (0, 1]");
    }
  }

  std::vector<std::string> Labels() const override { return {label_}; }

  // Called concurrently from many threads: it only reads members.
  void ClassifyBatch(std::span<const std::string_view> texts,
                     const classifyd::sdk::ClassifyOptions& options,
                     classifyd::sdk::ResultWriter& out) override {
    for (size_t i = 0; i < texts.size(); ++i) {
      // Texts are valid UTF-8, so a byte search finds whole characters.
      std::vector<std::string_view> found;
      for (const std::string& word : words_) {
        if (texts[i].find(word) != std::string_view::npos) {
          found.push_back(word);
        }
      }
      if (!found.empty()) out.AddLabel(i, label_, score_, found);
    }
  }

 private:
  std::string label_;
  float score_;
  std::vector<std::string> words_;
};

}  // namespace

CLASSIFYD_PLUGIN(WordList, "wordlist", "1.0.0", CLASSIFYD_CAP_EVIDENCE)
