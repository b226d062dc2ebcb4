#include "config/host_port.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace classifyd {
namespace {

using ::testing::HasSubstr;

TEST(HostPortTest, ParsesHostAndPort) {
  absl::StatusOr<HostPort> ok = ParseHostPort("127.0.0.1:9100");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->host, "127.0.0.1");
  EXPECT_EQ(ok->port, 9100);
  absl::StatusOr<HostPort> v6 = ParseHostPort("[::1]:0");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
}

TEST(HostPortTest, ExplainsMistakes) {
  EXPECT_EQ(ParseHostPort("9100").status(),
            absl::InvalidArgumentError("'9100' is not HOST:PORT"));
  EXPECT_THAT(ParseHostPort("::1:80").status().message(),
              HasSubstr("brackets"));
  EXPECT_THAT(ParseHostPort("host:http").status().message(),
              HasSubstr("port must be a number"));
  EXPECT_THAT(ParseHostPort("host:").status().message(),
              HasSubstr("port must be a number"));
  EXPECT_THAT(ParseHostPort("host:65536").status().message(),
              HasSubstr("port must be a number"));
}

}  // namespace
}  // namespace classifyd
