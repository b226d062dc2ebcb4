#include "plugin/plugin_status.h"

#include <gtest/gtest.h>

namespace classifyd {
namespace {

TEST(PluginStatusTest, EveryPluginCodeMapsToTheSameNamedHostCode) {
  EXPECT_EQ(ToAbslCode(CLASSIFYD_OK), absl::StatusCode::kOk);
  EXPECT_EQ(ToGrpcCode(CLASSIFYD_OK), grpc::StatusCode::OK);
  EXPECT_EQ(ToAbslCode(CLASSIFYD_INVALID_ARGUMENT),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToGrpcCode(CLASSIFYD_RESOURCE_EXHAUSTED),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ToGrpcCode(CLASSIFYD_UNAUTHENTICATED),
            grpc::StatusCode::UNAUTHENTICATED);
  for (int value = 0; value <= 16; ++value) {
    const std::optional<classifyd_status> status = PluginStatusFromValue(value);
    ASSERT_TRUE(status.has_value()) << value;
    EXPECT_EQ(FromAbslCode(ToAbslCode(*status)), *status) << value;
  }
}

TEST(PluginStatusTest, ANumberThatIsNoStatusIsRefusedOrUnknown) {
  EXPECT_FALSE(PluginStatusFromValue(17).has_value());
  EXPECT_FALSE(PluginStatusFromValue(-1).has_value());
  // What a plugin could pass through the C enum: never out of the table.
  EXPECT_EQ(ToGrpcCode(static_cast<classifyd_status>(99)),
            grpc::StatusCode::UNKNOWN);
}

}  // namespace
}  // namespace classifyd
