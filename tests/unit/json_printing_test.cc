#include "classifyd/v1/json_printing.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "classifyd/v1/admin.pb.h"
#include "classifyd/v1/classifier.pb.h"

namespace classifyd::v1 {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::util::JsonPrintOptions;

std::string Utf8(uint32_t c) {
  std::string s;
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
  return s;
}

struct Printed {
  bool ok;
  std::string json;
};

Printed Ours(const Message& m, const JsonPrintOptions& options) {
  std::string json = "stale";
  const bool ok = PrintJson(m, &json, options).ok();
  return {ok, json};
}

Printed Protobufs(const Message& m, const JsonPrintOptions& options) {
  std::string json;
  const bool ok =
      google::protobuf::util::MessageToJsonString(m, &json, options).ok();
  return {ok, json};
}

void ExpectSameAsProtobuf(const Message& m, const JsonPrintOptions& options) {
  const Printed ours = Ours(m, options);
  const Printed theirs = Protobufs(m, options);
  EXPECT_EQ(ours.ok, theirs.ok) << m.ShortDebugString();
  EXPECT_EQ(ours.json, theirs.json) << m.ShortDebugString();
}

JsonPrintOptions PrintDefaults() {
  JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  return options;
}

TEST(JsonPrintingTest, EveryCodePointIsWrittenOrEscapedAsProtobufDoes) {
  ClassifyResponse response;
  size_t differing = 0;
  for (uint32_t c = 1; c <= 0x10FFFF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    response.set_id(Utf8(c));
    std::string ours, theirs;
    ASSERT_TRUE(PrintJson(response, &ours).ok());
    ASSERT_TRUE(
        google::protobuf::util::MessageToJsonString(response, &theirs).ok());
    if (ours != theirs && ++differing <= 10) {
      ADD_FAILURE() << "U+" << std::hex << c << ": " << ours << " against "
                    << theirs;
    }
  }
  EXPECT_EQ(differing, 0u);
}

TEST(JsonPrintingTest, ScoresKeepProtobufsDigits) {
  Label label;
  std::mt19937 random(7);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<float> scores = {
      0.0f,         -0.0f,   1.0f,
      0.1f,         0.5f,    1e-7f,
      0.837531149f, 3.4e38f, std::numeric_limits<float>::denorm_min()};
  for (int i = 0; i < 20000; ++i) scores.push_back(unit(random));
  for (float score : scores) {
    label.set_score(score);
    ExpectSameAsProtobuf(label, {});
  }
}

TEST(JsonPrintingTest, WhatItLeavesToProtobufComesOutAsProtobufsOwn) {
  ClassifyResponse response;
  // Not UTF-8: a stray byte, a cut sequence, an overlong form, a
  // surrogate, a code point above U+10FFFF.
  for (const char* id :
       {"a\xff"
        "b",
        "\xe4\xb8", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    response.set_id(id);
    ExpectSameAsProtobuf(response, {});
  }
  response.set_id("x");
  response.add_labels()->set_score(std::nanf(""));
  ExpectSameAsProtobuf(response, {});
  response.mutable_labels(0)->set_score(
      -std::numeric_limits<float>::infinity());
  ExpectSameAsProtobuf(response, {});
  response.mutable_labels(0)->set_score(0.25f);
  JsonPrintOptions pretty;
  pretty.add_whitespace = true;
  ExpectSameAsProtobuf(response, pretty);
  JsonPrintOptions proto_names;
  proto_names.preserve_proto_field_names = true;
  ExpectSameAsProtobuf(response, proto_names);
}

// Sets every field of `m` at random: present or not, strings from real
// text and characters that need escapes, numbers at their limits,
// enum numbers with and without names, messages up to `depth` deep.
class RandomFill {
 public:
  explicit RandomFill(uint32_t seed) : random_(seed) {}

  void Fill(Message* m, int depth) {
    const Descriptor* type = m->GetDescriptor();
    for (int i = 0; i < type->field_count(); ++i) {
      const FieldDescriptor* f = type->field(i);
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && depth == 0) {
        continue;
      }
      if (f->is_repeated()) {
        const int n = Pick(4);
        for (int k = 0; k < n; ++k) Put(m, f, depth);
      } else if (Pick(3) != 0) {
        Put(m, f, depth);
      }
    }
  }

 private:
  int Pick(int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(random_);
  }

  std::string Text() {
    static const char* const kTexts[] = {"",
                                         "news-topics",
                                         "中央气象台:“苏拉”已达强台风级",
                                         "中东四国加入金砖",
                                         "警方破獲電信詐騙集團",
                                         "a\"b\\c",
                                         "<script>&</script>",
                                         "tab\there",
                                         "line\nbreak\r",
                                         "\x01\x1f\x7f",
                                         "\u00ad\u200b\u2028\ufeff",
                                         "\U0001F600 \U0001D173 \U000E0041",
                                         "score 0.5"};
    return kTexts[Pick(sizeof kTexts / sizeof kTexts[0])];
  }

  template <typename T>
  T Number() {
    switch (Pick(4)) {
      case 0:
        return T{0};
      case 1:
        return std::numeric_limits<T>::max();
      case 2:
        return std::numeric_limits<T>::lowest();
      default:
        return static_cast<T>(random_());
    }
  }

  float Score() {
    return Pick(4) == 0 ? Number<float>()
                        : std::uniform_real_distribution<float>(0, 1)(random_);
  }

  int EnumNumber(const FieldDescriptor* f) {
    const auto* type = f->enum_type();
    if (Pick(5) == 0) return 1000 + Pick(10);  // A number it does not name.
    return type->value(Pick(type->value_count()))->number();
  }

  // Sets `f` of `m`, or adds an element to it when it is repeated.
  void Put(Message* m, const FieldDescriptor* f, int depth) {
    using R = google::protobuf::Reflection;
    const R* r = m->GetReflection();
    const auto put = [&](auto set, auto add, auto value) {
      f->is_repeated() ? (r->*add)(m, f, value) : (r->*set)(m, f, value);
    };
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return put(&R::SetInt32, &R::AddInt32, Number<int32_t>());
      case FieldDescriptor::CPPTYPE_UINT32:
        return put(&R::SetUInt32, &R::AddUInt32, Number<uint32_t>());
      case FieldDescriptor::CPPTYPE_INT64:
        return put(&R::SetInt64, &R::AddInt64, Number<int64_t>());
      case FieldDescriptor::CPPTYPE_UINT64:
        return put(&R::SetUInt64, &R::AddUInt64, Number<uint64_t>());
      case FieldDescriptor::CPPTYPE_BOOL:
        return put(&R::SetBool, &R::AddBool, Pick(2) == 1);
      case FieldDescriptor::CPPTYPE_FLOAT:
        return put(&R::SetFloat, &R::AddFloat, Score());
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return put(&R::SetDouble, &R::AddDouble, Number<double>());
      case FieldDescriptor::CPPTYPE_ENUM:
        return put(&R::SetEnumValue, &R::AddEnumValue, EnumNumber(f));
      case FieldDescriptor::CPPTYPE_STRING:
        if (f->is_repeated()) return r->AddString(m, f, Text());
        return r->SetString(m, f, Text());
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return Fill(
            f->is_repeated() ? r->AddMessage(m, f) : r->MutableMessage(m, f),
            depth - 1);
    }
  }

  std::mt19937 random_;
};

// Every message type of the API, filled at random many times, printed
// with and without defaults.
TEST(JsonPrintingTest, EveryApiMessageFilledAtRandomPrintsAsProtobufDoes) {
  std::vector<const Descriptor*> types;
  for (const auto* file : {ClassifyResponse::descriptor()->file(),
                           ReloadResponse::descriptor()->file()}) {
    for (int i = 0; i < file->message_type_count(); ++i) {
      types.push_back(file->message_type(i));
    }
  }
  ASSERT_GE(types.size(), 15u);
  RandomFill fill(11);
  for (const Descriptor* type : types) {
    SCOPED_TRACE(type->full_name());
    const Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(
            type);
    for (int i = 0; i < 300; ++i) {
      std::unique_ptr<Message> m(prototype->New());
      if (i > 0) fill.Fill(m.get(), 3);  // The first stays empty.
      ExpectSameAsProtobuf(*m, {});
      ExpectSameAsProtobuf(*m, PrintDefaults());
      if (HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace classifyd::v1
