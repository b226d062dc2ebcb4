// Bytes as a file path for the fuzz targets whose code under test opens a
// file by name (the daemon's config file, fastText's model loader): an
// anonymous in-memory file (memfd), reachable as /proc/self/fd/N, so a
// fuzzing run writes nothing to disk and leaves nothing behind.
#ifndef CLASSIFYD_TESTS_FUZZ_MEMFD_FILE_H_
#define CLASSIFYD_TESTS_FUZZ_MEMFD_FILE_H_

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace classifyd::fuzz {

class MemfdFile {
 public:
  MemfdFile(const uint8_t* data, size_t size) {
    fd_ = memfd_create("classifyd-fuzz", MFD_CLOEXEC);
    if (fd_ < 0) std::abort();  // Not the input's fault: stop the run.
    size_t written = 0;
    while (written < size) {
      const ssize_t n = ::write(fd_, data + written, size - written);
      if (n <= 0) std::abort();
      written += static_cast<size_t>(n);
    }
  }
  ~MemfdFile() { ::close(fd_); }
  MemfdFile(const MemfdFile&) = delete;
  MemfdFile& operator=(const MemfdFile&) = delete;

  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_ = -1;
};

}  // namespace classifyd::fuzz

#endif  // CLASSIFYD_TESTS_FUZZ_MEMFD_FILE_H_
