#include "plugin/plugin_status.h"

#include <array>
#include <cstddef>

namespace classifyd {
namespace {

struct CodeRow {
  classifyd_status plugin;
  absl::StatusCode absl;
  grpc::StatusCode grpc;
};

// Row i is the code whose value is i, on all three sides.
constexpr std::array<CodeRow, 17> kCodes{{
    {CLASSIFYD_OK, absl::StatusCode::kOk, grpc::StatusCode::OK},
    {CLASSIFYD_CANCELLED, absl::StatusCode::kCancelled,
     grpc::StatusCode::CANCELLED},
    {CLASSIFYD_UNKNOWN, absl::StatusCode::kUnknown, grpc::StatusCode::UNKNOWN},
    {CLASSIFYD_INVALID_ARGUMENT, absl::StatusCode::kInvalidArgument,
     grpc::StatusCode::INVALID_ARGUMENT},
    {CLASSIFYD_DEADLINE_EXCEEDED, absl::StatusCode::kDeadlineExceeded,
     grpc::StatusCode::DEADLINE_EXCEEDED},
    {CLASSIFYD_NOT_FOUND, absl::StatusCode::kNotFound,
     grpc::StatusCode::NOT_FOUND},
    {CLASSIFYD_ALREADY_EXISTS, absl::StatusCode::kAlreadyExists,
     grpc::StatusCode::ALREADY_EXISTS},
    {CLASSIFYD_PERMISSION_DENIED, absl::StatusCode::kPermissionDenied,
     grpc::StatusCode::PERMISSION_DENIED},
    {CLASSIFYD_RESOURCE_EXHAUSTED, absl::StatusCode::kResourceExhausted,
     grpc::StatusCode::RESOURCE_EXHAUSTED},
    {CLASSIFYD_FAILED_PRECONDITION, absl::StatusCode::kFailedPrecondition,
     grpc::StatusCode::FAILED_PRECONDITION},
    {CLASSIFYD_ABORTED, absl::StatusCode::kAborted, grpc::StatusCode::ABORTED},
    {CLASSIFYD_OUT_OF_RANGE, absl::StatusCode::kOutOfRange,
     grpc::StatusCode::OUT_OF_RANGE},
    {CLASSIFYD_UNIMPLEMENTED, absl::StatusCode::kUnimplemented,
     grpc::StatusCode::UNIMPLEMENTED},
    {CLASSIFYD_INTERNAL, absl::StatusCode::kInternal,
     grpc::StatusCode::INTERNAL},
    {CLASSIFYD_UNAVAILABLE, absl::StatusCode::kUnavailable,
     grpc::StatusCode::UNAVAILABLE},
    {CLASSIFYD_DATA_LOSS, absl::StatusCode::kDataLoss,
     grpc::StatusCode::DATA_LOSS},
    {CLASSIFYD_UNAUTHENTICATED, absl::StatusCode::kUnauthenticated,
     grpc::StatusCode::UNAUTHENTICATED},
}};

// Every row's three codes have the row's value: the header's promise that
// its codes are gRPC's, and Abseil's that its codes are too.
constexpr bool RowsMatchTheirValues() {
  for (size_t i = 0; i < kCodes.size(); ++i) {
    if (static_cast<size_t>(kCodes[i].plugin) != i ||
        static_cast<size_t>(kCodes[i].absl) != i ||
        static_cast<size_t>(kCodes[i].grpc) != i) {
      return false;
    }
  }
  return true;
}
static_assert(RowsMatchTheirValues(),
              "classifyd_status, absl::StatusCode and grpc::StatusCode "
              "disagree on a code's value");
static_assert(CLASSIFYD_OK == 0 && CLASSIFYD_CANCELLED == 1 &&
                  CLASSIFYD_UNKNOWN == 2 && CLASSIFYD_INVALID_ARGUMENT == 3 &&
                  CLASSIFYD_DEADLINE_EXCEEDED == 4 &&
                  CLASSIFYD_NOT_FOUND == 5 && CLASSIFYD_ALREADY_EXISTS == 6 &&
                  CLASSIFYD_PERMISSION_DENIED == 7 &&
                  CLASSIFYD_RESOURCE_EXHAUSTED == 8 &&
                  CLASSIFYD_FAILED_PRECONDITION == 9 &&
                  CLASSIFYD_ABORTED == 10 && CLASSIFYD_OUT_OF_RANGE == 11 &&
                  CLASSIFYD_UNIMPLEMENTED == 12 && CLASSIFYD_INTERNAL == 13 &&
                  CLASSIFYD_UNAVAILABLE == 14 && CLASSIFYD_DATA_LOSS == 15 &&
                  CLASSIFYD_UNAUTHENTICATED == 16,
              "a classifyd_status value changed: the ABI forbids that");

const CodeRow& RowOf(classifyd_status status) {
  const auto i = static_cast<size_t>(status);
  return i < kCodes.size() ? kCodes[i] : kCodes[CLASSIFYD_UNKNOWN];
}

}  // namespace

absl::StatusCode ToAbslCode(classifyd_status status) {
  return RowOf(status).absl;
}

grpc::StatusCode ToGrpcCode(classifyd_status status) {
  return RowOf(status).grpc;
}

classifyd_status FromAbslCode(absl::StatusCode code) {
  for (const CodeRow& row : kCodes) {
    if (row.absl == code) return row.plugin;
  }
  return CLASSIFYD_UNKNOWN;
}

std::optional<classifyd_status> PluginStatusFromValue(int value) {
  for (const CodeRow& row : kCodes) {
    if (static_cast<int>(row.plugin) == value) return row.plugin;
  }
  return std::nullopt;
}

}  // namespace classifyd
