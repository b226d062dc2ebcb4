// What stat() tells of a file's contents, to notice that a file changed
// without reading it. A file replaced by rename gets a new inode; one
// rewritten in place a new size, mtime or ctime.
//
// Pure functions; thread-safe.
#ifndef CLASSIFYD_DAEMON_REGISTRY_FILE_STAMP_H_
#define CLASSIFYD_DAEMON_REGISTRY_FILE_STAMP_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace classifyd {

struct FileStamp {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = -1;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

// Stat()s `path`; a default (size -1) stamp if it is empty or does not
// exist.
FileStamp StampFile(const std::string& path);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_REGISTRY_FILE_STAMP_H_
