#include "plugin/trusted_path.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace classifyd {

std::string CheckTrustedPath(const std::string& path,
                             const std::string& what) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return "cannot check " + what + " '" + path + "': " + strerror(errno);
  }
  const uid_t self = geteuid();
  if (st.st_uid != 0 && st.st_uid != self) {
    return "refusing " + what + " '" + path + "': it is owned by uid " +
           std::to_string(st.st_uid) +
           ", not by root or the daemon's user (uid " + std::to_string(self) +
           ") (disable with --strict-modes=false)";
  }
  if ((st.st_mode & S_IWOTH) != 0) {
    return "refusing " + what + " '" + path +
           "': it is writable by every user (fix with chmod o-w, or disable "
           "the check with --strict-modes=false)";
  }
  return "";
}

}  // namespace classifyd
