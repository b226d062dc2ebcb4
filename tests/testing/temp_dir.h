// A temporary directory removed (with its contents) on destruction.
#ifndef CLASSIFYD_TESTS_TESTING_TEMP_DIR_H_
#define CLASSIFYD_TESTS_TESTING_TEMP_DIR_H_

#include <string>
#include <vector>

namespace classifyd::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `contents` to path()/name and returns the full path.
  std::string WriteFile(const std::string& name,
                        const std::string& contents) const;

 private:
  std::string path_;
};

// The names in `dir`, sorted.
std::vector<std::string> DirectoryNames(const std::string& dir);

}  // namespace classifyd::testing

#endif  // CLASSIFYD_TESTS_TESTING_TEMP_DIR_H_
