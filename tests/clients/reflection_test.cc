// grpcurl-style discovery: clients/python/discover.py learns the API from
// the daemon's server reflection alone (no generated classifyd code), lists
// the services, describes one, and calls Classify with a request it builds
// from the fetched descriptor. The daemon_test reflection test checks the
// raw protocol; this one checks that a real dynamic client can use it.
#include <gmock/gmock.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "classifyd/v1/classifier.pb.h"
#include "testing/child_process.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::Contains;
using testing::DaemonProcess;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::KeywordManifest;
using ::testing::Not;
using testing::ProgramResult;
using testing::RunProgram;

class ReflectionClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plugins_.WriteFile("rules.toml",
                       KeywordManifest("地震=disaster;股=finance"));
    daemon_ = DaemonProcess::Start(plugins_.path());
    ASSERT_NE(daemon_, nullptr);
  }

  ProgramResult Discover(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {
        CLASSIFYD_SYSTEM_PYTHON,
        testing::SourceDir() + "/clients/python/discover.py", "--addr",
        daemon_->address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProgram(argv, {{"PYTHONPATH", CLASSIFYD_PYTHON_CLIENT_PATH}});
  }

  testing::TempDir plugins_;
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(ReflectionClientTest, ListsThePublicServicesOnly) {
  const ProgramResult run = Discover({"list"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  const std::vector<std::string> services = run.OutLines();
  EXPECT_THAT(services, Contains("classifyd.v1.Classifier"));
  EXPECT_THAT(services, Contains("grpc.health.v1.Health"));
  EXPECT_THAT(services, Contains("grpc.reflection.v1alpha.ServerReflection"));
  // Plugin administration is served on the admin socket only.
  EXPECT_THAT(services, Not(Contains("classifyd.v1.PluginAdmin")));
}

TEST_F(ReflectionClientTest, DescribesTheClassifierFromItsDescriptor) {
  const ProgramResult run = Discover({"describe", "classifyd.v1.Classifier"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(
      run.OutLines(),
      ElementsAre("rpc Classify(classifyd.v1.ClassifyRequest) returns "
                  "(classifyd.v1.ClassifyResponse)",
                  "rpc ClassifyStream(stream classifyd.v1.ClassifyRequest) "
                  "returns (stream classifyd.v1.ClassifyResponse)",
                  "rpc ClassifyBatch(classifyd.v1.ClassifyBatchRequest) "
                  "returns (classifyd.v1.ClassifyBatchResponse)",
                  "rpc ClassifyBatchStream(stream "
                  "classifyd.v1.ClassifyBatchRequest) returns (stream "
                  "classifyd.v1.ClassifyBatchResponse)",
                  "rpc ListPlugins(classifyd.v1.ListPluginsRequest) returns "
                  "(classifyd.v1.ListPluginsResponse)"));
}

TEST_F(ReflectionClientTest, CallsClassifyWithARequestBuiltFromTheDescriptor) {
  const ProgramResult run =
      Discover({"call", "classifyd.v1.Classifier/Classify",
                R"({"id": "r1", "text": "四川地震，股市下跌", "topK": 1})"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  // The dynamic client printed a ClassifyResponse in protobuf's JSON
  // mapping: the generated C++ type must parse it back.
  v1::ClassifyResponse response;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(run.out, &response).ok())
      << run.Show();
  EXPECT_EQ(response.id(), "r1");
  ASSERT_EQ(response.labels_size(), 1);  // topK reached the server.
  EXPECT_THAT(response.labels(0).name(),
              ::testing::AnyOf("disaster", "finance"));
  EXPECT_EQ(response.labels(0).plugin(), "rules");
  EXPECT_FLOAT_EQ(response.labels(0).score(), 0.9f);
  ASSERT_EQ(response.classifiers_size(), 1);
  EXPECT_EQ(response.classifiers(0).name(), "rules");
}

TEST_F(ReflectionClientTest, CallsListPlugins) {
  const ProgramResult run =
      Discover({"call", "classifyd.v1.Classifier/ListPlugins", "{}"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  v1::ListPluginsResponse response;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(run.out, &response).ok())
      << run.Show();
  ASSERT_EQ(response.plugins_size(), 1);
  EXPECT_EQ(response.plugins(0).name(), "rules");
  EXPECT_EQ(response.plugins(0).state(), v1::PluginInfo::READY);
}

TEST_F(ReflectionClientTest, ReportsTheServersReasonForABadDocument) {
  const ProgramResult run =
      Discover({"call", "classifyd.v1.Classifier/Classify", R"({"text": ""})"});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("INVALID_ARGUMENT: text is empty"));
}

TEST_F(ReflectionClientTest, RefusesWhatTheDescriptorDoesNotAllow) {
  // A field the message does not have: caught before anything is sent.
  ProgramResult run = Discover(
      {"call", "classifyd.v1.Classifier/Classify", R"({"txt": "地震"})"});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("bad request JSON"));
  EXPECT_THAT(run.err, HasSubstr("txt"));

  run = Discover({"describe", "classifyd.v1.NoSuchService"});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("does not know"));

  run = Discover({"call", "classifyd.v1.Classifier/NoSuchMethod", "{}"});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("has no method NoSuchMethod"));
}

}  // namespace
}  // namespace classifyd
