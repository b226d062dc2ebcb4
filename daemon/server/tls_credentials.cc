#include "server/tls_credentials.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <optional>
#include <sstream>

namespace classifyd {
namespace {

// The text of `path`, or nullopt (with `problem` set) if it cannot be read.
std::optional<std::string> ReadFile(const std::string& what,
                                    const std::string& path,
                                    std::string* problem) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  if (in) out << in.rdbuf();
  if (!in || in.bad()) {
    *problem = what + " '" + path + "' cannot be read";
    return std::nullopt;
  }
  return out.str();
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioDeleter> Bio(const std::string& pem) {
  return std::unique_ptr<BIO, BioDeleter>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Number of PEM certificates in `pem`; the first one in `first` if asked.
int CountCertificates(const std::string& pem,
                      std::unique_ptr<X509, X509Deleter>* first) {
  auto bio = Bio(pem);
  int count = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (count == 0 && first != nullptr) {
      first->reset(cert);
    } else {
      X509_free(cert);
    }
    ++count;
  }
  ERR_clear_error();  // The loop ends on an expected "no start line".
  return count;
}

// The flags alone agree with each other (no file is read).
absl::Status CheckTlsFlags(const TlsSettings& settings,
                           const std::string& auth) {
  const bool has_ca = !settings.client_ca_file.empty();
  if (!settings.enabled()) {
    if (has_ca)
      return absl::InvalidArgumentError(
          "--tls-client-ca needs --tls-cert and --tls-key");
    if (auth != "none") {
      return absl::InvalidArgumentError("--tls-client-auth " + auth +
                                        " needs --tls-cert and --tls-key");
    }
    return absl::OkStatus();
  }
  if (settings.cert_file.empty())
    return absl::InvalidArgumentError("--tls-key needs --tls-cert");
  if (settings.key_file.empty())
    return absl::InvalidArgumentError("--tls-cert needs --tls-key");
  if (auth != "none" && !has_ca) {
    return absl::InvalidArgumentError(
        "--tls-client-auth " + auth +
        " needs --tls-client-ca (the CA that signs client certificates)");
  }
  if (auth == "none" && has_ca) {
    return absl::InvalidArgumentError(
        "--tls-client-ca is set but --tls-client-auth is none");
  }
  return absl::OkStatus();
}

// --tls-cert holds a certificate and --tls-key the private key that matches
// it.
absl::Status CheckCertificateAndKey(const TlsSettings& settings) {
  std::string problem;
  auto cert_pem = ReadFile("--tls-cert", settings.cert_file, &problem);
  if (!cert_pem) return absl::InvalidArgumentError(problem);
  auto key_pem = ReadFile("--tls-key", settings.key_file, &problem);
  if (!key_pem) return absl::InvalidArgumentError(problem);
  std::unique_ptr<X509, X509Deleter> leaf;
  if (CountCertificates(*cert_pem, &leaf) == 0) {
    return absl::InvalidArgumentError("--tls-cert '" + settings.cert_file +
                                      "' holds no PEM certificate");
  }
  auto key_bio = Bio(*key_pem);
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        "--tls-key '" + settings.key_file +
        "' holds no PEM private key (or it is encrypted)");
  }
  if (X509_check_private_key(leaf.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "--tls-key '" + settings.key_file +
        "' does not match the certificate in --tls-cert '" +
        settings.cert_file + "'");
  }
  return absl::OkStatus();
}

// --tls-client-ca holds at least one certificate.
absl::Status CheckClientCa(const TlsSettings& settings) {
  std::string problem;
  auto ca_pem = ReadFile("--tls-client-ca", settings.client_ca_file, &problem);
  if (!ca_pem) return absl::InvalidArgumentError(problem);
  if (CountCertificates(*ca_pem, nullptr) == 0) {
    return absl::InvalidArgumentError("--tls-client-ca '" +
                                      settings.client_ca_file +
                                      "' holds no PEM certificate");
  }
  return absl::OkStatus();
}

}  // namespace

std::string EffectiveClientAuth(const TlsSettings& settings) {
  if (!settings.client_auth.empty()) return settings.client_auth;
  return settings.client_ca_file.empty() ? "none" : "require";
}

absl::Status CheckTlsSettings(const TlsSettings& settings) {
  if (absl::Status flags =
          CheckTlsFlags(settings, EffectiveClientAuth(settings));
      !flags.ok() || !settings.enabled()) {
    return flags;
  }
  if (absl::Status pair = CheckCertificateAndKey(settings); !pair.ok()) {
    return pair;
  }
  if (settings.client_ca_file.empty()) return absl::OkStatus();
  return CheckClientCa(settings);
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(
    const TlsSettings& settings) {
  if (!settings.enabled()) return grpc::InsecureServerCredentials();
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          settings.key_file, settings.cert_file, settings.client_ca_file,
          settings.reload_interval_seconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  const std::string auth = EffectiveClientAuth(settings);
  if (auth == "none") {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(
        auth == "require"
            ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
            : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace classifyd
