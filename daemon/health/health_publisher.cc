#include "health/health_publisher.h"

#include <spdlog/spdlog.h>


#include "health/classifier_health.h"

namespace classifyd {

void HealthPublisher::Update() {
  std::lock_guard lock(mu_);
  PublishServer(registry_->HasAnswering());
  // A removed generation still finishing requests is listed UNLOADING
  // beside its replacement; only a serving entry makes a name SERVING.
  std::map<std::string, bool> now;
  for (const ClassifierStatus& status : registry_->List()) {
    now[status.name] |= ClassifierAnswering(status);
  }
  for (const auto& [name, serving] : now) PublishClassifier(name, serving);
  for (const auto& [name, serving] : classifiers_) {
    if (!now.contains(name)) PublishClassifier(name, false);
  }
}

void HealthPublisher::PublishServer(bool serving) {
  health_->SetServingStatus("", serving);
  health_->SetServingStatus(kClassifierServiceName, serving);
  if (serving == serving_) return;
  serving_ = serving;
  if (serving) {
    spdlog::info("health: SERVING");
  } else if (registry_->HasReady()) {
    spdlog::error(
        "health: NOT_SERVING: every ready classifier is skipped, a call "
        "to it ran past its time limit and has not returned");
  } else {
    spdlog::info("health: NOT_SERVING: no classifier is ready");
  }
}

void HealthPublisher::PublishClassifier(const std::string& name,
                                        bool serving) {
  auto [it, inserted] = classifiers_.try_emplace(name, serving);
  if (!inserted && it->second == serving) return;
  it->second = serving;
  health_->SetServingStatus(ClassifierHealthName(name), serving);
  spdlog::info("health: classifier '{}' {}", name,
               serving ? "SERVING" : "NOT_SERVING");
}

}  // namespace classifyd
