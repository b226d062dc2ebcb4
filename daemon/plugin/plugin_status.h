// The one mapping between the plugin ABI's status codes (classifyd_status in
// classifyd/plugin.h) and the host's: absl::StatusCode and grpc::StatusCode.
// The header promises that its values are gRPC's; plugin_status.cc pins
// every one of them with a static_assert, so this mapping cannot drift and
// no other code needs to cast between the enums.
//
// Thread-safe: pure functions.
#ifndef CLASSIFYD_DAEMON_PLUGIN_PLUGIN_STATUS_H_
#define CLASSIFYD_DAEMON_PLUGIN_PLUGIN_STATUS_H_

#include <absl/status/status.h>
#include <classifyd/plugin.h>
#include <grpcpp/support/status_code_enum.h>

#include <optional>

namespace classifyd {

// The code a plugin's status stands for, on the host's side.
absl::StatusCode ToAbslCode(classifyd_status status);
grpc::StatusCode ToGrpcCode(classifyd_status status);

// The plugin status for a host status code (every absl code has one).
classifyd_status FromAbslCode(absl::StatusCode code);

// The plugin status whose value is `value`, or nullopt if `value` is none
// of classifyd_status (a plugin, or an isolated plugin's process, sent a
// number that is not a status code).
std::optional<classifyd_status> PluginStatusFromValue(int value);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_PLUGIN_PLUGIN_STATUS_H_
