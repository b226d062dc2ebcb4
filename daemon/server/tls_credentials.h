// TLS and mutual TLS for the public gRPC listener: the settings, their
// start-up checks, and the server credentials built from them.
//
// The certificate, key and client-CA files are watched by gRPC's
// FileWatcherCertificateProvider: replaced files are picked up within the
// refresh interval for new connections, while connections already open keep
// the certificate they were made with.
#ifndef CLASSIFYD_DAEMON_SERVER_TLS_CREDENTIALS_H_
#define CLASSIFYD_DAEMON_SERVER_TLS_CREDENTIALS_H_

#include <absl/status/status.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

namespace classifyd {

struct TlsSettings {
  std::string cert_file;       // PEM certificate chain, leaf first.
  std::string key_file;        // PEM private key of the leaf certificate.
  std::string client_ca_file;  // PEM CAs that sign accepted client certs.
  // "none", "request" (verify a certificate if the client sends one) or
  // "require"; empty means "require" with a client CA and "none" without.
  std::string client_auth;
  unsigned reload_interval_seconds = 60;

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// Checks that the settings fit together and that the files are readable
// PEM with a key that belongs to the certificate. Returns OK when the
// settings can be used, else INVALID_ARGUMENT saying what is wrong.
absl::Status CheckTlsSettings(const TlsSettings& settings);

// Credentials for the public listener: insecure when TLS is off, otherwise
// TLS (1.2 or later) with the client-certificate policy of `settings`.
// REQUIRES: CheckTlsSettings(settings) returned OK.
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(
    const TlsSettings& settings);

// The effective client-certificate policy: "none", "request" or "require".
std::string EffectiveClientAuth(const TlsSettings& settings);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_TLS_CREDENTIALS_H_
