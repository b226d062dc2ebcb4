#include "testing/classify_call.h"

namespace classifyd::testing {

grpc::Status ClassifyText(v1::Classifier::Stub& stub, const std::string& text,
                          v1::ClassifyResponse* response,
                          const std::vector<std::string>& classifiers,
                          std::chrono::milliseconds patience) {
  v1::ClassifyRequest request;
  request.set_id("d");
  request.set_text(text);
  for (const std::string& name : classifiers) request.add_plugins(name);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + patience);
  return stub.Classify(&context, request, response);
}

}  // namespace classifyd::testing
