#include "registry/classifier_state.h"

#include <absl/strings/str_cat.h>

namespace classifyd {
namespace {

constexpr int kStates = 4;

// kAllowed[from][to], in the order of the enum; see the header's table.
constexpr bool kAllowed[kStates][kStates] = {
    /* LOADING   */ {false, true, true, false},
    /* READY     */ {false, true, true, true},
    /* FAILED    */ {true, true, true, true},
    /* UNLOADING */ {false, false, false, false},
};

}  // namespace

const char* ClassifierStateName(ClassifierState state) {
  switch (state) {
    case ClassifierState::kLoading: return "LOADING";
    case ClassifierState::kReady: return "READY";
    case ClassifierState::kFailed: return "FAILED";
    case ClassifierState::kUnloading: return "UNLOADING";
  }
  return "UNKNOWN";
}

absl::Status CheckTransition(ClassifierState from, ClassifierState to) {
  const int f = static_cast<int>(from);
  const int t = static_cast<int>(to);
  if (f < 0 || f >= kStates || t < 0 || t >= kStates || !kAllowed[f][t]) {
    return absl::FailedPreconditionError(
        absl::StrCat("classifier state ", ClassifierStateName(from),
                     " cannot become ", ClassifierStateName(to)));
  }
  return absl::OkStatus();
}

}  // namespace classifyd
