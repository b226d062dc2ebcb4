#include "classifyd/v1/json_printing.h"

#include <google/protobuf/descriptor.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace classifyd::v1 {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Code points protobuf's JSON writer prints as \u escapes besides the
// ASCII controls: the C1 controls, format characters (soft hyphen,
// zero-width and bidirectional marks, U+2028/9, which end a line in
// JavaScript) and tags. The list is protobuf 3.21's; the unit test checks
// every code point against it.
bool IsEscapedAboveAscii(uint32_t c) {
  return (c >= 0x7F && c <= 0x9F) || c == 0xAD || (c >= 0x600 && c <= 0x603) ||
         c == 0x6DD || c == 0x70F || c == 0x17B4 || c == 0x17B5 ||
         (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x2064) || (c >= 0x206A && c <= 0x206F) ||
         c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB) ||
         (c >= 0x1D173 && c <= 0x1D17A) || c == 0xE0001 ||
         (c >= 0xE0020 && c <= 0xE007F);
}

void AppendUnicodeEscape(uint32_t unit, std::string* out) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\u%04x", unit);
  out->append(buf, 6);
}

void AppendEscapedCodePoint(uint32_t c, std::string* out) {
  switch (c) {
    case '\b':
      out->append("\\b");
      return;
    case '\t':
      out->append("\\t");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '"':
      out->append("\\\"");
      return;
    case '\\':
      out->append("\\\\");
      return;
    default:
      break;
  }
  if (c < 0x10000) {
    AppendUnicodeEscape(c, out);
  } else {
    c -= 0x10000;
    AppendUnicodeEscape(0xD800 + (c >> 10), out);
    AppendUnicodeEscape(0xDC00 + (c & 0x3FF), out);
  }
}

// Appends `s` as a JSON string; false if it is not UTF-8.
bool AppendString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      if (b < 0x20 || b == '"' || b == '\\' || b == '<' || b == '>' ||
          b == 0x7F) {
        AppendEscapedCodePoint(b, out);
      } else {
        out->push_back(static_cast<char>(b));
      }
      ++i;
      continue;
    }
    const size_t start = i;
    UChar32 c;
    // ICU's strict decoder: overlong forms, surrogates and code points
    // above U+10FFFF are ill-formed too.
    U8_NEXT(s.data(), i, s.size(), c);
    if (c < 0) return false;
    if (IsEscapedAboveAscii(static_cast<uint32_t>(c))) {
      AppendEscapedCodePoint(static_cast<uint32_t>(c), out);
    } else {
      out->append(s.data() + start, i - start);
    }
  }
  out->push_back('"');
  return true;
}

// protobuf's SimpleFtoa / SimpleDtoa: FLT_DIG (DBL_DIG) significant
// digits if they read back as the same value without a range error (which
// denormals raise), else enough digits for any value.
template <typename T>
void AppendFloating(T value, std::string* out) {
  constexpr bool kFloat = sizeof(T) == sizeof(float);
  constexpr int kShort = kFloat ? FLT_DIG : DBL_DIG;
  constexpr int kLong = kFloat ? FLT_DIG + 3 : DBL_DIG + 2;
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%.*g", kShort, value);
  errno = 0;
  const T back = kFloat ? static_cast<T>(std::strtof(buf, nullptr))
                        : static_cast<T>(std::strtod(buf, nullptr));
  if (errno != 0 || back != value) {
    n = std::snprintf(buf, sizeof buf, "%.*g", kLong, value);
  }
  out->append(buf, n);
}

class Printer {
 public:
  Printer(bool print_defaults, std::string* out)
      : print_defaults_(print_defaults), out_(out) {}

  // False if the message holds something this printer leaves to protobuf.
  bool Message(const google::protobuf::Message& message) {
    const Descriptor* type = message.GetDescriptor();
    const Reflection* reflection = message.GetReflection();
    if (type->well_known_type() != Descriptor::WELLKNOWNTYPE_UNSPECIFIED) {
      return false;
    }
    std::vector<const FieldDescriptor*> fields;
    if (print_defaults_) {
      // Protobuf lays out every field outside a oneof first, then the set
      // members of oneofs (proto3 `optional` fields among them) in field
      // number order, as its serialiser writes them.
      std::vector<const FieldDescriptor*> oneof_members;
      for (int i = 0; i < type->field_count(); ++i) {
        const FieldDescriptor* f = type->field(i);
        if (f->containing_oneof() != nullptr) {
          if (reflection->HasField(message, f)) oneof_members.push_back(f);
        } else if (f->is_repeated() || !f->has_presence() ||
                   reflection->HasField(message, f)) {
          fields.push_back(f);
        }
      }
      std::sort(oneof_members.begin(), oneof_members.end(),
                [](const FieldDescriptor* a, const FieldDescriptor* b) {
                  return a->number() < b->number();
                });
      fields.insert(fields.end(), oneof_members.begin(), oneof_members.end());
    } else {
      reflection->ListFields(message, &fields);
    }
    out_->push_back('{');
    bool first = true;
    for (const FieldDescriptor* f : fields) {
      if (f->is_map() || f->is_extension()) return false;
      if (!first) out_->push_back(',');
      first = false;
      out_->push_back('"');
      out_->append(f->json_name());
      out_->append("\":");
      if (!Field(message, *reflection, f)) return false;
    }
    out_->push_back('}');
    return true;
  }

 private:
  bool Field(const google::protobuf::Message& message,
             const Reflection& reflection, const FieldDescriptor* f) {
    if (!f->is_repeated()) return Value(message, reflection, f, -1);
    out_->push_back('[');
    const int size = reflection.FieldSize(message, f);
    for (int i = 0; i < size; ++i) {
      if (i > 0) out_->push_back(',');
      if (!Value(message, reflection, f, i)) return false;
    }
    out_->push_back(']');
    return true;
  }

  // Field `f` of `message`, or its element `index` when repeated.
  bool Value(const google::protobuf::Message& message, const Reflection& r,
             const FieldDescriptor* f, int index) {
    const bool one = index < 0;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        out_->append(
            std::to_string(one ? r.GetInt32(message, f)
                               : r.GetRepeatedInt32(message, f, index)));
        return true;
      case FieldDescriptor::CPPTYPE_UINT32:
        out_->append(
            std::to_string(one ? r.GetUInt32(message, f)
                               : r.GetRepeatedUInt32(message, f, index)));
        return true;
      case FieldDescriptor::CPPTYPE_INT64:
        Quoted(std::to_string(one ? r.GetInt64(message, f)
                                  : r.GetRepeatedInt64(message, f, index)));
        return true;
      case FieldDescriptor::CPPTYPE_UINT64:
        Quoted(std::to_string(one ? r.GetUInt64(message, f)
                                  : r.GetRepeatedUInt64(message, f, index)));
        return true;
      case FieldDescriptor::CPPTYPE_BOOL:
        out_->append(
            (one ? r.GetBool(message, f) : r.GetRepeatedBool(message, f, index))
                ? "true"
                : "false");
        return true;
      case FieldDescriptor::CPPTYPE_FLOAT: {
        const float v = one ? r.GetFloat(message, f)
                            : r.GetRepeatedFloat(message, f, index);
        if (!std::isfinite(v)) return false;
        AppendFloating(v, out_);
        return true;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        const double v = one ? r.GetDouble(message, f)
                             : r.GetRepeatedDouble(message, f, index);
        if (!std::isfinite(v)) return false;
        AppendFloating(v, out_);
        return true;
      }
      case FieldDescriptor::CPPTYPE_ENUM:
        return Enum(f, one ? r.GetEnumValue(message, f)
                           : r.GetRepeatedEnumValue(message, f, index));
      case FieldDescriptor::CPPTYPE_STRING: {
        if (f->type() == FieldDescriptor::TYPE_BYTES) return false;
        std::string scratch;
        const std::string& s =
            one ? r.GetStringReference(message, f, &scratch)
                : r.GetRepeatedStringReference(message, f, index, &scratch);
        return AppendString(s, out_);
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return Message(one ? r.GetMessage(message, f)
                           : r.GetRepeatedMessage(message, f, index));
    }
    return false;
  }

  // By name; a number the enum does not name (a newer peer's) as the
  // number.
  bool Enum(const FieldDescriptor* f, int number) {
    // google.protobuf.NullValue prints as null: left to protobuf.
    if (f->enum_type()->full_name() == "google.protobuf.NullValue") {
      return false;
    }
    const auto* value = f->enum_type()->FindValueByNumber(number);
    if (value == nullptr) {
      out_->append(std::to_string(number));
    } else {
      Quoted(value->name());
    }
    return true;
  }

  void Quoted(const std::string& digits_or_name) {
    out_->push_back('"');
    out_->append(digits_or_name);
    out_->push_back('"');
  }

  const bool print_defaults_;
  std::string* const out_;
};

bool OnlyOptionsHandledHere(
    const google::protobuf::util::JsonPrintOptions& options) {
  return !options.add_whitespace && !options.always_print_enums_as_ints &&
         !options.preserve_proto_field_names;
}

}  // namespace

google::protobuf::util::Status PrintJson(
    const google::protobuf::Message& message, std::string* json,
    const google::protobuf::util::JsonPrintOptions& options) {
  json->clear();
  if (OnlyOptionsHandledHere(options) &&
      Printer(options.always_print_primitive_fields, json).Message(message)) {
    return google::protobuf::util::Status();
  }
  json->clear();
  return google::protobuf::util::MessageToJsonString(message, json, options);
}

}  // namespace classifyd::v1
