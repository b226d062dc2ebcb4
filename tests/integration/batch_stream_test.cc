// Integration tests of ClassifyBatchStream against the real daemon: many
// documents per message each way, in order, with per-document errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::HasSubstr;
using testing::DaemonProcess;
using testing::KeywordManifest;

class BatchStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plugins_.WriteFile("rules.toml", KeywordManifest("地震=disaster;股=finance"));
    daemon_ = DaemonProcess::Start(plugins_.path(), {"--max-batch-documents", "8"});
    ASSERT_NE(daemon_, nullptr);
    stub_ = v1::Classifier::NewStub(daemon_->NewChannel());
  }

  // Sends `messages` on one stream from a writer thread while this thread
  // reads every answer.
  std::vector<v1::ClassifyBatchResponse> Run(
      const std::vector<v1::ClassifyBatchRequest>& messages,
      grpc::Status* status) {
    grpc::ClientContext context;
    auto stream = stub_->ClassifyBatchStream(&context);
    std::thread writer([&] {
      for (const auto& m : messages) {
        if (!stream->Write(m)) break;
      }
      stream->WritesDone();
    });
    std::vector<v1::ClassifyBatchResponse> answers;
    v1::ClassifyBatchResponse answer;
    while (stream->Read(&answer)) answers.push_back(answer);
    writer.join();
    *status = stream->Finish();
    return answers;
  }

  static v1::ClassifyBatchRequest Message(int first_id, int count) {
    v1::ClassifyBatchRequest message;
    for (int i = first_id; i < first_id + count; ++i) {
      v1::ClassifyRequest* d = message.add_documents();
      d->set_id(std::to_string(i));
      d->set_text(i % 2 ? "四川发生地震" : "A股收盘");
    }
    return message;
  }

  testing::TempDir plugins_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::Classifier::Stub> stub_;
};

TEST_F(BatchStreamTest, EachMessageIsAnsweredByOneMessageInOrder) {
  std::vector<v1::ClassifyBatchRequest> messages;
  int id = 0;
  for (int m = 0; m < 500; ++m) {
    const int count = 1 + m % 8;  // 1 to 8 documents.
    messages.push_back(Message(id, count));
    id += count;
  }
  grpc::Status status;
  const auto answers = Run(messages, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answers.size(), messages.size());
  for (size_t m = 0; m < messages.size(); ++m) {
    ASSERT_EQ(answers[m].results_size(), messages[m].documents_size()) << m;
    for (int i = 0; i < answers[m].results_size(); ++i) {
      const v1::ClassifyResponse& r = answers[m].results(i);
      const int doc_id = std::stoi(messages[m].documents(i).id());
      ASSERT_EQ(r.id(), messages[m].documents(i).id());
      ASSERT_EQ(r.error().code(), 0) << r.error().message();
      ASSERT_EQ(r.labels_size(), 1);
      EXPECT_EQ(r.labels(0).name(), doc_id % 2 ? "disaster" : "finance");
    }
  }
}

TEST_F(BatchStreamTest, BadDocumentsAndOversizedMessagesDoNotEndTheStream) {
  std::vector<v1::ClassifyBatchRequest> messages = {Message(0, 3), Message(3, 9),
                                                    v1::ClassifyBatchRequest(),
                                                    Message(12, 2)};
  messages[0].mutable_documents(1)->set_text("");  // Invalid: empty.
  grpc::Status status;
  const auto answers = Run(messages, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answers.size(), 4u);

  ASSERT_EQ(answers[0].results_size(), 3);
  EXPECT_EQ(answers[0].results(0).error().code(), 0);
  EXPECT_EQ(answers[0].results(1).error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(answers[0].results(2).error().code(), 0);

  // 9 documents, over --max-batch-documents 8: each says so.
  ASSERT_EQ(answers[1].results_size(), 9);
  for (const v1::ClassifyResponse& r : answers[1].results()) {
    EXPECT_EQ(r.error().code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(r.error().message(), HasSubstr("max_batch_documents"));
  }
  EXPECT_EQ(answers[1].results(4).id(), "7");

  EXPECT_EQ(answers[2].results_size(), 0);  // Empty in, empty out.

  ASSERT_EQ(answers[3].results_size(), 2);
  EXPECT_EQ(answers[3].results(1).id(), "13");
  EXPECT_EQ(answers[3].results(1).labels(0).name(), "disaster");
}

// Strings that are not UTF-8 fail only their document, as on ClassifyStream.
TEST_F(BatchStreamTest, InvalidUtf8FailsOnlyItsDocument) {
  std::vector<v1::ClassifyBatchRequest> messages = {Message(0, 4), Message(4, 1)};
  messages[0].mutable_documents(1)->set_text("A\xe4\xb8");
  messages[0].mutable_documents(2)->set_id("\xff");
  grpc::Status status;
  const auto answers = Run(messages, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answers.size(), 2u);
  ASSERT_EQ(answers[0].results_size(), 4);
  EXPECT_EQ(answers[0].results(0).error().code(), 0);
  EXPECT_EQ(answers[0].results(1).error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(answers[0].results(1).error().message(),
              HasSubstr("text is not valid UTF-8"));
  EXPECT_EQ(answers[0].results(2).error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(answers[0].results(2).id(), "");  // Not echoed.
  EXPECT_EQ(answers[0].results(3).error().code(), 0);
  ASSERT_EQ(answers[1].results_size(), 1);
  EXPECT_EQ(answers[1].results(0).labels(0).name(), "finance");
}

}  // namespace
}  // namespace classifyd
