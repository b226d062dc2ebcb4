#include "server/admin_socket.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace classifyd {
namespace {

absl::Status Unusable(const std::string& why) {
  return absl::FailedPreconditionError(why);
}

}  // namespace

absl::Status PrepareAdminSocketDir(const std::string& socket_path) {
  const std::string dir =
      std::filesystem::path(socket_path).parent_path().string();
  if (dir.empty()) {
    return Unusable("admin socket '" + socket_path + "' has no directory");
  }
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Unusable("cannot create admin socket directory '" + dir +
                    "': " + strerror(errno));
  }
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    return Unusable("cannot check admin socket directory '" + dir +
                    "': " + strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Unusable("admin socket directory '" + dir + "' is not a directory");
  }
  if (st.st_uid != geteuid()) {
    return Unusable("admin socket directory '" + dir + "' is owned by uid " +
                    std::to_string(st.st_uid) +
                    ", not by the daemon's user (uid " +
                    std::to_string(geteuid()) + ")");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    snprintf(mode, sizeof mode, "%03o", st.st_mode & 0777);
    return Unusable("admin socket directory '" + dir +
                    "' is accessible to other users (mode " + mode +
                    "); it must be 0700");
  }
  return absl::OkStatus();
}

std::string AdminSocketOwnerFile(const std::string& socket_path) {
  return socket_path + ".listen";
}

absl::Status WriteAdminSocketOwner(const std::string& socket_path,
                                   const std::string& listen, int bound_port) {
  const std::string host = listen.substr(0, listen.rfind(':'));
  const std::string file = AdminSocketOwnerFile(socket_path);
  std::ofstream out(file, std::ios::trunc);
  out << host << ":" << bound_port << "\n";
  out.close();
  if (!out) return absl::UnavailableError("cannot write '" + file + "'");
  return absl::OkStatus();
}

}  // namespace classifyd
