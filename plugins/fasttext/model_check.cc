#include "model_check.h"

#include <cstdint>
#include <fstream>

namespace classifyd::plugins {
namespace {

// fastText's file header (src/fasttext.cc: FASTTEXT_FILEFORMAT_MAGIC_INT32
// and FASTTEXT_VERSION).
constexpr int32_t kMagic = 793712314;
constexpr int32_t kVersion = 12;
// Header (8) + serialised Args (13 int32 + 1 double).
constexpr std::streamoff kMinimumSize = 8 + 13 * 4 + 8;

}  // namespace

std::string CheckFastTextModelFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "cannot open model file '" + path + "'";
  const std::streamoff size = in.tellg();
  if (size < kMinimumSize) {
    return "model file '" + path + "' is too small to be a fastText model (" +
           std::to_string(size) + " bytes)";
  }
  in.seekg(0);
  int32_t magic = 0;
  int32_t version = 0;
  in.read(reinterpret_cast<char*>(&magic), sizeof magic);
  in.read(reinterpret_cast<char*>(&version), sizeof version);
  if (!in || magic != kMagic) {
    return "'" + path + "' is not a fastText model (bad magic number)";
  }
  if (version > kVersion) {
    return "model file '" + path + "' has fastText format version " +
           std::to_string(version) + "; this plugin reads up to " +
           std::to_string(kVersion);
  }
  return "";
}

}  // namespace classifyd::plugins
