#include "registry/file_stamp.h"

#include <sys/stat.h>

namespace classifyd {

FileStamp StampFile(const std::string& path) {
  FileStamp stamp;
  struct stat st;
  if (path.empty() || stat(path.c_str(), &st) != 0) return stamp;
  stamp.device = st.st_dev;
  stamp.inode = st.st_ino;
  stamp.size = st.st_size;
  stamp.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 +
                   st.st_mtim.tv_nsec;
  stamp.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1'000'000'000 +
                   st.st_ctim.tv_nsec;
  return stamp;
}

}  // namespace classifyd
