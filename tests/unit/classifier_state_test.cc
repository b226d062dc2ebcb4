// The registry's state table (registry/classifier_state.h).
#include "registry/classifier_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <utility>

namespace classifyd {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using S = ClassifierState;

constexpr S kAll[] = {S::kLoading, S::kReady, S::kFailed, S::kUnloading};

TEST(RegistryStateTest, AllowsExactlyTheTransitionsOfTheTable) {
  const std::set<std::pair<S, S>> allowed = {
      {S::kLoading, S::kReady},   {S::kLoading, S::kFailed},
      {S::kReady, S::kReady},     {S::kReady, S::kFailed},
      {S::kReady, S::kUnloading}, {S::kFailed, S::kLoading},
      {S::kFailed, S::kReady},    {S::kFailed, S::kFailed},
      {S::kFailed, S::kUnloading}};
  for (S from : kAll) {
    for (S to : kAll) {
      EXPECT_EQ(CheckTransition(from, to).ok(), allowed.count({from, to}) != 0)
          << ClassifierStateName(from) << " -> " << ClassifierStateName(to);
    }
  }
}

TEST(RegistryStateTest, UnloadingIsFinal) {
  for (S to : kAll) EXPECT_FALSE(CheckTransition(S::kUnloading, to).ok());
}

TEST(RegistryStateTest, AServingEntryNeverGoesBackToLoading) {
  // READY keeps serving while its next version loads: it is never LOADING.
  EXPECT_FALSE(CheckTransition(S::kReady, S::kLoading).ok());
  // An entry that never served leaves without UNLOADING.
  EXPECT_FALSE(CheckTransition(S::kLoading, S::kUnloading).ok());
}

TEST(RegistryStateTest, ARefusalNamesBothStates) {
  const absl::Status refused = CheckTransition(S::kUnloading, S::kReady);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused));
  EXPECT_THAT(std::string(refused.message()),
              AllOf(HasSubstr("UNLOADING"), HasSubstr("READY")));
}

TEST(RegistryStateTest, NamesEveryState) {
  EXPECT_STREQ(ClassifierStateName(S::kLoading), "LOADING");
  EXPECT_STREQ(ClassifierStateName(S::kReady), "READY");
  EXPECT_STREQ(ClassifierStateName(S::kFailed), "FAILED");
  EXPECT_STREQ(ClassifierStateName(S::kUnloading), "UNLOADING");
}

}  // namespace
}  // namespace classifyd
