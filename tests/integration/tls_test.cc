// TLS and mutual TLS on the public listener, against the real daemon with
// throwaway certificates made by `openssl` at test time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "classifyd/v1/admin.grpc.pb.h"
#include "classifyd/v1/classifier.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using testing::DaemonProcess;
using ::testing::HasSubstr;
using testing::KeywordManifest;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Runs a shell command; fails the test if it does not exit 0.
void Run(const std::string& command) {
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "command failed: " << command;
}

// Throwaway PKI in a temporary directory: CAs and certificates they sign.
class Pki {
 public:
  const std::string& dir() const { return dir_.path(); }
  std::string Path(const std::string& file) const { return dir() + "/" + file; }

  // A self-signed CA: <name>.crt, <name>.key.
  void MakeCa(const std::string& name) {
    Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
        "-nodes -days 2 -subj /CN=" +
        name + " -keyout " + Path(name + ".key") + " -out " +
        Path(name + ".crt") + " 2>/dev/null");
  }

  // A leaf certificate signed by `ca`; `usage` is serverAuth or clientAuth.
  // Server certificates name 127.0.0.1 and localhost.
  void MakeLeaf(const std::string& name, const std::string& ca,
                const std::string& usage) {
    std::string ext = "extendedKeyUsage=" + usage + "\n";
    if (usage == "serverAuth") {
      ext += "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    }
    std::ofstream(Path(name + ".ext")) << ext;
    Run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
        "-nodes -subj /CN=" +
        name + " -keyout " + Path(name + ".key") + " -out " +
        Path(name + ".csr") + " 2>/dev/null");
    Run("openssl x509 -req -days 2 -in " + Path(name + ".csr") + " -CA " +
        Path(ca + ".crt") + " -CAkey " + Path(ca + ".key") +
        " -CAcreateserial -extfile " + Path(name + ".ext") + " -out " +
        Path(name + ".crt") + " 2>/dev/null");
  }

 private:
  testing::TempDir dir_;
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(pki_.MakeCa("ca"));
    ASSERT_NO_FATAL_FAILURE(pki_.MakeCa("other-ca"));
    ASSERT_NO_FATAL_FAILURE(pki_.MakeLeaf("server", "ca", "serverAuth"));
    ASSERT_NO_FATAL_FAILURE(pki_.MakeLeaf("client", "ca", "clientAuth"));
    ASSERT_NO_FATAL_FAILURE(
        pki_.MakeLeaf("stranger", "other-ca", "clientAuth"));
    plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
  }

  // Starts the daemon with TLS from server.crt/key and `extra` flags. The
  // harness's own health wait speaks plaintext, so readiness is the port
  // file (written once classifiers are loaded).
  void StartTls(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--tls-cert", pki_.Path("server.crt"),
                                     "--tls-key", pki_.Path("server.key")};
    args.insert(args.end(), extra.begin(), extra.end());
    daemon_ = DaemonProcess::Start(plugins_.path(), args,
                                   /*wait_serving=*/false);
    ASSERT_NE(daemon_, nullptr);
  }

  // A TLS channel trusting `ca`, presenting `client` (if not empty).
  std::shared_ptr<grpc::Channel> TlsChannel(const std::string& ca,
                                            const std::string& client = "") {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = Slurp(pki_.Path(ca + ".crt"));
    if (!client.empty()) {
      ssl.pem_private_key = Slurp(pki_.Path(client + ".key"));
      ssl.pem_cert_chain = Slurp(pki_.Path(client + ".crt"));
    }
    grpc::ChannelArguments args;
    args.SetInt("grpc.use_local_subchannel_pool", 1);
    return grpc::CreateCustomChannel(daemon_->address(),
                                     grpc::SslCredentials(ssl), args);
  }

  static grpc::Status Classify(const std::shared_ptr<grpc::Channel>& channel,
                               v1::ClassifyResponse* response) {
    auto stub = v1::Classifier::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    v1::ClassifyRequest request;
    request.set_id("t");
    request.set_text("x marks the spot");
    return stub->Classify(&context, request, response);
  }

  static void ExpectClassifies(const std::shared_ptr<grpc::Channel>& channel) {
    v1::ClassifyResponse response;
    grpc::Status status = Classify(channel, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.labels_size(), 1);
    EXPECT_EQ(response.labels(0).name(), "ex");
  }

  static grpc::StatusCode ClassifyCode(
      const std::shared_ptr<grpc::Channel>& channel) {
    v1::ClassifyResponse response;
    return Classify(channel, &response).error_code();
  }

  Pki pki_;
  testing::TempDir plugins_;
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(TlsTest, ServesTlsAndRefusesPlaintextCleanly) {
  ASSERT_NO_FATAL_FAILURE(StartTls());
  ASSERT_NO_FATAL_FAILURE(ExpectClassifies(TlsChannel("ca")));

  // Health answers over TLS too.
  auto health = grpc::health::v1::Health::NewStub(TlsChannel("ca"));
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckResponse serving;
  ASSERT_TRUE(health->Check(&context, {}, &serving).ok());
  EXPECT_EQ(serving.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  // A plaintext client gets UNAVAILABLE, not a hang or a crash.
  EXPECT_EQ(ClassifyCode(daemon_->NewChannel()), grpc::StatusCode::UNAVAILABLE);
  // A client that does not trust the server's CA is refused by itself.
  EXPECT_EQ(ClassifyCode(TlsChannel("other-ca")),
            grpc::StatusCode::UNAVAILABLE);
  ASSERT_NO_FATAL_FAILURE(ExpectClassifies(TlsChannel("ca")));
  EXPECT_THAT(daemon_->Log(), HasSubstr("TLS, client certificates: none"));
}

TEST_F(TlsTest, AdminApiIsNotOnTheTlsListener) {
  ASSERT_NO_FATAL_FAILURE(StartTls());
  auto admin = v1::PluginAdmin::NewStub(TlsChannel("ca"));
  grpc::ClientContext context;
  v1::ReloadResponse response;
  EXPECT_EQ(admin->Reload(&context, {}, &response).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(TlsTest, RequiredClientCertificatesMustComeFromTheClientCa) {
  ASSERT_NO_FATAL_FAILURE(StartTls({"--tls-client-ca", pki_.Path("ca.crt")}));
  EXPECT_EQ(ClassifyCode(TlsChannel("ca")), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ClassifyCode(TlsChannel("ca", "stranger")),
            grpc::StatusCode::UNAVAILABLE);
  ASSERT_NO_FATAL_FAILURE(ExpectClassifies(TlsChannel("ca", "client")));
  EXPECT_THAT(daemon_->Log(), HasSubstr("client certificates: require"));
}

TEST_F(TlsTest, RequestedClientCertificatesAreVerifiedWhenSent) {
  ASSERT_NO_FATAL_FAILURE(StartTls({"--tls-client-ca", pki_.Path("ca.crt"),
                                    "--tls-client-auth", "request"}));
  ASSERT_NO_FATAL_FAILURE(ExpectClassifies(TlsChannel("ca")));
  ASSERT_NO_FATAL_FAILURE(ExpectClassifies(TlsChannel("ca", "client")));
  EXPECT_EQ(ClassifyCode(TlsChannel("ca", "stranger")),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, RotatedCertificateServesNewConnectionsAndOpenStreamsGoOn) {
  ASSERT_NO_FATAL_FAILURE(pki_.MakeCa("next-ca"));
  ASSERT_NO_FATAL_FAILURE(pki_.MakeLeaf("next", "next-ca", "serverAuth"));
  ASSERT_NO_FATAL_FAILURE(StartTls({"--tls-reload-interval", "1"}));

  auto stub = v1::Classifier::NewStub(TlsChannel("ca"));
  grpc::ClientContext context;
  auto stream = stub->ClassifyStream(&context);
  v1::ClassifyRequest request;
  request.set_text("x");
  v1::ClassifyResponse response;
  request.set_id("before");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.id(), "before");

  // Rotate by rename, as certificate tools do, key first.
  namespace fs = std::filesystem;
  fs::copy_file(pki_.Path("next.key"), pki_.Path("server.key.new"));
  fs::copy_file(pki_.Path("next.crt"), pki_.Path("server.crt.new"));
  fs::rename(pki_.Path("server.key.new"), pki_.Path("server.key"));
  fs::rename(pki_.Path("server.crt.new"), pki_.Path("server.crt"));

  // New connections see the new certificate once the watcher has run.
  bool rotated = false;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!rotated && std::chrono::steady_clock::now() < deadline) {
    rotated = ClassifyCode(TlsChannel("next-ca")) == grpc::StatusCode::OK;
    if (!rotated) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(rotated) << daemon_->Log();
  EXPECT_EQ(ClassifyCode(TlsChannel("ca")), grpc::StatusCode::UNAVAILABLE);

  // The stream opened before the rotation is still served.
  request.set_id("after");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.id(), "after");
  ASSERT_EQ(response.labels_size(), 1);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

// Runs the daemon with `args` expecting it to refuse to start; its output.
std::string ExpectStartupFailure(const std::vector<std::string>& args) {
  testing::TempDir dir;
  std::string command = testing::DaemonBinary() + " --listen 127.0.0.1:0" +
                        " --plugin-dir " + dir.path() + " --runtime-dir " +
                        dir.path() + " --admin-socket none";
  for (const std::string& a : args) command += " '" + a + "'";
  command += " > " + dir.path() + "/out 2>&1";
  const int status = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2) << command;
  return Slurp(dir.path() + "/out");
}

// The HTTP/JSON listener takes the gRPC listener's TLS settings: HTTPS with
// the same certificate, and the same client-certificate requirement.
TEST_F(TlsTest, HttpListenerUsesTheSameCertificateAndClientCertificates) {
  const std::string port_file = pki_.Path("http.port");
  ASSERT_NO_FATAL_FAILURE(
      StartTls({"--tls-client-ca", pki_.Path("ca.crt"), "--http-listen",
                "127.0.0.1:0", "--http-port-file", port_file}));
  int port = 0;
  std::ifstream(port_file) >> port;
  ASSERT_GT(port, 0);
  const std::string body = R"({"text": "x marks the spot"})";
  // The refused clients below write to connections the daemon closed.
  signal(SIGPIPE, SIG_IGN);

  httplib::SSLClient with_cert("127.0.0.1", port, pki_.Path("client.crt"),
                               pki_.Path("client.key"));
  with_cert.set_ca_cert_path(pki_.Path("ca.crt").c_str());
  with_cert.enable_server_certificate_verification(true);
  auto result = with_cert.Post("/v1/classify", body, "application/json");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_THAT(result->body, HasSubstr("\"name\":\"ex\""));

  // No client certificate: the handshake fails, the daemon lives on.
  httplib::SSLClient without_cert("127.0.0.1", port);
  without_cert.set_ca_cert_path(pki_.Path("ca.crt").c_str());
  without_cert.enable_server_certificate_verification(true);
  EXPECT_FALSE(without_cert.Post("/v1/classify", body, "application/json"));
  // Plaintext HTTP gets no answer either.
  httplib::Client plaintext("127.0.0.1", port);
  EXPECT_FALSE(plaintext.Post("/v1/classify", body, "application/json"));

  result = with_cert.Get("/readyz");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

TEST_F(TlsTest, BadTlsSettingsStopTheDaemonWithAClearMessage) {
  const std::string cert = pki_.Path("server.crt");
  const std::string key = pki_.Path("server.key");
  EXPECT_THAT(ExpectStartupFailure(
                  {"--tls-cert", cert, "--tls-key", pki_.Path("client.key")}),
              HasSubstr("does not match the certificate"));
  EXPECT_THAT(ExpectStartupFailure(
                  {"--tls-cert", cert, "--tls-key", pki_.Path("missing.key")}),
              HasSubstr("missing.key' cannot be read"));
  EXPECT_THAT(ExpectStartupFailure(
                  {"--tls-cert", pki_.Path("server.ext"), "--tls-key", key}),
              HasSubstr("holds no PEM certificate"));
  EXPECT_THAT(ExpectStartupFailure({"--tls-cert", cert}),
              HasSubstr("--tls-cert needs --tls-key"));
  EXPECT_THAT(ExpectStartupFailure({"--tls-client-ca", pki_.Path("ca.crt")}),
              HasSubstr("--tls-client-ca needs --tls-cert and --tls-key"));
  EXPECT_THAT(ExpectStartupFailure({"--tls-cert", cert, "--tls-key", key,
                                    "--tls-client-auth", "require"}),
              HasSubstr("needs --tls-client-ca"));
  EXPECT_THAT(ExpectStartupFailure({"--tls-cert", cert, "--tls-key", key,
                                    "--tls-client-ca", pki_.Path("ca.key")}),
              HasSubstr("holds no PEM certificate"));
}

}  // namespace
}  // namespace classifyd
