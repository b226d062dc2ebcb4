#include "health/classifier_health.h"

namespace classifyd {

std::string ClassifierHealthName(std::string_view name) {
  std::string service = kClassifierServiceName;
  service += '/';
  service += name;
  return service;
}

bool ClassifierAnswering(const ClassifierStatus& status) {
  return status.state == ClassifierState::kReady &&
         status.serving != nullptr &&
         status.serving->call_health().stuck_calls.load() == 0;
}

}  // namespace classifyd
