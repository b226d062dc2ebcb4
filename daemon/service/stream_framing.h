// How the two streaming RPCs frame documents in messages: ClassifyStream
// carries one document per message each way, ClassifyBatchStream many
// (ClassifyBatchRequest in, ClassifyBatchResponse out, results[i] answering
// documents[i]). StreamReactor (service/stream_reactor.h) is written once
// against this interface.
//
// Thread-safe: stateless.
#ifndef CLASSIFYD_DAEMON_SERVICE_STREAM_FRAMING_H_
#define CLASSIFYD_DAEMON_SERVICE_STREAM_FRAMING_H_

#include <cstddef>

#include "classifyd/v1/classifier.pb.h"
#include "metrics/metrics.h"

namespace classifyd {

// ClassifyStream: a message is a document, a response its answer.
struct SingleDocuments {
  using In = v1::ClassifyRequest;
  using Out = v1::ClassifyResponse;
  static constexpr Rpc kRpc = Rpc::kClassifyStream;
  static constexpr const char* kName = "ClassifyStream";
  // First arena blocks of a message read and of its answer
  // (service/arena_messages.h): about one headline and its answer.
  static constexpr size_t kInArenaBytes = 512;
  static constexpr size_t kOutArenaBytes = 1024;

  static int Count(const In&) { return 1; }
  static const v1::ClassifyRequest& Document(const In& in, int) { return in; }
  // The answer to each document of `in`, in order, in `out`.
  // REQUIRES: `out` is empty.
  static v1::ClassifyResponse* AddResult(Out* out) { return out; }
  // Documents `out` answers.
  static int Answers(const Out&) { return 1; }
};

// ClassifyBatchStream: a message is a batch, a response answers all of it.
struct DocumentBatches {
  using In = v1::ClassifyBatchRequest;
  using Out = v1::ClassifyBatchResponse;
  static constexpr Rpc kRpc = Rpc::kClassifyBatchStream;
  static constexpr const char* kName = "ClassifyBatchStream";
  // About 64 headlines, and their answers.
  static constexpr size_t kInArenaBytes = 8 * 1024;
  static constexpr size_t kOutArenaBytes = 16 * 1024;

  static int Count(const In& in) { return in.documents_size(); }
  static const v1::ClassifyRequest& Document(const In& in, int i) {
    return in.documents(i);
  }
  static v1::ClassifyResponse* AddResult(Out* out) { return out->add_results(); }
  static int Answers(const Out& out) { return out.results_size(); }
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_STREAM_FRAMING_H_
