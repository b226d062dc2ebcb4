#include "server/server_shutdown.h"

#include <grpc/grpc.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace classifyd {

namespace {

// How often the watcher looks at the count while calls are in flight.
constexpr auto kPoll = std::chrono::milliseconds(20);

}  // namespace

void ShutdownServer(grpc::Server* server,
                    std::chrono::system_clock::time_point deadline,
                    const std::function<int()>& calls_in_flight,
                    std::chrono::milliseconds settle) {
  std::mutex mu;
  std::condition_variable shut_down;
  bool done = false;
  std::thread closer([&] {
    // Whether the count read 0 at the last look, and when it first did
    // since it last was not.
    bool idle = false;
    std::chrono::steady_clock::time_point idle_since;
    std::unique_lock lock(mu);
    while (!shut_down.wait_for(lock, kPoll, [&] { return done; })) {
      const auto now = std::chrono::steady_clock::now();
      if (calls_in_flight() > 0) {
        idle = false;
      } else if (!idle) {
        idle = true;
        idle_since = now;
      } else if (now - idle_since >= settle) {
        spdlog::debug("no call in flight: closing the idle connections");
        grpc_server_cancel_all_calls(server->c_server());
        return;
      }
    }
  });
  server->Shutdown(deadline);
  {
    std::lock_guard lock(mu);
    done = true;
  }
  shut_down.notify_all();
  closer.join();
}

}  // namespace classifyd
