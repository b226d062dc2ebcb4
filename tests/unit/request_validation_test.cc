#include "service/request_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

namespace classifyd {
namespace {

using ::testing::HasSubstr;

v1::ClassifyRequest WithText(std::string text) {
  v1::ClassifyRequest r;
  r.set_text(std::move(text));
  return r;
}

TEST(RequestValidationTest, AcceptsOrdinaryNews) {
  EXPECT_TRUE(ValidateRequest(WithText("中东四国加入金砖"), {}).ok());
}

TEST(RequestValidationTest, RejectsEmptyText) {
  auto s = ValidateRequest(WithText(""), {});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("empty"));
}

TEST(RequestValidationTest, RejectsWhitespaceOnlyIncludingIdeographicSpace) {
  auto s = ValidateRequest(WithText(" \t\r\n\u3000\u00A0"), {});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("whitespace"));
}

TEST(RequestValidationTest, RejectsInvalidUtf8WithOffset) {
  auto s = ValidateRequest(WithText("ok\xC3("), {});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("UTF-8"));
  EXPECT_THAT(s.error_message(), HasSubstr("offset 2"));
}

TEST(RequestValidationTest, RejectsNul) {
  auto s = ValidateRequest(WithText(std::string("a\0b", 3)), {});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("NUL"));
}

TEST(RequestValidationTest, InvalidUtf8AnywhereIsReportedBeforeANul) {
  auto s = ValidateRequest(WithText(std::string("a\0b\xFF", 4)), {});
  EXPECT_THAT(s.error_message(), HasSubstr("UTF-8"));
  EXPECT_THAT(s.error_message(), HasSubstr("offset 3"));
  s = ValidateRequest(WithText(std::string("a\0b\0", 4)), {});
  EXPECT_THAT(s.error_message(), HasSubstr("NUL character at offset 1"));
}

TEST(RequestValidationTest, SizeLimitIsInclusiveAndNamed) {
  ServiceLimits limits;
  limits.max_document_bytes = 10;
  EXPECT_TRUE(ValidateRequest(WithText(std::string(10, 'a')), limits).ok());
  auto s = ValidateRequest(WithText(std::string(11, 'a')), limits);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("11 bytes"));
  EXPECT_THAT(s.error_message(), HasSubstr("limit of 10 bytes"));
}

TEST(RequestValidationTest, ChecksTopKAndMinScore) {
  auto r = WithText("x");
  r.set_top_k(101);
  EXPECT_EQ(ValidateRequest(r, {}).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  r.set_top_k(100);
  EXPECT_TRUE(ValidateRequest(r, {}).ok());
  for (float bad : {-0.1f, 1.5f, std::numeric_limits<float>::quiet_NaN()}) {
    r.set_min_score(bad);
    EXPECT_EQ(ValidateRequest(r, {}).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT)
        << bad;
  }
  r.set_min_score(0);
  EXPECT_TRUE(ValidateRequest(r, {}).ok());
}

TEST(RequestValidationTest, ALanguageMustBeAWellFormedTag) {
  auto r = WithText("x");
  r.set_language("zh-hant");
  std::string language;
  EXPECT_TRUE(ValidateRequest(r, {}, &language).ok());
  EXPECT_EQ(language, "zh-Hant");  // Canonical, for the response.
  r.clear_language();
  EXPECT_TRUE(ValidateRequest(r, {}, &language).ok());
  EXPECT_EQ(language, "");
  r.set_language("zh-Hant");
  r.set_language("zh_Hant");
  auto s = ValidateRequest(r, {});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "language 'zh_Hant' is not a well-formed BCP 47 tag (e.g. \"en\", "
            "\"zh-Hant\")");
  // Not quoted when it could not be a tag at all.
  r.set_language("\xe4\xb8\xad\xe6\x96\x87");
  EXPECT_EQ(ValidateRequest(r, {}).error_message(),
            "language is not a well-formed BCP 47 tag (e.g. \"en\", "
            "\"zh-Hant\")");
}

TEST(RequestValidationTest, RejectsHugeIds) {
  auto r = WithText("x");
  r.set_id(std::string(2000, 'i'));
  EXPECT_EQ(ValidateRequest(r, {}).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(RequestValidationTest, NamesTheFieldThatIsNotUtf8) {
  v1::ClassifyRequest r = WithText("fine");
  r.set_id("a\xff");
  auto s = ValidateRequest(r, {});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "id is not valid UTF-8 (bad byte sequence at offset 1)");
  r.set_id("ok");
  r.add_plugins("news");
  r.add_plugins("\xc3(");
  EXPECT_EQ(ValidateRequest(r, {}).error_message(),
            "plugins[1] is not valid UTF-8 (bad byte sequence at offset 0)");
  EXPECT_FALSE(IsValidUtf8("\xe4\xb8"));
  EXPECT_TRUE(IsValidUtf8("中文"));
}

}  // namespace
}  // namespace classifyd
