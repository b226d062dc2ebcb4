#include "service/classify_engine.h"

#include <absl/strings/str_join.h>
#include <grpcpp/support/status.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "plugin/manifest.h"
#include "plugin/plugin_status.h"
#include "service/label_merge.h"
#include "service/language_detector.h"
#include "service/request_validation.h"

namespace classifyd {
namespace {

void SetError(v1::ClassifyResponse* response, int code,
              const std::string& message) {
  response->clear_labels();
  response->mutable_error()->set_code(code);
  response->mutable_error()->set_message(message);
}

std::string ReadyNames(const ClassifierSnapshot& snapshot) {
  if (snapshot.classifiers.empty()) return "none";
  return absl::StrJoin(
      snapshot.classifiers, ", ",
      [](std::string* out, const auto& c) { out->append(c->name()); });
}

// Appends each of `languages` not yet in `list` ("zh, en").
void AddLanguages(const std::vector<std::string>& languages,
                  std::vector<std::string>* list) {
  for (const std::string& language : languages) {
    if (std::find(list->begin(), list->end(), language) == list->end()) {
      list->push_back(language);
    }
  }
}

// True if a classifier declaring `covered` (empty: every language) runs on
// a document in `language`. A document that cannot be told ("und") runs on
// every classifier rather than on none.
bool Covers(const std::vector<std::string>& covered,
            const std::string& language) {
  if (covered.empty() || language == kUndeterminedLanguage) return true;
  return std::find(covered.begin(), covered.end(),
                   PrimaryLanguage(language)) != covered.end();
}

// What one document does with one classifier of the snapshot.
enum class Plan : char { kNotSelected, kRun, kOtherLanguage };

// One Run(): the documents, the snapshot they run on, and what each
// classifier said about each document. Shared by the plugin calls it
// hands to the invoker; the last one to finish answers the documents and
// calls `done`.
class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(std::span<const v1::ClassifyRequest* const> requests,
       std::span<v1::ClassifyResponse* const> responses,
       std::shared_ptr<const ClassifierSnapshot> snapshot,
       std::shared_ptr<const ServiceLimits> limits, Metrics* metrics,
       Invoker* invoker, std::function<void()> done)
      : requests_(requests.begin(), requests.end()),
        responses_(responses.begin(), responses.end()),
        snapshot_(std::move(snapshot)),
        classifiers_(snapshot_->classifiers),
        limits_holder_(std::move(limits)),
        limits_(*limits_holder_),
        metrics_(metrics),
        invoker_(invoker),
        done_(std::move(done)),
        count_(classifiers_.size()),
        plan_(requests.size() * count_, Plan::kNotSelected),
        valid_(requests.size(), 0),
        outcomes_(requests.size() * count_) {}

  // Plans every document, then hands one plugin call per classifier and
  // batch to the invoker. REQUIRES: owned by a shared_ptr.
  void Start() {
    for (size_t d = 0; d < requests_.size(); ++d) valid_[d] = Prepare(d);
    // One reference for this function, so the answers cannot be written
    // while calls are still being handed off.
    pending_.store(1);
    for (size_t c = 0; c < count_; ++c) SubmitClassifier(c);
    Release();
  }

 private:
  Plan& plan(size_t d, size_t c) { return plan_[d * count_ + c]; }

  // One plugin call, or this function's own reference, is done.
  void Release() {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    for (size_t d = 0; d < requests_.size(); ++d) {
      if (valid_[d]) Answer(d);
    }
    std::function<void()> done = std::move(done_);
    done();
  }
  // Validates document d, detects its language (unless the request gives
  // it) and plans which classifiers run on it. False (with the response's
  // error set) if none will.
  bool Prepare(size_t d) {
    const v1::ClassifyRequest& request = *requests_[d];
    v1::ClassifyResponse* response = responses_[d];
    response->Clear();
    // An id that is not UTF-8 is not echoed (ValidateRequest refuses it).
    if (IsValidUtf8(request.id())) response->set_id(request.id());
    std::string language;  // The request's, canonical; empty: detect.
    grpc::Status status = ValidateRequest(request, limits_, &language);
    if (!status.ok()) {
      SetError(response, status.error_code(), status.error_message());
      return false;
    }
    if (count_ == 0) {
      SetError(response, grpc::StatusCode::UNAVAILABLE,
               "no classifier is ready");
      return false;
    }
    if (!Select(d)) return false;
    response->set_language(language.empty() ? DetectLanguage(request.text())
                                            : std::move(language));
    return PlanLanguages(d);
  }

  // Marks the classifiers document d asked for (every one if it named
  // none). False on an unknown name.
  bool Select(size_t d) {
    const v1::ClassifyRequest& request = *requests_[d];
    if (request.plugins().empty()) {
      for (size_t c = 0; c < count_; ++c) plan(d, c) = Plan::kRun;
      return true;
    }
    for (const std::string& name : request.plugins()) {
      auto it = std::find_if(classifiers_.begin(), classifiers_.end(),
                             [&](const auto& c) { return c->name() == name; });
      if (it == classifiers_.end()) {
        SetError(responses_[d], grpc::StatusCode::NOT_FOUND,
                 "unknown classifier " + QuotedClassifierName(name) +
                     " (ready: " + ReadyNames(*snapshot_) + ")");
        return false;
      }
      plan(d, it - classifiers_.begin()) = Plan::kRun;
    }
    return true;
  }

  // Keeps the selected classifiers that cover document d's language. False
  // if none does: the document then fails with FAILED_PRECONDITION.
  bool PlanLanguages(size_t d) {
    const std::string& language = responses_[d]->language();
    bool any = false;
    std::vector<std::string> covered;
    for (size_t c = 0; c < count_; ++c) {
      if (plan(d, c) != Plan::kRun) continue;
      const std::vector<std::string>& languages =
          classifiers_[c]->manifest().languages;
      if (Covers(languages, language)) {
        any = true;
      } else {
        plan(d, c) = Plan::kOtherLanguage;
        AddLanguages(languages, &covered);
      }
    }
    if (!any) {
      SetError(responses_[d], grpc::StatusCode::FAILED_PRECONDITION,
               "no classifier covers language '" + language +
                   "' (covered: " + absl::StrJoin(covered, ", ") + ")");
    }
    return any;
  }

  // Hands every document that runs on classifier c to the invoker, in
  // batches of at most max_plugin_batch documents.
  void SubmitClassifier(size_t c) {
    std::vector<size_t> docs;
    uint32_t top_k = 0;
    for (size_t d = 0; d < requests_.size(); ++d) {
      if (!valid_[d] || plan(d, c) != Plan::kRun) continue;
      docs.push_back(d);
      const v1::ClassifyRequest& r = *requests_[d];
      top_k = std::max(top_k, r.top_k() ? r.top_k() : limits_.default_top_k);
    }
    for (size_t start = 0; start < docs.size();
         start += limits_.max_plugin_batch) {
      const size_t end =
          std::min(docs.size(), start + limits_.max_plugin_batch);
      SubmitBatch(c, std::vector<size_t>(docs.begin() + start,
                                         docs.begin() + end),
                  top_k);
    }
  }

  void SubmitBatch(size_t c, std::vector<size_t> docs, uint32_t top_k) {
    const Classifier& classifier = *classifiers_[c];
    // The manifest's own limit wins over the daemon's default.
    const int timeout_ms = classifier.manifest().timeout_ms >= 0
                               ? classifier.manifest().timeout_ms
                               : limits_.plugin_timeout_ms;
    PluginBatch batch;
    // Plugins are asked for every score (top_k still bounds them): the
    // merge needs the best label even under min_score (low confidence),
    // and min_score applies to scores after calibration and weight. A
    // calibration maps each label by its own curve, so it can reorder a
    // classifier's labels: such a classifier is asked for as many as any
    // request may get, or a request's top_k would pick its labels by raw
    // score and `top_k: 1` could answer another best label than `top_k: 5`.
    batch.top_k =
        classifier.calibration() != nullptr ? limits_.max_top_k : top_k;
    batch.min_score = 0.0f;
    batch.Reserve(docs.size());
    for (size_t d : docs) batch.Add(requests_[d]->text());
    pending_.fetch_add(1, std::memory_order_relaxed);
    invoker_->Submit(classifiers_[c], std::chrono::milliseconds(timeout_ms),
                     std::move(batch),
                     [self = shared_from_this(), c,
                      docs = std::move(docs)](CallResult result) {
                       self->Finished(c, docs, std::move(result));
                       self->Release();
                     });
  }

  // Takes classifier c's answers for `docs`.
  void Finished(size_t c, const std::vector<size_t>& docs, CallResult result) {
    const Classifier& classifier = *classifiers_[c];
    Metrics::ClassifierCells* cells =
        metrics_ != nullptr ? metrics_->Classifier(classifier.name()) : nullptr;
    if (cells != nullptr) {
      if (result.end == CallEnd::kTimedOut) cells->timeouts.Add();
      cells->batch_seconds.Observe(result.seconds);
      cells->documents.Add(docs.size());
    }
    for (size_t i = 0; i < docs.size(); ++i) {
      DocumentOutcome& outcome = result.outcomes[i];
      if (cells != nullptr && outcome.code != CLASSIFYD_OK) {
        cells->errors.Add();
      }
      Calibrate(classifier, &outcome.labels);
      outcomes_[docs[i] * count_ + c] = std::move(outcome);
    }
  }

  // Raw plugin scores -> the manifest's calibrated ones, before the weight
  // and the merge see them. The classifier's top label for the document
  // (highest raw score, the first listed of a tie) has curves of its own.
  static void Calibrate(const Classifier& classifier,
                        std::vector<PluginLabel>* labels) {
    const Calibration* calibration = classifier.calibration();
    if (calibration == nullptr || labels->empty()) return;
    const auto top =
        std::max_element(labels->begin(), labels->end(),
                         [](const PluginLabel& a, const PluginLabel& b) {
                           return a.score < b.score;
                         });
    for (auto it = labels->begin(); it != labels->end(); ++it) {
      it->score = calibration->Apply(it->name, it->score, it == top);
    }
  }

  // Lists in document d's response what each selected classifier did, and
  // merges the labels of those that answered.
  void Answer(size_t d) {
    const v1::ClassifyRequest& request = *requests_[d];
    v1::ClassifyResponse* response = responses_[d];
    std::vector<LabelSource>& sources = sources_;
    sources.clear();
    const DocumentOutcome* first_failure = nullptr;
    for (size_t c = 0; c < count_; ++c) {
      if (plan(d, c) == Plan::kNotSelected) continue;
      const Classifier& classifier = *classifiers_[c];
      v1::ClassifierRun* run = response->add_classifiers();
      run->set_name(classifier.name());
      run->set_generation(classifier.generation());
      if (plan(d, c) == Plan::kOtherLanguage) {
        run->mutable_status()->set_code(grpc::StatusCode::FAILED_PRECONDITION);
        run->mutable_status()->set_message(
            "does not cover language '" + response->language() +
            "' (covers: " +
            absl::StrJoin(classifier.manifest().languages, ", ") + ")");
        continue;
      }
      const DocumentOutcome& outcome = outcomes_[d * count_ + c];
      if (outcome.code != CLASSIFYD_OK) {
        run->mutable_status()->set_code(ToGrpcCode(outcome.code));
        run->mutable_status()->set_message(outcome.message);
        if (first_failure == nullptr) first_failure = &outcome;
        continue;
      }
      sources.push_back({classifier.name(), classifier.generation(),
                         classifier.manifest().weight, &outcome.labels});
    }
    if (sources.empty() && first_failure != nullptr) {
      SetError(response, ToGrpcCode(first_failure->code),
               first_failure->message);
      return;
    }
    const uint32_t top_k =
        request.top_k() ? request.top_k() : limits_.default_top_k;
    const float min_score = request.has_min_score()
                                ? request.min_score()
                                : limits_.default_min_score;
    MergeLabels(sources, top_k, min_score, &merged_);
    for (const MergedLabel& m : merged_) AddLabel(m, response);
  }

  void AddLabel(const MergedLabel& m, v1::ClassifyResponse* response) {
    v1::Label* label = response->add_labels();
    label->set_name(m.name.data(), m.name.size());
    label->set_score(m.score);
    label->set_plugin(m.classifier.data(), m.classifier.size());
    label->set_generation(m.generation);
    label->set_low_confidence(m.low_confidence);
    for (const std::string& e : *m.evidence) label->add_evidence(e);
    for (const LabelVote& vote : m.also) {
      v1::LabelVote* other = label->add_also_from();
      other->set_plugin(vote.classifier.data(), vote.classifier.size());
      other->set_score(vote.score);
      other->set_generation(vote.generation);
      for (const std::string& e : *vote.evidence) other->add_evidence(e);
    }
    if (metrics_ != nullptr) metrics_->LabelEmitted(m.classifier, m.name);
  }

  const std::vector<const v1::ClassifyRequest*> requests_;
  const std::vector<v1::ClassifyResponse*> responses_;
  const std::shared_ptr<const ClassifierSnapshot> snapshot_;
  const std::vector<std::shared_ptr<const Classifier>>& classifiers_;
  const std::shared_ptr<const ServiceLimits> limits_holder_;
  const ServiceLimits& limits_;
  Metrics* const metrics_;
  Invoker* const invoker_;
  std::function<void()> done_;
  const size_t count_;
  // Plugin calls not yet finished, plus one while Start() hands them off.
  std::atomic<size_t> pending_{0};
  std::vector<Plan> plan_;  // [d * count_ + c]
  std::vector<char> valid_;
  // outcomes_[d * count_ + c]: what classifier c said about document d.
  std::vector<DocumentOutcome> outcomes_;
  // Scratch of Answer(), which answers the documents one after another on
  // one thread: reused so that a document costs no allocation of its own.
  std::vector<LabelSource> sources_;
  std::vector<MergedLabel> merged_;
};

}  // namespace

ClassifyEngine::ClassifyEngine(const ClassifierRegistry* registry,
                               Invoker* invoker, ServiceLimits limits,
                               Metrics* metrics)
    : registry_(registry),
      invoker_(invoker),
      limits_(std::make_shared<const ServiceLimits>(limits)),
      metrics_(metrics) {}

std::shared_ptr<const ServiceLimits> ClassifyEngine::limits() const {
  std::lock_guard lock(mu_);
  return limits_;
}

void ClassifyEngine::SetLimits(const ServiceLimits& limits) {
  auto fresh = std::make_shared<const ServiceLimits>(limits);
  std::lock_guard lock(mu_);
  limits_ = std::move(fresh);
}

void ClassifyEngine::RunAsync(
    std::span<const v1::ClassifyRequest* const> requests,
    std::span<v1::ClassifyResponse* const> responses,
    std::function<void()> done) const {
  std::make_shared<Call>(requests, responses, registry_->Snapshot(), limits(),
                         metrics_, invoker_, std::move(done))
      ->Start();
}

void ClassifyEngine::Run(
    std::span<const v1::ClassifyRequest* const> requests,
    std::span<v1::ClassifyResponse* const> responses) const {
  std::promise<void> answered;
  RunAsync(requests, responses, [&answered] { answered.set_value(); });
  answered.get_future().wait();
}

}  // namespace classifyd
