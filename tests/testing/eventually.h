// Waiting for something another thread or process does, without guessing
// how long it takes.
#ifndef CLASSIFYD_TESTS_TESTING_EVENTUALLY_H_
#define CLASSIFYD_TESTS_TESTING_EVENTUALLY_H_

#include <chrono>
#include <functional>

namespace classifyd::testing {

// Polls `done` every 10 ms until it returns true (then true) or
// `patience` has passed (then false).
bool Eventually(const std::function<bool()>& done,
                std::chrono::milliseconds patience = std::chrono::seconds(20));

}  // namespace classifyd::testing

#endif  // CLASSIFYD_TESTS_TESTING_EVENTUALLY_H_
