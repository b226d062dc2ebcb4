#include "service/classify_engine.h"

#include <grpcpp/support/status.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "plugin/guarded_classify.h"
#include "service/label_merge.h"
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
  std::string names;
  for (const auto& c : snapshot.classifiers) {
    if (!names.empty()) names += ", ";
    names += c->name();
  }
  return names.empty() ? "none" : names;
}

}  // namespace

ClassifyEngine::ClassifyEngine(const ClassifierRegistry* registry,
                               ServiceLimits limits, Metrics* metrics)
    : registry_(registry),
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

void ClassifyEngine::Run(
    std::span<const v1::ClassifyRequest* const> requests,
    std::span<v1::ClassifyResponse* const> responses) const {
  const std::shared_ptr<const ServiceLimits> limits_ptr = limits();
  const ServiceLimits& limits = *limits_ptr;
  const std::shared_ptr<const ClassifierSnapshot> snapshot =
      registry_->Snapshot();
  const auto& classifiers = snapshot->classifiers;
  const size_t n = requests.size();

  // selected[d * C + c]: document d asked for classifier c.
  const size_t count = classifiers.size();
  std::vector<char> selected(n * count, 0);
  std::vector<char> valid(n, 0);
  for (size_t d = 0; d < n; ++d) {
    const v1::ClassifyRequest& request = *requests[d];
    v1::ClassifyResponse* response = responses[d];
    response->Clear();
    response->set_id(request.id());
    grpc::Status status = ValidateRequest(request, limits);
    if (!status.ok()) {
      SetError(response, status.error_code(), status.error_message());
      continue;
    }
    if (count == 0) {
      SetError(response, grpc::StatusCode::UNAVAILABLE,
               "no classifier is ready");
      continue;
    }
    if (request.plugins().empty()) {
      std::fill_n(selected.begin() + d * count, count, 1);
    } else {
      bool known = true;
      for (const std::string& name : request.plugins()) {
        auto it = std::find_if(classifiers.begin(), classifiers.end(),
                               [&](const auto& c) { return c->name() == name; });
        if (it == classifiers.end()) {
          SetError(response, grpc::StatusCode::NOT_FOUND,
                   "unknown classifier '" + name +
                       "' (ready: " + ReadyNames(*snapshot) + ")");
          known = false;
          break;
        }
        selected[d * count + (it - classifiers.begin())] = 1;
      }
      if (!known) continue;
    }
    valid[d] = 1;
  }

  // outcomes[d * C + c]: what classifier c said about document d.
  std::vector<DocumentOutcome> outcomes(n * count);
  std::vector<size_t> docs;
  std::vector<std::string_view> texts;
  std::vector<DocumentOutcome> batch;
  for (size_t c = 0; c < count; ++c) {
    const Classifier& classifier = *classifiers[c];
    Metrics::ClassifierCells* cells =
        metrics_ != nullptr ? metrics_->Classifier(classifier.name()) : nullptr;
    // The manifest's own limit wins over the daemon's default.
    const int timeout_ms = classifier.manifest().timeout_ms >= 0
                               ? classifier.manifest().timeout_ms
                               : limits.plugin_timeout_ms;
    docs.clear();
    uint32_t top_k = 0;
    for (size_t d = 0; d < n; ++d) {
      if (!valid[d] || !selected[d * count + c]) continue;
      docs.push_back(d);
      const v1::ClassifyRequest& r = *requests[d];
      top_k = std::max(top_k, r.top_k() ? r.top_k() : limits.default_top_k);
    }
    // Plugins are asked for every score (top_k still bounds them): the
    // merge needs the best label even under min_score (low confidence),
    // and min_score applies to scores after calibration and weight.
    constexpr float plugin_min_score = 0.0f;
    for (size_t start = 0; start < docs.size();
         start += limits.max_plugin_batch) {
      const size_t end =
          std::min(docs.size(), start + limits.max_plugin_batch);
      texts.clear();
      for (size_t i = start; i < end; ++i) {
        texts.push_back(requests[docs[i]]->text());
      }
      const auto started = std::chrono::steady_clock::now();
      GuardedCall guarded = GuardedCall::kAnswered;
      if (timeout_ms > 0) {
        guarded =
            ClassifyWithTimeout(classifiers[c], texts, top_k, plugin_min_score,
                                std::chrono::milliseconds(timeout_ms), &batch);
      } else {
        classifier.ClassifyBatch(texts, top_k, plugin_min_score, &batch);
      }
      if (cells != nullptr) {
        if (guarded == GuardedCall::kTimedOut) cells->timeouts.Add();
        cells->batch_seconds.Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                          started)
                .count());
        cells->documents.Add(end - start);
      }
      for (size_t i = start; i < end; ++i) {
        if (cells != nullptr && batch[i - start].code != CLASSIFYD_OK) {
          cells->errors.Add();
        }
        outcomes[docs[i] * count + c] = std::move(batch[i - start]);
      }
    }
  }

  std::vector<LabelSource> sources;
  for (size_t d = 0; d < n; ++d) {
    if (!valid[d]) continue;
    const v1::ClassifyRequest& request = *requests[d];
    v1::ClassifyResponse* response = responses[d];
    sources.clear();
    const DocumentOutcome* first_failure = nullptr;
    for (size_t c = 0; c < count; ++c) {
      if (!selected[d * count + c]) continue;
      const Classifier& classifier = *classifiers[c];
      const DocumentOutcome& outcome = outcomes[d * count + c];
      v1::ClassifierRun* run = response->add_classifiers();
      run->set_name(classifier.name());
      run->set_generation(classifier.generation());
      if (outcome.code != CLASSIFYD_OK) {
        run->mutable_status()->set_code(outcome.code);
        run->mutable_status()->set_message(outcome.message);
        if (first_failure == nullptr) first_failure = &outcome;
        continue;
      }
      sources.push_back({classifier.name(), classifier.generation(),
                         classifier.manifest().weight, &outcome.labels});
    }
    if (sources.empty() && first_failure != nullptr) {
      SetError(response, first_failure->code, first_failure->message);
      continue;
    }
    const uint32_t top_k =
        request.top_k() ? request.top_k() : limits.default_top_k;
    const float min_score = request.has_min_score()
                                ? request.min_score()
                                : limits.default_min_score;
    for (const MergedLabel& m : MergeLabels(sources, top_k, min_score)) {
      v1::Label* label = response->add_labels();
      label->set_name(m.name);
      label->set_score(m.score);
      label->set_plugin(std::string(m.classifier));
      label->set_generation(m.generation);
      label->set_low_confidence(m.low_confidence);
      for (const std::string& e : *m.evidence) label->add_evidence(e);
      for (const LabelVote& vote : m.also) {
        v1::LabelVote* other = label->add_also_from();
        other->set_plugin(std::string(vote.classifier));
        other->set_score(vote.score);
        other->set_generation(vote.generation);
        for (const std::string& e : *vote.evidence) other->add_evidence(e);
      }
      if (metrics_ != nullptr) metrics_->LabelEmitted(m.classifier, m.name);
    }
  }
}

}  // namespace classifyd
