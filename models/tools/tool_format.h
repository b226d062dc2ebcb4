// Small formatting helpers of classifyd-train's reports.
#ifndef CLASSIFYD_MODELS_TOOLS_TOOL_FORMAT_H_
#define CLASSIFYD_MODELS_TOOLS_TOOL_FORMAT_H_

#include <chrono>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <string>

namespace classifyd::train {

inline std::string Fixed(double value, int precision = 4) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(precision) << value;
  return out.str();
}

inline double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

inline std::string FileSize(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) return "?";
  return std::to_string(size) + " bytes";
}

}  // namespace classifyd::train

#endif  // CLASSIFYD_MODELS_TOOLS_TOOL_FORMAT_H_
