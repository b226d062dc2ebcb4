// How the daemon's gRPC layer parses the two request messages that carry
// documents, ClassifyRequest and ClassifyBatchRequest, included into the
// generated classifier.grpc.pb.h (protoc's additional_header_includes) so
// every use of the messages with gRPC sees it.
//
// Protobuf refuses to parse a proto3 `string` field that is not UTF-8, and
// gRPC's callback server answers a request it cannot parse with
// UNIMPLEMENTED and no message (or, on a stream, ends reading as if the
// client had half-closed). Here such a request is parsed anyway, with the
// bytes kept as they came, so the service's validation can answer it like
// any bad input: INVALID_ARGUMENT naming the field, for that document only.
// Every other parse failure is refused as before. Serialization is
// protobuf's, unchanged. Thread-safe.
#ifndef CLASSIFYD_PROTO_SUPPORT_REQUEST_PARSING_H_
#define CLASSIFYD_PROTO_SUPPORT_REQUEST_PARSING_H_

#include <google/protobuf/message.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>

#include "classifyd/v1/classifier.pb.h"

namespace classifyd::v1 {

// Parses `buffer` into `message` as protobuf does, except that `string`
// fields (at any depth) that are not valid UTF-8 are kept as raw bytes.
// Clears `buffer`. INTERNAL if the bytes are not such a message at all.
grpc::Status ParseKeepingInvalidUtf8(grpc::ByteBuffer* buffer,
                                     google::protobuf::Message* message);

// SerializationTraits for one of the request messages.
template <typename Request>
class RequestTraits {
 public:
  static grpc::Status Serialize(const Request& message,
                                grpc::ByteBuffer* buffer, bool* own_buffer) {
    return grpc::GenericSerialize<grpc::ProtoBufferWriter, Request>(
        message, buffer, own_buffer);
  }
  static grpc::Status Deserialize(grpc::ByteBuffer* buffer,
                                  Request* message) {
    return ParseKeepingInvalidUtf8(buffer, message);
  }
};

}  // namespace classifyd::v1

namespace grpc {

template <>
class SerializationTraits<classifyd::v1::ClassifyRequest, void>
    : public classifyd::v1::RequestTraits<classifyd::v1::ClassifyRequest> {};

template <>
class SerializationTraits<classifyd::v1::ClassifyBatchRequest, void>
    : public classifyd::v1::RequestTraits<
          classifyd::v1::ClassifyBatchRequest> {};

}  // namespace grpc

#endif  // CLASSIFYD_PROTO_SUPPORT_REQUEST_PARSING_H_
