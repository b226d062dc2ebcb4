// Health per classifier against the real daemon: grpc.health.v1 answers
// for "classifyd.v1.Classifier/<name>" as the classifier comes, fails,
// goes and the daemon drains, and Watch streams each change.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <memory>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "testing/daemon_process.h"
#include "testing/eventually.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using testing::DaemonProcess;
using testing::KeywordManifest;

using testing::kPatience;

std::string ServiceOf(const std::string& classifier) {
  return "classifyd.v1.Classifier/" + classifier;
}

// A manifest whose plugin library does not exist: the classifier FAILS.
std::string BrokenManifest() { return "plugin = \"/nonexistent/nothing.so\"\n"; }

class ClassifierHealthTest : public ::testing::Test {
 protected:
  void Start() {
    daemon_ = DaemonProcess::Start(plugins_.path(), {"--reload-debounce-ms", "50"});
    ASSERT_NE(daemon_, nullptr);
    stub_ = Health::NewStub(daemon_->NewChannel());
  }

  // Check(service): the status, or the call's error code as a negative
  // number (-5 for NOT_FOUND).
  int Check(const std::string& service) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kPatience);
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    const grpc::Status status = stub_->Check(&context, request, &response);
    return status.ok() ? response.status() : -status.error_code();
  }

  // A Watch on `service`, and the next status it sends.
  struct Watch {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader;
    // The next status sent, or -1 if the stream ended.
    int Next() {
      HealthCheckResponse response;
      return reader->Read(&response) ? response.status() : -1;
    }
  };
  std::unique_ptr<Watch> StartWatch(const std::string& service) {
    auto watch = std::make_unique<Watch>();
    watch->context.set_deadline(std::chrono::system_clock::now() + kPatience);
    HealthCheckRequest request;
    request.set_service(service);
    watch->reader = stub_->Watch(&watch->context, request);
    return watch;
  }

  testing::TempDir plugins_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<Health::Stub> stub_;
};

TEST_F(ClassifierHealthTest, EachClassifierHasItsOwnServingStatus) {
  plugins_.WriteFile("good.toml", KeywordManifest("地震=disaster"));
  plugins_.WriteFile("broken.toml", BrokenManifest());
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_EQ(Check(""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Check("classifyd.v1.Classifier"), HealthCheckResponse::SERVING);
  EXPECT_EQ(Check(ServiceOf("good")), HealthCheckResponse::SERVING);
  EXPECT_EQ(Check(ServiceOf("broken")), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Check(ServiceOf("nosuch")), -grpc::StatusCode::NOT_FOUND);
}

TEST_F(ClassifierHealthTest, WatchSeesAClassifierRemovedAndAddedAgain) {
  plugins_.WriteFile("good.toml", KeywordManifest("地震=disaster"));
  plugins_.WriteFile("other.toml", KeywordManifest("股=finance"));
  ASSERT_NO_FATAL_FAILURE(Start());
  auto watch = StartWatch(ServiceOf("good"));
  EXPECT_EQ(watch->Next(), HealthCheckResponse::SERVING);
  std::filesystem::remove(plugins_.path() + "/good.toml");
  EXPECT_EQ(watch->Next(), HealthCheckResponse::NOT_SERVING);
  // The server as a whole still serves, with `other`.
  EXPECT_EQ(Check(""), HealthCheckResponse::SERVING);
  plugins_.WriteFile("good.toml", KeywordManifest("地震=disaster"));
  EXPECT_EQ(watch->Next(), HealthCheckResponse::SERVING);
}

TEST_F(ClassifierHealthTest, WatchOfANameNotYetLoadedSeesItArrive) {
  plugins_.WriteFile("good.toml", KeywordManifest("地震=disaster"));
  ASSERT_NO_FATAL_FAILURE(Start());
  auto watch = StartWatch(ServiceOf("later"));
  EXPECT_EQ(watch->Next(), HealthCheckResponse::SERVICE_UNKNOWN);
  plugins_.WriteFile("later.toml", KeywordManifest("股=finance"));
  EXPECT_EQ(watch->Next(), HealthCheckResponse::SERVING);
}

TEST_F(ClassifierHealthTest, AClassifierThatFailsToReloadIsNotServing) {
  plugins_.WriteFile("good.toml", KeywordManifest("地震=disaster"));
  plugins_.WriteFile("flaky.toml", KeywordManifest("股=finance"));
  ASSERT_NO_FATAL_FAILURE(Start());
  auto watch = StartWatch(ServiceOf("flaky"));
  EXPECT_EQ(watch->Next(), HealthCheckResponse::SERVING);
  // Its old generation keeps serving documents, but it is FAILED: a load
  // balancer that routes by classifier should know.
  plugins_.WriteFile("flaky.toml", BrokenManifest());
  EXPECT_EQ(watch->Next(), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Check(ServiceOf("good")), HealthCheckResponse::SERVING);
}

TEST_F(ClassifierHealthTest, DrainingMakesEveryClassifierNotServing) {
  plugins_.WriteFile("good.toml", KeywordManifest("地震=disaster"));
  ASSERT_NO_FATAL_FAILURE(Start());
  auto watch = StartWatch(ServiceOf("good"));
  EXPECT_EQ(watch->Next(), HealthCheckResponse::SERVING);
  daemon_->Signal(SIGTERM);
  EXPECT_EQ(watch->Next(), HealthCheckResponse::NOT_SERVING);
}

}  // namespace
}  // namespace classifyd
