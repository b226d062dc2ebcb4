// Waiting for something another thread or process does, without guessing
// how long it takes.
#ifndef CLASSIFYD_TESTS_TESTING_EVENTUALLY_H_
#define CLASSIFYD_TESTS_TESTING_EVENTUALLY_H_

#include <chrono>
#include <functional>

namespace classifyd::testing {

// How long a test waits for something that should happen before calling it
// a failure: generous, because sanitizer builds on a shared machine are
// slow, and only a failing test ever waits this long.
inline constexpr std::chrono::seconds kPatience{60};

// Polls `done` every 10 ms until it returns true (then true) or
// `patience` has passed (then false).
bool Eventually(const std::function<bool()>& done,
                std::chrono::milliseconds patience = kPatience);

}  // namespace classifyd::testing

#endif  // CLASSIFYD_TESTS_TESTING_EVENTUALLY_H_
