#include "classifyd/v1/request_parsing.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <grpcpp/impl/codegen/proto_buffer_reader.h>

#include <memory>
#include <vector>

namespace classifyd::v1 {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::DescriptorProto;
using google::protobuf::DynamicMessageFactory;
using google::protobuf::FieldDescriptor;
using google::protobuf::FieldDescriptorProto;
using google::protobuf::FileDescriptorProto;
using google::protobuf::Message;
using google::protobuf::Reflection;

// classifier.proto's messages with every `string` field made `bytes`: the
// same wire format, without the UTF-8 check. Built once; thread-safe.
class LaxMessages {
 public:
  LaxMessages() {
    FileDescriptorProto file;
    ClassifyRequest::descriptor()->file()->CopyTo(&file);
    for (DescriptorProto& message : *file.mutable_message_type()) {
      MakeLax(&message);
    }
    pool_.BuildFile(file);
  }

  // A new, empty lax twin of `strict`'s type, or null.
  std::unique_ptr<Message> New(const Descriptor* strict) {
    const Descriptor* lax = pool_.FindMessageTypeByName(strict->full_name());
    if (lax == nullptr) return nullptr;
    return std::unique_ptr<Message>(factory_.GetPrototype(lax)->New());
  }

 private:
  static void MakeLax(DescriptorProto* message) {
    for (FieldDescriptorProto& field : *message->mutable_field()) {
      if (field.type() == FieldDescriptorProto::TYPE_STRING) {
        field.set_type(FieldDescriptorProto::TYPE_BYTES);
      }
    }
    for (DescriptorProto& nested : *message->mutable_nested_type()) {
      MakeLax(&nested);
    }
  }

  DescriptorPool pool_;
  DynamicMessageFactory factory_{&pool_};
};

void CopyFields(const Message& from, Message* to);

// Copies value `i` of repeated field `f` (or the value of singular `f` when
// `i` is -1) of `from` into field `g` of `to`. String setters do not check
// UTF-8, which is the point.
void CopyValue(const Message& from, const FieldDescriptor* f, int i,
               Message* to, const FieldDescriptor* g) {
  const Reflection* in = from.GetReflection();
  const Reflection* out = to->GetReflection();
  const bool rep = i >= 0;
  switch (f->cpp_type()) {
#define CLASSIFYD_COPY(TYPE, Name)                                        \
  case FieldDescriptor::CPPTYPE_##TYPE:                                   \
    rep ? out->Add##Name(to, g, in->GetRepeated##Name(from, f, i))        \
        : out->Set##Name(to, g, in->Get##Name(from, f));                  \
    return;
    CLASSIFYD_COPY(INT32, Int32)
    CLASSIFYD_COPY(INT64, Int64)
    CLASSIFYD_COPY(UINT32, UInt32)
    CLASSIFYD_COPY(UINT64, UInt64)
    CLASSIFYD_COPY(DOUBLE, Double)
    CLASSIFYD_COPY(FLOAT, Float)
    CLASSIFYD_COPY(BOOL, Bool)
    CLASSIFYD_COPY(ENUM, EnumValue)
    CLASSIFYD_COPY(STRING, String)
#undef CLASSIFYD_COPY
    case FieldDescriptor::CPPTYPE_MESSAGE:
      CopyFields(rep ? in->GetRepeatedMessage(from, f, i)
                     : in->GetMessage(from, f),
                 rep ? out->AddMessage(to, g) : out->MutableMessage(to, g));
      return;
  }
}

// Copies every set field of `from` into `to`, a message of the same shape
// (field numbers and C++ types) from another pool.
void CopyFields(const Message& from, Message* to) {
  std::vector<const FieldDescriptor*> fields;
  from.GetReflection()->ListFields(from, &fields);
  for (const FieldDescriptor* f : fields) {
    const FieldDescriptor* g =
        to->GetDescriptor()->FindFieldByNumber(f->number());
    if (g == nullptr) continue;
    if (!f->is_repeated()) {
      CopyValue(from, f, -1, to, g);
      continue;
    }
    const int size = from.GetReflection()->FieldSize(from, f);
    for (int i = 0; i < size; ++i) CopyValue(from, f, i, to, g);
  }
}

bool Parse(grpc::ByteBuffer* buffer, Message* message) {
  grpc::ProtoBufferReader reader(buffer);
  return reader.status().ok() && message->ParseFromZeroCopyStream(&reader);
}

}  // namespace

grpc::Status ParseKeepingInvalidUtf8(grpc::ByteBuffer* buffer,
                                     Message* message) {
  if (buffer == nullptr) return {grpc::StatusCode::INTERNAL, "no payload"};
  // The common case costs one ordinary parse; only a refused message is
  // parsed again, leniently.
  bool parsed = Parse(buffer, message);
  if (!parsed) {
    static LaxMessages* const lax_messages = new LaxMessages();
    std::unique_ptr<Message> lax = lax_messages->New(message->GetDescriptor());
    message->Clear();
    parsed = lax != nullptr && Parse(buffer, lax.get());
    if (parsed) CopyFields(*lax, message);
  }
  buffer->Clear();
  if (!parsed) {
    return {grpc::StatusCode::INTERNAL,
            "the request is not a valid " + message->GetTypeName() +
                " message"};
  }
  return grpc::Status::OK;
}

}  // namespace classifyd::v1
