// One unary Classify call, as most integration tests make it.
#ifndef CLASSIFYD_TESTS_TESTING_CLASSIFY_CALL_H_
#define CLASSIFYD_TESTS_TESTING_CLASSIFY_CALL_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>
#include <vector>

#include "classifyd/v1/classifier.grpc.pb.h"

namespace classifyd::testing {

// Classifies `text` (request id "d") with `classifiers` (empty: every ready
// one), waiting at most `patience` for the answer.
grpc::Status ClassifyText(
    v1::Classifier::Stub& stub, const std::string& text,
    v1::ClassifyResponse* response,
    const std::vector<std::string>& classifiers = {},
    std::chrono::milliseconds patience = std::chrono::seconds(60));

}  // namespace classifyd::testing

#endif  // CLASSIFYD_TESTS_TESTING_CLASSIFY_CALL_H_
