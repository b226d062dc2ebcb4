// Checks one ClassifyRequest before any classifier sees it.
//
// Thread-safe (pure functions).
#ifndef CLASSIFYD_DAEMON_SERVICE_REQUEST_VALIDATION_H_
#define CLASSIFYD_DAEMON_SERVICE_REQUEST_VALIDATION_H_

#include <grpcpp/support/status.h>

#include <string>
#include <string_view>

#include "classifyd/v1/classifier.pb.h"
#include "service/limits.h"

namespace classifyd {

// OK, or the status a client gets for this request, with a message that
// says what was wrong: INVALID_ARGUMENT for empty, blank, NUL-containing or
// invalid UTF-8 text, an id or classifier name that is not UTF-8 (the
// message names the field), bad top_k or min_score, a language that is
// not a well-formed BCP 47 tag, or an oversized id;
// RESOURCE_EXHAUSTED for text over the size limit (the message names it).
// When OK and `language` is not null, it receives the request's language
// in canonical form (CanonicalLanguageTag), or empty if it gives none.
grpc::Status ValidateRequest(const v1::ClassifyRequest& request,
                             const ServiceLimits& limits,
                             std::string* language = nullptr);

// Whether `s` is well-formed UTF-8. Only such strings may be copied into
// a response: a client's protobuf library cannot parse anything else.
bool IsValidUtf8(std::string_view s);

// Checks that `text` is well-formed UTF-8 with at least one non-whitespace
// character and no NUL. OK or INVALID_ARGUMENT.
grpc::Status ValidateText(std::string_view text);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_REQUEST_VALIDATION_H_
