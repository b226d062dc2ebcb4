#include "grpc_load.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <sstream>
#include <thread>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "load_run.h"

namespace classifyd::bench {

size_t EffectiveWindow(const LoadOptions& o) {
  size_t window = static_cast<size_t>(std::max(1, o.window));
  const double bytes = AverageBytes(*o.docs);
  if (o.window_bytes > 0 && bytes > 0) {
    window = std::min(window, std::max<size_t>(1, o.window_bytes / bytes));
  }
  return window;
}

namespace {

// ---------------------------------------------------------------------------
// Unary Classify and ClassifyBatch: `concurrency` slots, each with one call
// in flight; a completed call immediately issues the next.

template <typename Request, typename Response>
class UnarySlot {
 public:
  using Issue = std::function<void(grpc::ClientContext*, const Request*,
                                   Response*, std::function<void(grpc::Status)>)>;
  using Check = std::function<void(const grpc::Status&, const Response&, Shared&)>;

  UnarySlot(Shared* shared, const std::vector<Request>* requests, size_t first,
            size_t stride, Issue issue, Check check)
      : shared_(shared),
        requests_(requests),
        next_(first),
        stride_(stride),
        issue_(std::move(issue)),
        check_(std::move(check)) {}

  void Start() {
    context_ = std::make_unique<grpc::ClientContext>();
    response_.Clear();
    const Request* request = &(*requests_)[next_ % requests_->size()];
    next_ += stride_;
    start_ = Clock::now();
    issue_(context_.get(), request, &response_,
           [this](grpc::Status status) { Done(status); });
  }

  LatencySamples& latencies() { return latencies_; }

 private:
  void Done(const grpc::Status& status) {
    const Clock::time_point end = Clock::now();
    latencies_.Add(end - start_);
    check_(status, response_, *shared_);
    if (shared_->stopping() || (!status.ok() && shared_->errors.load() > 1000)) {
      shared_->DriverDone();  // Last use of `this` on this path.
      return;
    }
    Start();
  }

  Shared* const shared_;
  const std::vector<Request>* const requests_;
  size_t next_;
  const size_t stride_;
  const Issue issue_;
  const Check check_;
  std::unique_ptr<grpc::ClientContext> context_;
  Response response_;
  Clock::time_point start_;
  LatencySamples latencies_;
};

template <typename Request, typename Response>
Result RunUnarySlots(const LoadOptions& o, const std::vector<Request>& requests,
                     typename UnarySlot<Request, Response>::Issue issue_for_stub_index,
                     typename UnarySlot<Request, Response>::Check check) {
  Shared shared;
  using Slot = UnarySlot<Request, Response>;
  std::vector<std::unique_ptr<Slot>> slots;
  const int n = std::max(1, o.concurrency);
  for (int i = 0; i < n; ++i) {
    slots.push_back(std::make_unique<Slot>(&shared, &requests, i, n,
                                           issue_for_stub_index, check));
  }
  shared.SetRunning(n);
  Result result;
  MeasureRun(
      o, shared, result,
      [&] {
        for (auto& slot : slots) slot->Start();
      },
      nullptr);
  LatencySamples all;
  for (auto& slot : slots) all.Merge(slot->latencies());
  Summarise(shared, all, result);
  return result;
}

Result RunUnaryOnce(const LoadOptions& o) {
  const auto stubs = MakeStubs(o);
  const auto requests = MakeRequests(o);
  std::atomic<size_t> round_robin{0};
  auto issue = [&](grpc::ClientContext* ctx, const v1::ClassifyRequest* req,
                   v1::ClassifyResponse* resp,
                   std::function<void(grpc::Status)> done) {
    auto& stub = stubs[round_robin.fetch_add(1, std::memory_order_relaxed) %
                       stubs.size()];
    stub->async()->Classify(ctx, req, resp, std::move(done));
  };
  auto check = [](const grpc::Status& s, const v1::ClassifyResponse& r,
                  Shared& shared) {
    if (!s.ok()) {
      shared.NoteError("Classify: " + DescribeStatus(s));
      return;
    }
    shared.CountDocument(r.labels_size() > 0);
  };
  Result result = RunUnarySlots<v1::ClassifyRequest, v1::ClassifyResponse>(
      o, requests, issue, check);
  DescribeRun(o, "unary-c" + std::to_string(o.concurrency), "doc", result);
  return result;
}

Result RunBatchOnce(const LoadOptions& o) {
  const auto stubs = MakeStubs(o);
  const auto singles = MakeRequests(o);
  // Batches of consecutive documents, cycling through the input.
  const size_t b = static_cast<size_t>(std::max(1, o.batch));
  const size_t count = std::max<size_t>(1, singles.size() / b);
  std::vector<v1::ClassifyBatchRequest> requests(count);
  size_t cursor = 0;
  for (auto& batch : requests) {
    for (size_t i = 0; i < b; ++i) {
      *batch.add_documents() = singles[cursor];
      cursor = (cursor + 1) % singles.size();
    }
  }
  std::atomic<size_t> round_robin{0};
  auto issue = [&](grpc::ClientContext* ctx, const v1::ClassifyBatchRequest* req,
                   v1::ClassifyBatchResponse* resp,
                   std::function<void(grpc::Status)> done) {
    auto& stub = stubs[round_robin.fetch_add(1, std::memory_order_relaxed) %
                       stubs.size()];
    stub->async()->ClassifyBatch(ctx, req, resp, std::move(done));
  };
  auto check = [b](const grpc::Status& s, const v1::ClassifyBatchResponse& r,
                   Shared& shared) {
    if (!s.ok()) {
      shared.NoteError("ClassifyBatch: " + DescribeStatus(s));
      return;
    }
    if (static_cast<size_t>(r.results_size()) != b) {
      shared.NoteError("ClassifyBatch: " + std::to_string(r.results_size()) +
                       " results for " + std::to_string(b) + " documents");
    }
    for (const auto& result : r.results()) {
      if (result.error().code() != 0) {
        shared.NoteError("batch document: status " +
                         std::to_string(result.error().code()) + ": " +
                         result.error().message());
      }
      shared.CountDocument(result.labels_size() > 0);
    }
  };
  Result result = RunUnarySlots<v1::ClassifyBatchRequest, v1::ClassifyBatchResponse>(
      o, requests, issue, check);
  std::string scenario = "batch-" + std::to_string(b);
  if (o.concurrency != 2) scenario += "-c" + std::to_string(o.concurrency);
  DescribeRun(o, std::move(scenario), "call", result);
  return result;
}

}  // namespace

Result RunUnary(const LoadOptions& o) { return WithWarmup(o, &RunUnaryOnce); }
Result RunBatch(const LoadOptions& o) { return WithWarmup(o, &RunBatchOnce); }

std::string WaitReady(const std::string& addr, const std::string& classifier,
                      double timeout_seconds, std::string* description) {
  auto channel = grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
  auto stub = v1::Classifier::NewStub(channel);
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_seconds));
  std::string why = "no answer";
  for (;;) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::ListPluginsResponse response;
    grpc::Status status =
        stub->ListPlugins(&context, v1::ListPluginsRequest(), &response);
    if (status.ok()) {
      std::ostringstream list;
      bool ready = false;
      for (const auto& p : response.plugins()) {
        list << "  " << p.name() << ": " << v1::PluginInfo::State_Name(p.state())
             << " plugin=" << p.plugin() << " " << p.version()
             << " generation=" << p.generation() << " model=" << p.model_path();
        if (!p.error().empty()) list << " error=" << p.error();
        list << "\n";
        if ((classifier.empty() || p.name() == classifier) &&
            p.state() == v1::PluginInfo::READY) {
          ready = true;
        }
      }
      if (ready) {
        *description = list.str();
        return "";
      }
      why = "classifier '" + (classifier.empty() ? "*" : classifier) +
            "' not READY; server has:\n" + list.str();
    } else {
      why = "ListPlugins: " + DescribeStatus(status);
    }
    if (Clock::now() >= deadline) return why;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace classifyd::bench
