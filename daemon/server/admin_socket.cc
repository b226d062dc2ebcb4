#include "server/admin_socket.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace classifyd {

std::string PrepareAdminSocketDir(const std::string& socket_path) {
  const std::string dir =
      std::filesystem::path(socket_path).parent_path().string();
  if (dir.empty()) return "admin socket '" + socket_path + "' has no directory";
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return "cannot create admin socket directory '" + dir +
           "': " + strerror(errno);
  }
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    return "cannot check admin socket directory '" + dir +
           "': " + strerror(errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return "admin socket directory '" + dir + "' is not a directory";
  }
  if (st.st_uid != geteuid()) {
    return "admin socket directory '" + dir + "' is owned by uid " +
           std::to_string(st.st_uid) + ", not by the daemon's user (uid " +
           std::to_string(geteuid()) + ")";
  }
  if ((st.st_mode & 077) != 0) {
    return "admin socket directory '" + dir +
           "' is accessible to other users (mode " +
           [&] {
             char buf[8];
             snprintf(buf, sizeof buf, "%03o", st.st_mode & 0777);
             return std::string(buf);
           }() +
           "); it must be 0700";
  }
  return "";
}

std::string AdminSocketOwnerFile(const std::string& socket_path) {
  return socket_path + ".listen";
}

std::string WriteAdminSocketOwner(const std::string& socket_path,
                                  const std::string& listen, int bound_port) {
  const std::string host = listen.substr(0, listen.rfind(':'));
  const std::string file = AdminSocketOwnerFile(socket_path);
  std::ofstream out(file, std::ios::trunc);
  out << host << ":" << bound_port << "\n";
  out.close();
  if (!out) return "cannot write '" + file + "'";
  return "";
}

}  // namespace classifyd
