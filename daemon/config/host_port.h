// "HOST:PORT" listener addresses, as the flags give them (--listen,
// --metrics-listen, --http-listen), checked the same way by the option
// parser and by the listeners.
//
// Stateless; thread-safe.
#ifndef CLASSIFYD_DAEMON_CONFIG_HOST_PORT_H_
#define CLASSIFYD_DAEMON_CONFIG_HOST_PORT_H_

#include <absl/status/statusor.h>

#include <string>

namespace classifyd {

struct HostPort {
  std::string host;  // Without the brackets of an IPv6 address.
  int port = 0;      // 0..65535; 0 asks for a free port.
};

// HOST and PORT of "HOST:PORT" or "[IPv6]:PORT"; INVALID_ARGUMENT saying
// what is wrong if `address` is not of that form.
absl::StatusOr<HostPort> ParseHostPort(const std::string& address);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_CONFIG_HOST_PORT_H_
