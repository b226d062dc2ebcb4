// Fuzzes request validation (daemon/service/request_validation.*): arbitrary
// bytes parsed as a ClassifyRequest (what gRPC hands the service), then
// validated. An accepted request must really be what the service promises
// its classifiers: text within the limit, non-empty, valid UTF-8 without NUL.
#include <unicode/utf8.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "classifyd/v1/classifier.pb.h"
#include "service/request_validation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  classifyd::v1::ClassifyRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  static const classifyd::ServiceLimits limits = [] {
    classifyd::ServiceLimits l;
    l.max_document_bytes = 4096;  // Small, so the fuzzer reaches it.
    l.max_id_bytes = 64;
    return l;
  }();
  const grpc::Status status = classifyd::ValidateRequest(request, limits);
  if (!status.ok()) {
    if (status.error_message().empty()) std::abort();
    return 0;
  }
  const std::string& text = request.text();
  if (text.empty() || text.size() > limits.max_document_bytes ||
      request.id().size() > limits.max_id_bytes ||
      request.top_k() > limits.max_top_k) {
    std::abort();
  }
  // Independent UTF-8 check (ICU's, not the validator's loop).
  const int32_t length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(text.data(), i, length, c);
    if (c <= 0) std::abort();
  }
  return 0;
}
