// The life of a classifier entry in the registry, as one table.
//
//   LOADING    first load of a manifest in progress; nothing serves.
//   READY      a generation serves.
//   FAILED     the last load failed; the previous generation, if any,
//              still serves.
//   UNLOADING  removed (manifest gone, or unloaded on request): serves no
//              new request, and is listed until its last request ends.
//
//                  to: LOADING  READY  FAILED  UNLOADING
//   from LOADING         -       yes    yes      -
//        READY           -       yes    yes     yes
//        FAILED         yes      yes    yes     yes
//        UNLOADING       -        -      -       -
//
// READY -> READY is a new generation replacing the serving one; FAILED ->
// FAILED a retry that failed again; FAILED -> READY a load that succeeded
// or files reverted to the serving version; FAILED -> LOADING a retry with
// nothing serving. An entry that never served leaves without UNLOADING
// (nothing to wait for).
//
// Pure functions; thread-safe.
#ifndef CLASSIFYD_DAEMON_REGISTRY_CLASSIFIER_STATE_H_
#define CLASSIFYD_DAEMON_REGISTRY_CLASSIFIER_STATE_H_

#include <absl/status/status.h>

namespace classifyd {

enum class ClassifierState { kLoading, kReady, kFailed, kUnloading };

// "LOADING", "READY", "FAILED", "UNLOADING".
const char* ClassifierStateName(ClassifierState state);

// OK if the table allows `from` -> `to`, else FAILED_PRECONDITION naming
// both. The one place the registry's transitions are decided.
absl::Status CheckTransition(ClassifierState from, ClassifierState to);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_REGISTRY_CLASSIFIER_STATE_H_
