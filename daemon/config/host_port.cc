#include "config/host_port.h"

#include <charconv>

namespace classifyd {

absl::StatusOr<HostPort> ParseHostPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError("'" + address + "' is not HOST:PORT");
  }
  HostPort result;
  result.host = address.substr(0, colon);
  if (result.host.front() == '[' && result.host.back() == ']') {
    result.host = result.host.substr(1, result.host.size() - 2);
  } else if (result.host.find(':') != std::string::npos) {
    return absl::InvalidArgumentError(
        "'" + address + "': write an IPv6 address in brackets, [::1]:PORT");
  }
  const std::string port = address.substr(colon + 1);
  const auto [end, ec] =
      std::from_chars(port.data(), port.data() + port.size(), result.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() ||
      result.port < 0 || result.port > 65535) {
    return absl::InvalidArgumentError(
        "'" + address + "': port must be a number from 0 to 65535");
  }
  return result;
}

}  // namespace classifyd
