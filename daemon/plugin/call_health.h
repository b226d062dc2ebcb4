// How a classifier's calls are faring against their time limit: calls that
// outlived it and are still running inside the plugin, and how many ever
// did. Read by ListPlugins; written by the guarded calls (see
// invoker/invoker.h).
//
// Thread-safe (atomics).
#ifndef CLASSIFYD_DAEMON_PLUGIN_CALL_HEALTH_H_
#define CLASSIFYD_DAEMON_PLUGIN_CALL_HEALTH_H_

#include <atomic>
#include <cstdint>

namespace classifyd {

struct CallHealth {
  // Calls past their timeout that have not returned yet. While it is not
  // 0 the classifier is skipped: a plugin stuck in one call may well be
  // stuck in the next, and every stuck call holds a thread.
  std::atomic<int> stuck_calls{0};
  // Calls that ever ran past their timeout.
  std::atomic<uint64_t> timed_out_calls{0};
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_PLUGIN_CALL_HEALTH_H_
