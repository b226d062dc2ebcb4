#include "classifyd/v1/request_parsing.h"

#include <gtest/gtest.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <string>

namespace classifyd::v1 {
namespace {

grpc::ByteBuffer Wire(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// Builds the wire form through a message whose setters do not check UTF-8
// (serializing only logs in release builds, and is not what is tested).
std::string BatchWire() {
  ClassifyBatchRequest batch;
  ClassifyRequest* good = batch.add_documents();
  good->set_id("a");
  good->set_text("台风");
  ClassifyRequest* bad = batch.add_documents();
  bad->set_id("b\xff");
  bad->set_text("x \xe4\xb8");
  bad->add_plugins("news");
  bad->set_top_k(3);
  bad->set_min_score(0.25f);
  return batch.SerializeAsString();
}

TEST(RequestParsingTest, KeepsStringsThatAreNotUtf8AndEveryOtherField) {
  grpc::ByteBuffer buffer = Wire(BatchWire());
  ClassifyBatchRequest parsed;
  ASSERT_TRUE(ParseKeepingInvalidUtf8(&buffer, &parsed).ok());
  ASSERT_EQ(parsed.documents_size(), 2);
  EXPECT_EQ(parsed.documents(0).text(), "台风");
  const ClassifyRequest& bad = parsed.documents(1);
  EXPECT_EQ(bad.id(), "b\xff");
  EXPECT_EQ(bad.text(), "x \xe4\xb8");
  ASSERT_EQ(bad.plugins_size(), 1);
  EXPECT_EQ(bad.plugins(0), "news");
  EXPECT_EQ(bad.top_k(), 3u);
  ASSERT_TRUE(bad.has_min_score());
  EXPECT_FLOAT_EQ(bad.min_score(), 0.25f);
}

TEST(RequestParsingTest, ParsesAValidRequestAsProtobufDoes) {
  ClassifyRequest request;
  request.set_id("1");
  request.set_text("中东四国加入金砖");
  grpc::ByteBuffer buffer = Wire(request.SerializeAsString());
  ClassifyRequest parsed;
  ASSERT_TRUE(
      grpc::SerializationTraits<ClassifyRequest>::Deserialize(&buffer, &parsed)
          .ok());
  EXPECT_EQ(parsed.SerializeAsString(), request.SerializeAsString());
}

TEST(RequestParsingTest, RefusesBytesThatAreNoMessage) {
  grpc::ByteBuffer buffer = Wire("\x12\xff\xff\xff");  // Truncated field 2.
  ClassifyRequest parsed;
  const grpc::Status status = ParseKeepingInvalidUtf8(&buffer, &parsed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(status.error_message(),
            "the request is not a valid classifyd.v1.ClassifyRequest message");
}

}  // namespace
}  // namespace classifyd::v1
