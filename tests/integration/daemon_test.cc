// Integration tests: the real classifyd binary on an ephemeral loopback
// port, driven by real gRPC clients. Bad input and hostile clients are in
// bad_input_matrix_test.cc.
#include <fasttext/densematrix.h>
#include <fasttext/fasttext.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "classifyd/v1/admin.grpc.pb.h"
#include "classifyd/v1/classifier.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/daemon_process.h"
#include "testing/fasttext_models.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::DaemonProcess;
using testing::KeywordManifest;

std::string FastTextManifest() {
  return "plugin = \"fasttext\"\nmodel = \"" + testing::BundledModelPath() +
         "\"\n[options]\ntop_k = 5\n";
}

class DaemonTest : public ::testing::Test {
 protected:
  void StartWith(const std::map<std::string, std::string>& manifests,
                 const std::vector<std::string>& args = {}) {
    for (const auto& [name, text] : manifests) plugins_.WriteFile(name, text);
    daemon_ = DaemonProcess::Start(plugins_.path(), args);
    ASSERT_NE(daemon_, nullptr);
    stub_ = v1::Classifier::NewStub(daemon_->NewChannel());
  }

  grpc::Status Classify(const v1::ClassifyRequest& request,
                        v1::ClassifyResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    return stub_->Classify(&context, request, response);
  }

  v1::ClassifyRequest Request(const std::string& id, const std::string& text) {
    v1::ClassifyRequest r;
    r.set_id(id);
    r.set_text(text);
    return r;
  }

  testing::TempDir plugins_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::Classifier::Stub> stub_;
};

TEST_F(DaemonTest, ClassifiesRealNewsWithTheBundledModel) {
  ASSERT_NO_FATAL_FAILURE(StartWith({{"news-topics.toml", FastTextManifest()}}));
  struct Case {
    const char* text;
    const char* label;
  } cases[] = {
      {"所有A股投资者下周统一降费", "finance"},
      {"中国女排3比0横扫对手晋级决赛", "sports"},
  };
  for (const Case& c : cases) {
    v1::ClassifyResponse response;
    grpc::Status status = Classify(Request("doc-1", c.text), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.id(), "doc-1");
    EXPECT_EQ(response.error().code(), 0);
    ASSERT_FALSE(response.labels().empty()) << c.text;
    EXPECT_EQ(response.labels(0).name(), c.label) << c.text;
    EXPECT_EQ(response.labels(0).plugin(), "news-topics");
    EXPECT_GT(response.labels(0).generation(), 0u);
    for (int i = 1; i < response.labels_size(); ++i) {
      EXPECT_GE(response.labels(i - 1).score(), response.labels(i).score());
      EXPECT_GE(response.labels(i).score(), 0.2f);  // default min_score
    }
    ASSERT_EQ(response.classifiers_size(), 1);
    EXPECT_EQ(response.classifiers(0).name(), "news-topics");
    EXPECT_EQ(response.classifiers(0).status().code(), 0);
  }
}

TEST_F(DaemonTest, MergesClassifiersAndHonoursRequestOptions) {
  ASSERT_NO_FATAL_FAILURE(StartWith({{"news-topics.toml", FastTextManifest()},
             {"rules.toml", KeywordManifest("台风=weather;股=finance",
                                            "score = 0.99")}}));
  v1::ClassifyResponse response;
  ASSERT_TRUE(
      Classify(Request("a", "中央气象台:“苏拉”已达强台风级"), &response).ok());
  ASSERT_FALSE(response.labels().empty());
  EXPECT_EQ(response.labels(0).name(), "weather");
  // The rules' vote is the label itself or comes along with it, whichever
  // classifier is surer.
  std::vector<std::string> rules_evidence;
  if (response.labels(0).plugin() == "rules") {
    rules_evidence.assign(response.labels(0).evidence().begin(),
                          response.labels(0).evidence().end());
  }
  for (const auto& vote : response.labels(0).also_from()) {
    if (vote.plugin() == "rules") {
      rules_evidence.assign(vote.evidence().begin(), vote.evidence().end());
    }
  }
  EXPECT_THAT(rules_evidence, Contains("台风"));
  EXPECT_EQ(response.classifiers_size(), 2);

  // Both give `finance`: the model's higher score wins and the rules' vote
  // comes along with its evidence.
  ASSERT_TRUE(Classify(Request("c", "所有A股投资者下周统一降费"), &response).ok());
  ASSERT_FALSE(response.labels().empty());
  EXPECT_EQ(response.labels(0).name(), "finance");
  EXPECT_EQ(response.labels(0).plugin(), "news-topics");
  EXPECT_GT(response.labels(0).score(), 0.99f);
  ASSERT_EQ(response.labels(0).also_from_size(), 1);
  EXPECT_EQ(response.labels(0).also_from(0).plugin(), "rules");
  EXPECT_FLOAT_EQ(response.labels(0).also_from(0).score(), 0.99f);
  EXPECT_THAT(response.labels(0).also_from(0).evidence(), Contains("股"));

  // Only the rules classifier, top 1, everything scored.
  auto request = Request("b", "所有A股投资者下周统一降费");
  request.add_plugins("rules");
  request.set_top_k(1);
  request.set_min_score(0);
  ASSERT_TRUE(Classify(request, &response).ok());
  ASSERT_EQ(response.labels_size(), 1);
  EXPECT_EQ(response.labels(0).name(), "finance");
  EXPECT_EQ(response.labels(0).plugin(), "rules");
  ASSERT_EQ(response.classifiers_size(), 1);

  // A high min_score drops everything the model is unsure about, but for
  // the best label, which comes back as a guess if nothing qualifies.
  request.clear_plugins();
  request.set_top_k(0);
  request.set_min_score(1.0f);
  ASSERT_TRUE(Classify(request, &response).ok());
  ASSERT_FALSE(response.labels().empty());
  for (const auto& label : response.labels()) {
    if (!label.low_confidence()) {
      EXPECT_FLOAT_EQ(label.score(), 1.0f);
    }
  }
  if (response.labels(0).low_confidence()) {
    EXPECT_EQ(response.labels_size(), 1);
    EXPECT_LT(response.labels(0).score(), 1.0f);
  }
}

TEST_F(DaemonTest, NeverSilentTheBestLabelUnderMinScoreComesFlagged) {
  ASSERT_NO_FATAL_FAILURE(StartWith(
      {{"rules.toml", KeywordManifest("台风=weather;股=finance", "score = 0.3")},
       {"weak.toml", KeywordManifest("台风=disaster", "score = 0.2")}}));
  v1::ClassifyResponse response;
  // Over min_score: labels as ever, none flagged.
  ASSERT_TRUE(Classify(Request("a", "台风过后股市"), &response).ok());
  ASSERT_EQ(response.labels_size(), 3);
  for (const auto& label : response.labels()) {
    EXPECT_FALSE(label.low_confidence()) << label.name();
  }
  // Under it: exactly the best one, flagged, whatever top_k says.
  auto request = Request("b", "台风过后股市");
  request.set_min_score(0.5f);
  request.set_top_k(3);
  ASSERT_TRUE(Classify(request, &response).ok());
  EXPECT_EQ(response.error().code(), 0);
  ASSERT_EQ(response.labels_size(), 1);
  // A tie: the classifier's own order decides (its rules list 台风 first).
  EXPECT_EQ(response.labels(0).name(), "weather");
  EXPECT_FLOAT_EQ(response.labels(0).score(), 0.3f);
  EXPECT_EQ(response.labels(0).plugin(), "rules");
  EXPECT_TRUE(response.labels(0).low_confidence());
  // Nothing matched: nothing to guess.
  request.set_text("今日无事");
  ASSERT_TRUE(Classify(request, &response).ok());
  EXPECT_EQ(response.error().code(), 0);
  EXPECT_EQ(response.labels_size(), 0);

  // The same in a batch, beside a confident document.
  auto stub = v1::Classifier::NewStub(daemon_->NewChannel());
  v1::ClassifyBatchRequest batch;
  *batch.add_documents() = request;
  batch.mutable_documents(0)->set_text("台风");
  *batch.add_documents() = Request("c", "台风");
  grpc::ClientContext context;
  v1::ClassifyBatchResponse results;
  ASSERT_TRUE(stub->ClassifyBatch(&context, batch, &results).ok());
  ASSERT_EQ(results.results_size(), 2);
  ASSERT_EQ(results.results(0).labels_size(), 1);
  EXPECT_EQ(results.results(0).labels(0).name(), "weather");
  EXPECT_TRUE(results.results(0).labels(0).low_confidence());
  ASSERT_EQ(results.results(1).labels_size(), 2);
  EXPECT_FALSE(results.results(1).labels(0).low_confidence());
}

TEST_F(DaemonTest, OneFailingClassifierDoesNotFailTheDocument) {
  ASSERT_NO_FATAL_FAILURE(StartWith({{"a.toml", KeywordManifest("x=ex")},
             {"b.toml", KeywordManifest("x=other", "fail_marker = \"boom\"")}}));
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify(Request("d", "x boom"), &response).ok());
  EXPECT_EQ(response.error().code(), 0);
  ASSERT_EQ(response.labels_size(), 1);
  EXPECT_EQ(response.labels(0).plugin(), "a");
  ASSERT_EQ(response.classifiers_size(), 2);
  EXPECT_EQ(response.classifiers(1).name(), "b");
  EXPECT_EQ(response.classifiers(1).status().code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // When every classifier fails, so does the document.
  auto only_b = Request("d2", "boom");
  only_b.add_plugins("b");
  grpc::Status status = Classify(only_b, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("fail marker"));
}

// A model whose weights are all finite, so the model check accepts it, but
// whose scores overflow (inf - inf) for every document with `token`.
std::string TrainModelThatOverflowsOn(const testing::TempDir& dir,
                                      const std::string& token) {
  std::string train;
  for (int i = 0; i < 20; ++i) train += "__label__a 毒 药\n__label__b 好 人\n";
  fasttext::Args args =
      testing::TinySupervisedArgs(dir.WriteFile("train.txt", train));
  args.dim = 4;
  fasttext::FastText model;
  model.train(args);
  // Not quantised: both are dense.
  auto& input = static_cast<fasttext::DenseMatrix&>(
      testing::FastTextMatrices::Input(model));
  auto& output = static_cast<fasttext::DenseMatrix&>(
      testing::FastTextMatrices::Output(model));
  const int32_t row = model.getDictionary()->getId(token);
  for (int64_t j = 0; j < input.size(1); ++j) input.at(row, j) = 1e20f;
  for (int64_t i = 0; i < output.size(0); ++i) {
    for (int64_t j = 0; j < output.size(1); ++j) {
      output.at(i, j) = j % 2 == 0 ? 1e20f : -1e20f;
    }
  }
  const std::string path = dir.path() + "/overflow.bin";
  model.saveModel(path);
  return path;
}

TEST_F(DaemonTest, ADocumentTheModelCannotScoreFailsAloneInItsBatch) {
  testing::TempDir models;
  const std::string model = TrainModelThatOverflowsOn(models, "毒");
  ASSERT_NO_FATAL_FAILURE(
      StartWith({{"overflow.toml",
                  "plugin = \"fasttext\"\nmodel = \"" + model + "\"\n"}}));
  v1::ClassifyBatchRequest batch;
  batch.add_documents()->set_text("好人");
  batch.add_documents()->set_text("毒药");
  batch.add_documents()->set_text("人");
  v1::ClassifyBatchResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->ClassifyBatch(&context, batch, &response).ok());
  ASSERT_EQ(response.results_size(), 3);
  EXPECT_EQ(response.results(0).error().code(), 0);
  EXPECT_FALSE(response.results(0).labels().empty());
  EXPECT_EQ(response.results(1).error().code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(response.results(1).error().message(),
              HasSubstr("the model cannot score it"));
  EXPECT_EQ(response.results(2).error().code(), 0);
  EXPECT_FALSE(response.results(2).labels().empty());
}

TEST_F(DaemonTest, BatchAnswersEachDocumentInOrder) {
  ASSERT_NO_FATAL_FAILURE(StartWith({{"rules.toml", KeywordManifest("x=ex;y=why")}},
            {"--max-batch-documents", "100"}));
  v1::ClassifyBatchRequest batch;
  const char* texts[] = {"x", "", "y", "FAIL", "xy"};
  for (int i = 0; i < 5; ++i) {
    auto* r = batch.add_documents();
    r->set_id("d" + std::to_string(i));
    r->set_text(texts[i]);
  }
  v1::ClassifyBatchResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->ClassifyBatch(&context, batch, &response).ok());
  ASSERT_EQ(response.results_size(), 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(response.results(i).id(), "d" + std::to_string(i));
  }
  EXPECT_EQ(response.results(0).labels(0).name(), "ex");
  EXPECT_EQ(response.results(1).error().code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(response.results(2).labels(0).name(), "why");
  EXPECT_EQ(response.results(3).error().code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(response.results(4).labels_size(), 2);

  v1::ClassifyBatchRequest too_big;
  for (int i = 0; i < 101; ++i) too_big.add_documents()->set_text("x");
  grpc::ClientContext context2;
  grpc::Status status = stub_->ClassifyBatch(&context2, too_big, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("limit of 100"));
}

TEST_F(DaemonTest, RefusesBadPluginsWithClearLogsAndServesTheGoodOnes) {
  const std::string dir = testing::TestPluginDir();
  ASSERT_NO_FATAL_FAILURE(StartWith({
      {"good.toml", KeywordManifest("x=ex")},
      {"future.toml", "plugin = \"" + dir + "/bad_abi_major.so\"\n"},
      {"throws.toml", "plugin = \"" + dir + "/bad_entry_throws.so\"\n"},
      {"refuses.toml", "plugin = \"" + dir + "/bad_create_fails.so\"\n"},
      {"noentry.toml", "plugin = \"" + dir + "/bad_no_entry.so\"\n"},
      {"missing.toml", "plugin = \"no-such-plugin\"\n"},
      {"broken.toml", "plugin = \n"},
  }));
  const std::string log = daemon_->Log();
  EXPECT_THAT(log, HasSubstr("major version must match"));
  EXPECT_THAT(log, HasSubstr("entry point exploded"));
  EXPECT_THAT(log, HasSubstr("model checksum mismatch"));
  EXPECT_THAT(log, HasSubstr("does not export 'classifyd_plugin_entry'"));
  EXPECT_THAT(log, HasSubstr("no-such-plugin.so"));
  EXPECT_THAT(log, HasSubstr("invalid TOML"));

  v1::ListPluginsResponse list;
  grpc::ClientContext context;
  auto admin = v1::PluginAdmin::NewStub(daemon_->NewAdminChannel());
  ASSERT_TRUE(admin->ListPlugins(&context, {}, &list).ok());
  ASSERT_EQ(list.plugins_size(), 7);
  for (const auto& p : list.plugins()) {
    if (p.name() == "good") {
      EXPECT_EQ(p.state(), v1::PluginInfo::READY);
      EXPECT_EQ(p.plugin(), "keyword");
      EXPECT_EQ(p.version(), "1.2.3");
      EXPECT_EQ(p.abi_version(), "1.1");  // Built against this header.
      EXPECT_THAT(p.labels(), Contains("ex"));
      EXPECT_GT(p.generation(), 0u);
      EXPECT_THAT(p.manifest_path(), HasSubstr("good.toml"));
      EXPECT_EQ(p.error(), "");
    } else {
      EXPECT_EQ(p.state(), v1::PluginInfo::FAILED) << p.name();
      EXPECT_FALSE(p.error().empty()) << p.name();
      EXPECT_EQ(p.generation(), 0u) << p.name();
    }
  }
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify(Request("x", "x"), &response).ok());
  EXPECT_EQ(response.labels(0).plugin(), "good");
}

// Load errors name files and quote them: a manifest's unknown key, a line
// of a file the plugin was pointed at. Only the admin socket shows them.
TEST_F(DaemonTest, PublicListPluginsShowsNoPathOrLoadError) {
  ASSERT_NO_FATAL_FAILURE(StartWith({
      {"good.toml", KeywordManifest("x=ex")},
      {"leaky.toml", "plugin = \"lexicon\"\napi_key = \"hunter2\"\n"},
      {"passwd.toml", "plugin = \"lexicon\"\nmodel = \"/etc/passwd\"\n"},
  }));
  v1::ListPluginsResponse list;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->ListPlugins(&context, {}, &list).ok());
  ASSERT_EQ(list.plugins_size(), 3);
  const std::string shown = list.DebugString();
  for (const char* secret : {"hunter2", "api_key", "root:", "/etc/passwd",
                             ".toml", ".so"}) {
    EXPECT_THAT(shown, Not(HasSubstr(secret))) << shown;
  }
  EXPECT_THAT(shown, Not(HasSubstr(plugins_.path())));
  for (const auto& p : list.plugins()) {
    if (p.name() == "good") {
      EXPECT_EQ(p.plugin(), "keyword");
      EXPECT_THAT(p.labels(), Contains("ex"));
      continue;
    }
    EXPECT_EQ(p.state(), v1::PluginInfo::FAILED) << p.name();
    EXPECT_EQ(p.error(),
              "the classifier failed to load; the reason is in the daemon's "
              "log and on its admin socket (classifyctl plugins --admin)");
  }

  grpc::ClientContext admin_context;
  auto admin = v1::PluginAdmin::NewStub(daemon_->NewAdminChannel());
  ASSERT_TRUE(admin->ListPlugins(&admin_context, {}, &list).ok());
  ASSERT_EQ(list.plugins_size(), 3);
  EXPECT_THAT(list.plugins(1).error(), HasSubstr("unknown key 'api_key'"));
  EXPECT_EQ(list.plugins(1).manifest_path(), plugins_.path() + "/leaky.toml");
  EXPECT_THAT(list.plugins(2).error(), HasSubstr("/etc/passwd"));
  EXPECT_THAT(list.plugins(0).library_path(), HasSubstr("keyword.so"));
}

TEST_F(DaemonTest, HealthIsNotServingUntilAClassifierLoads) {
  daemon_ = DaemonProcess::Start(plugins_.path(), {}, /*wait_serving=*/false);
  ASSERT_NE(daemon_, nullptr);
  EXPECT_TRUE(daemon_->WaitForHealth(false, std::chrono::seconds(10)));
  stub_ = v1::Classifier::NewStub(daemon_->NewChannel());
  v1::ClassifyResponse response;
  EXPECT_EQ(Classify(Request("a", "x"), &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  // A new manifest and SIGHUP: the classifier appears and health flips.
  plugins_.WriteFile("late.toml", KeywordManifest("x=ex"));
  daemon_->Signal(SIGHUP);
  EXPECT_TRUE(daemon_->WaitForHealth(true, std::chrono::seconds(30)));
  ASSERT_TRUE(Classify(Request("a", "x"), &response).ok());
  EXPECT_EQ(response.labels(0).plugin(), "late");
}

TEST_F(DaemonTest, ReflectionListsTheServices) {
  ASSERT_NO_FATAL_FAILURE(StartWith({{"rules.toml", KeywordManifest("x=ex")}}));
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(
      daemon_->NewChannel());
  grpc::ClientContext context;
  auto stream = stub->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("*");
  ASSERT_TRUE(stream->Write(request));
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> services;
  for (const auto& s : response.list_services_response().service()) {
    services.push_back(s.name());
  }
  EXPECT_THAT(services, Contains("classifyd.v1.Classifier"));
  EXPECT_THAT(services, Contains("grpc.health.v1.Health"));

  // The descriptor is there for clients that build requests dynamically.
  request.set_file_containing_symbol("classifyd.v1.Classifier");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_GT(
      response.file_descriptor_response().file_descriptor_proto_size(), 0);
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(
      response.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.package(), "classifyd.v1");
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(DaemonTest, ConfigFileSetsLimits) {
  testing::TempDir config_dir;
  const std::string config =
      config_dir.WriteFile("classifyd.toml", "max_document_bytes = 16\n");
  ASSERT_NO_FATAL_FAILURE(StartWith({{"rules.toml", KeywordManifest("x=ex")}}, {"--config", config}));
  v1::ClassifyResponse response;
  grpc::Status status =
      Classify(Request("a", std::string(17, 'x')), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("limit of 16 bytes"));
}

TEST(DaemonStartupTest, ExitsWithAClearMessageOnBadSettings) {
  testing::TempDir dir;
  std::string command = testing::DaemonBinary() +
                        " --log-level loud > " + dir.path() + "/out 2>&1";
  const int status = std::system(command.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 2);
  std::ifstream in(dir.path() + "/out");
  std::string out((std::istreambuf_iterator<char>(in)), {});
  EXPECT_THAT(out, HasSubstr("--log-level"));
}

// Start-up that fails after the gRPC port opened (here the HTTP port is
// taken) while a client holds a stream open on it: the daemon still exits
// with its error rather than waiting for that client.
TEST(DaemonStartTest, AStartThatFailsLateDoesNotWaitForOpenStreams) {
  testing::TempDir plugins;
  testing::TempDir work;
  // Loading takes 3 s, long enough for the client to get in.
  plugins.WriteFile("slow.toml", "plugin = \"" + testing::TestPluginDir() +
                                     "/crash_hang.so\"\n[options]\n"
                                     "hang_in_create = true\nhang_ms = 3000\n");
  const testing::HeldLoopbackPort held;
  ASSERT_NE(held.port(), 0);
  const std::string taken = std::to_string(held.port());
  const std::string grpc_address =
      "127.0.0.1:" + std::to_string(testing::UnusedLoopbackPort());
  testing::ChildProcess daemon({testing::DaemonBinary(), "--listen",
                                grpc_address, "--plugin-dir", plugins.path(),
                                "--plugin-lib-dir", testing::PluginLibDir(),
                                "--runtime-dir", work.path(), "--admin-socket",
                                "none", "--http-listen", "127.0.0.1:" + taken});

  auto stub = v1::Classifier::NewStub(
      grpc::CreateChannel(grpc_address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_wait_for_ready(true);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  auto stream = stub->ClassifyStream(&context);
  v1::ClassifyRequest request;
  request.set_text("x");
  ASSERT_TRUE(stream->Write(request));
  v1::ClassifyResponse response;
  ASSERT_TRUE(stream->Read(&response));  // Served, and held open.

  const testing::ProgramResult run = daemon.Wait(std::chrono::seconds(30));
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("cannot listen on '127.0.0.1:" + taken));
  context.TryCancel();
}

}  // namespace
}  // namespace classifyd
