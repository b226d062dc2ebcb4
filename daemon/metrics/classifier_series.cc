#include "metrics/classifier_series.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "metrics/families.h"

namespace classifyd {
namespace {

using metrics::AddGauge;
using metrics::Family;
using prometheus::MetricFamily;
using prometheus::MetricType;

// A gauge family with one sample per classifier, labelled `classifier`.
template <typename Number>
MetricFamily PerClassifierGauge(std::string name, std::string help,
                                const std::map<std::string, Number>& values) {
  MetricFamily family =
      Family(std::move(name), std::move(help), MetricType::Gauge);
  for (const auto& [classifier, value] : values) {
    AddGauge(family, {{"classifier", classifier}}, static_cast<double>(value));
  }
  return family;
}

MetricFamily StateFamily(
    const std::map<std::string, std::set<std::string>>& states) {
  MetricFamily state = Family(
      "classifyd_classifier_state",
      "1 for each state a classifier entry is in (LOADING, READY, FAILED, "
      "UNLOADING), else 0.",
      MetricType::Gauge);
  for (const auto& [name, present] : states) {
    for (const char* s : kClassifierStateNames) {
      AddGauge(state, {{"classifier", name}, {"state", s}},
               present.count(s) ? 1 : 0);
    }
  }
  return state;
}

// Always 1; joins (`* on(classifier) group_left(version)`) put the plugin
// version or model beside any per-classifier series.
MetricFamily InfoFamily(
    const std::map<std::string, const ClassifierSample*>& newest) {
  MetricFamily info = Family(
      "classifyd_classifier_info",
      "The version of each classifier now serving: its plugin library "
      "(path), plugin name and version, model file and generation. Always 1.",
      MetricType::Gauge);
  for (const auto& [name, c] : newest) {
    AddGauge(info,
             {{"classifier", name},
              {"generation", std::to_string(c->generation)},
              {"library", c->library_path},
              {"model", c->model_path},
              {"plugin", c->plugin_name},
              {"version", c->plugin_version}},
             1);
  }
  return info;
}

}  // namespace

void AppendClassifierStateFamilies(const std::vector<ClassifierSample>& samples,
                                   std::vector<MetricFamily>* out) {
  // A name may appear twice in `samples` (a retiring old version beside
  // its replacement), so gather the states present per name first.
  std::map<std::string, std::set<std::string>> states;
  std::map<std::string, const ClassifierSample*> newest;
  std::map<std::string, uint64_t> generations;
  // Stuck calls of every version still loaded, the retiring ones included:
  // each holds a thread.
  std::map<std::string, int> stuck;
  for (const ClassifierSample& s : samples) {
    states[s.name].insert(s.state);
    if (!s.serving) continue;
    const ClassifierSample*& c = newest[s.name];
    if (c == nullptr || s.generation > c->generation) c = &s;
    generations[s.name] = c->generation;
    stuck[s.name] += s.stuck_calls;
  }
  out->push_back(StateFamily(states));
  out->push_back(PerClassifierGauge(
      "classifyd_classifier_generation",
      "Generation of the classifier version now serving (labels carry it "
      "too).",
      generations));
  out->push_back(PerClassifierGauge(
      "classifyd_classifier_stuck_calls",
      "Plugin calls that ran past their time limit and have not returned; "
      "the classifier is skipped while it is not 0.",
      stuck));
  out->push_back(InfoFamily(newest));
}

}  // namespace classifyd
