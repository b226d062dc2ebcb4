// The message of a failed absl::StatusOr, for a test's assertions.
#ifndef CLASSIFYD_TESTS_TESTING_FAILURE_OF_H_
#define CLASSIFYD_TESTS_TESTING_FAILURE_OF_H_

#include <absl/status/statusor.h>

#include <optional>
#include <string>

namespace classifyd::testing {

// nullopt if `result` holds a value, else its status's message.
template <typename T>
std::optional<std::string> FailureOf(const absl::StatusOr<T>& result) {
  if (result.ok()) return std::nullopt;
  return std::string(result.status().message());
}

}  // namespace classifyd::testing

#endif  // CLASSIFYD_TESTS_TESTING_FAILURE_OF_H_
