#include "admin_socket_owner.h"

#include <fstream>
#include <set>

namespace classifyctl {
namespace {

struct HostPort {
  std::string host;
  std::string port;
};

// "[::1]:50051" -> {"::1", "50051"}; false if it is not HOST:PORT.
bool Split(const std::string& address, HostPort* out) {
  if (address.find("://") != std::string::npos ||
      address.rfind("unix:", 0) == 0) {
    return false;
  }
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) return false;
  out->host = address.substr(0, colon);
  out->port = address.substr(colon + 1);
  if (out->host.size() >= 2 && out->host.front() == '[' &&
      out->host.back() == ']') {
    out->host = out->host.substr(1, out->host.size() - 2);
  }
  return true;
}

bool IsWildcard(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::";
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

std::string AdminSocketOwner(const std::string& socket) {
  std::string owner;
  std::ifstream(socket + ".listen") >> owner;
  return owner;
}

bool SameListener(const std::string& owner, const std::string& addr) {
  HostPort daemon;
  HostPort client;
  if (!Split(owner, &daemon) || !Split(addr, &client)) return true;
  if (daemon.port != client.port) return false;
  if (daemon.host == client.host || IsWildcard(daemon.host)) return true;
  return IsLoopback(daemon.host) && IsLoopback(client.host);
}

}  // namespace classifyctl
