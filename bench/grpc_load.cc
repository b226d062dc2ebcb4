#include "grpc_load.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "classifyd/v1/classifier.grpc.pb.h"

namespace classifyd::bench {
namespace {

enum Phase : int { kRun = 0, kStop = 1 };

std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const std::string& addr,
                                                         int count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    // Distinct channels must not share a connection.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("classifyd_bench.channel", i);
    channels.push_back(grpc::CreateCustomChannel(
        addr, grpc::InsecureChannelCredentials(), args));
  }
  for (auto& channel : channels) {
    if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                   std::chrono::seconds(10))) {
      throw std::runtime_error("cannot connect to " + addr);
    }
  }
  return channels;
}

std::vector<v1::ClassifyRequest> MakeRequests(const LoadOptions& o) {
  std::vector<v1::ClassifyRequest> requests;
  requests.reserve(o.docs->size());
  for (size_t i = 0; i < o.docs->size(); ++i) {
    v1::ClassifyRequest r;
    r.set_id(std::to_string(i));
    r.set_text((*o.docs)[i]);
    if (!o.classifier.empty()) r.add_plugins(o.classifier);
    requests.push_back(std::move(r));
  }
  return requests;
}

double AverageBytes(const std::vector<std::string>& docs) {
  double total = 0;
  for (const auto& d : docs) total += d.size();
  return docs.empty() ? 0 : total / docs.size();
}

}  // namespace

size_t EffectiveWindow(const LoadOptions& o) {
  size_t window = static_cast<size_t>(std::max(1, o.window));
  const double bytes = AverageBytes(*o.docs);
  if (o.window_bytes > 0 && bytes > 0) {
    window = std::min(window, std::max<size_t>(1, o.window_bytes / bytes));
  }
  return window;
}

namespace {

// State shared by every call or stream of one run: the phase, the
// counters, and the count of drivers still running.
class Shared {
 public:
  std::atomic<int> phase{kRun};
  std::atomic<uint64_t> docs{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> labelled{0};
  std::mutex first_error_mu;
  std::string first_error;

  bool stopping() const { return phase.load(std::memory_order_relaxed) == kStop; }

  void CountDocument(bool has_labels) {
    docs.fetch_add(1, std::memory_order_relaxed);
    if (has_labels) labelled.fetch_add(1, std::memory_order_relaxed);
  }

  void NoteError(const std::string& message) {
    errors.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(first_error_mu);
    if (first_error.empty()) first_error = message;
  }

  void SetRunning(int n) {
    std::lock_guard lock(mu_);
    running_ = n;
  }
  void DriverDone() {
    std::lock_guard lock(mu_);
    if (--running_ == 0) cv_.notify_all();
  }
  // Waits for every driver to finish; false on timeout.
  bool WaitDrivers(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return running_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;
};

std::string DescribeStatus(const grpc::Status& s) {
  return "status " + std::to_string(s.error_code()) + ": " + s.error_message();
}

// One measured run: snapshots CPU, starts the drivers, lets them issue work
// for the duration, tells them to stop (`kick` wakes idle ones), waits
// until every document sent has been answered, and snapshots CPU again.
// Every document of the run counts, so the server CPU per document is
// exact however the server batches its work (a stream's documents complete
// in bursts of up to a plugin batch); the drain at the end is server time
// spent at full load too.
void MeasureRun(const LoadOptions& o, Shared& shared, Result& result,
                const std::function<void()>& start_drivers,
                const std::function<void()>& kick) {
  CpuTimes server0, server1;
  if (o.server_pid > 0) server0 = ReadProcessCpu(o.server_pid);
  const CpuTimes client0 = ReadSelfCpu();
  const Clock::time_point start = Clock::now();
  start_drivers();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration_seconds));
  shared.phase.store(kStop);
  if (kick) kick();
  if (!shared.WaitDrivers(std::chrono::seconds(120))) {
    throw std::runtime_error("calls did not finish within 120 s of the end");
  }
  const Clock::time_point end = Clock::now();
  if (o.server_pid > 0) server1 = ReadProcessCpu(o.server_pid);
  const CpuTimes client1 = ReadSelfCpu();
  result.seconds = std::chrono::duration<double>(end - start).count();
  result.have_server_cpu = o.server_pid > 0;
  result.server_cpu = {server1.user_us - server0.user_us,
                       server1.system_us - server0.system_us};
  result.client_cpu = {client1.user_us - client0.user_us,
                       client1.system_us - client0.system_us};
  result.docs = shared.docs.load();
  result.errors = shared.errors.load();
  result.labelled = shared.labelled.load();
}

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
  result.p50_us = all.PercentileMicros(50);
  result.p99_us = all.PercentileMicros(99);
  if (!shared.first_error.empty()) {
    std::fprintf(stderr, "classifyd-bench: first error: %s\n",
                 shared.first_error.c_str());
  }
  return result;
}

// ---------------------------------------------------------------------------
// ClassifyStream: each stream keeps up to `window` documents written but
// not yet answered. gRPC allows one write and one read in flight per
// stream; the writer half refills the window on each write or read
// completion, the reader half matches responses to requests in order.

class StreamDriver final
    : public grpc::ClientBidiReactor<v1::ClassifyRequest, v1::ClassifyResponse> {
 public:
  StreamDriver(Shared* shared, v1::Classifier::Stub* stub,
               const std::vector<v1::ClassifyRequest>* requests, size_t first,
               size_t window, bool coalesce_writes)
      : shared_(shared),
        stub_(stub),
        requests_(requests),
        next_(first),
        window_(window),
        coalesce_writes_(coalesce_writes) {}

  void Start() {
    stub_->async()->ClassifyStream(&context_, this);
    StartRead(&response_);
    Pump();
    StartCall();
  }

  // Called after the stop flag is set, in case the stream is idle.
  void Kick() { Pump(); }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard lock(mu_);
      write_in_flight_ = false;
      if (!ok) write_failed_ = true;
    }
    Pump();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // The server finished the call; OnDone follows.
    const Clock::time_point now = Clock::now();
    Sent sent;
    bool matched = false;
    {
      std::lock_guard lock(mu_);
      if (!in_flight_.empty()) {
        sent = in_flight_.front();
        in_flight_.pop_front();
        matched = true;
      }
    }
    if (!matched) {
      shared_->NoteError("stream: response without a request");
    } else {
      if (response_.id() != (*requests_)[sent.index].id()) {
        shared_->NoteError("stream: response out of order: got id '" +
                           response_.id() + "', expected '" +
                           (*requests_)[sent.index].id() + "'");
      }
      if (response_.error().code() != 0) {
        shared_->NoteError("stream document: status " +
                           std::to_string(response_.error().code()) + ": " +
                           response_.error().message());
      }
      latencies_.Add(now - sent.time);
      shared_->CountDocument(response_.labels_size() > 0);
    }
    response_.Clear();
    StartRead(&response_);
    Pump();
  }

  void OnDone(const grpc::Status& status) override {
    if (!status.ok()) shared_->NoteError("stream ended: " + DescribeStatus(status));
    if (!in_flight_.empty()) {
      shared_->NoteError("stream ended with " + std::to_string(in_flight_.size()) +
                         " documents unanswered");
    }
    shared_->DriverDone();  // Last use of `this`.
  }

  LatencySamples& latencies() { return latencies_; }

 private:
  struct Sent {
    Clock::time_point time;
    size_t index = 0;
  };

  // Starts the next write if the window has room, or half-closes once the
  // run is stopping.
  void Pump() {
    const v1::ClassifyRequest* request = nullptr;
    bool writes_done = false;
    bool more = false;
    {
      std::lock_guard lock(mu_);
      if (write_in_flight_ || writes_done_) return;
      if (shared_->stopping() || write_failed_) {
        writes_done_ = true;
        writes_done = true;
      } else if (in_flight_.size() < window_) {
        const size_t index = next_++ % requests_->size();
        request = &(*requests_)[index];
        in_flight_.push_back({Clock::now(), index});
        write_in_flight_ = true;
        more = in_flight_.size() < window_;
      }
    }
    if (writes_done) {
      StartWritesDone();
    } else if (request != nullptr) {
      grpc::WriteOptions options;
      // The hint lets gRPC hold the message for the next write; only given
      // when the next write follows at once (the window has room).
      if (coalesce_writes_ && more) options.set_buffer_hint();
      StartWrite(request, options);
    }
  }

  Shared* const shared_;
  v1::Classifier::Stub* const stub_;
  const std::vector<v1::ClassifyRequest>* const requests_;
  grpc::ClientContext context_;
  v1::ClassifyResponse response_;  // Target of the read in flight.
  LatencySamples latencies_;       // Touched by the reader half only.

  std::mutex mu_;
  size_t next_;
  const size_t window_;
  const bool coalesce_writes_;
  std::deque<Sent> in_flight_;  // Written (or being written), unanswered.
  bool write_in_flight_ = false;
  bool write_failed_ = false;
  bool writes_done_ = false;
};

}  // namespace

static Result RunUnaryOnce(const LoadOptions& o) {
  auto channels = MakeChannels(o.addr, std::max(1, o.channels));
  std::vector<std::unique_ptr<v1::Classifier::Stub>> stubs;
  for (auto& c : channels) stubs.push_back(v1::Classifier::NewStub(c));
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
  result.scenario = "unary-c" + std::to_string(o.concurrency);
  result.input = o.input;
  result.latency_unit = "doc";
  result.avg_doc_bytes = AverageBytes(*o.docs);
  return result;
}

static Result RunBatchOnce(const LoadOptions& o) {
  auto channels = MakeChannels(o.addr, std::max(1, o.channels));
  std::vector<std::unique_ptr<v1::Classifier::Stub>> stubs;
  for (auto& c : channels) stubs.push_back(v1::Classifier::NewStub(c));
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
  result.scenario = "batch-" + std::to_string(b);
  if (o.concurrency != 2) result.scenario += "-c" + std::to_string(o.concurrency);
  result.input = o.input;
  result.latency_unit = "call";
  result.avg_doc_bytes = AverageBytes(*o.docs);
  return result;
}

static Result RunStreamOnce(const LoadOptions& o) {
  auto channels = MakeChannels(o.addr, std::max(1, o.channels));
  std::vector<std::unique_ptr<v1::Classifier::Stub>> stubs;
  for (auto& c : channels) stubs.push_back(v1::Classifier::NewStub(c));
  const auto requests = MakeRequests(o);
  Shared shared;
  const int n = std::max(1, o.streams);
  const size_t window = EffectiveWindow(o);
  std::vector<std::unique_ptr<StreamDriver>> streams;
  for (int i = 0; i < n; ++i) {
    // Streams start at different points of the input.
    const size_t first = requests.size() * i / n;
    streams.push_back(std::make_unique<StreamDriver>(
        &shared, stubs[i % stubs.size()].get(), &requests, first,
        window, o.coalesce_writes));
  }
  shared.SetRunning(n);
  Result result;
  MeasureRun(
      o, shared, result,
      [&] {
        for (auto& s : streams) s->Start();
      },
      [&] {
        for (auto& s : streams) s->Kick();
      });
  LatencySamples all;
  for (auto& s : streams) all.Merge(s->latencies());
  result.p50_us = all.PercentileMicros(50);
  result.p99_us = all.PercentileMicros(99);
  if (!shared.first_error.empty()) {
    std::fprintf(stderr, "classifyd-bench: first error: %s\n",
                 shared.first_error.c_str());
  }
  result.scenario = "stream-x" + std::to_string(n);
  if (o.window != 256) result.scenario += "-w" + std::to_string(o.window);
  result.input = o.input;
  result.latency_unit = "doc";
  result.avg_doc_bytes = AverageBytes(*o.docs);
  return result;
}

namespace {

// A short run first, discarded: connections, server threads, caches.
Result WithWarmup(const LoadOptions& o, Result (*run)(const LoadOptions&)) {
  if (o.warmup_seconds > 0) {
    LoadOptions warmup = o;
    warmup.duration_seconds = o.warmup_seconds;
    warmup.warmup_seconds = 0;
    run(warmup);
  }
  return run(o);
}

}  // namespace

Result RunUnary(const LoadOptions& o) { return WithWarmup(o, &RunUnaryOnce); }
Result RunBatch(const LoadOptions& o) { return WithWarmup(o, &RunBatchOnce); }
Result RunStream(const LoadOptions& o) { return WithWarmup(o, &RunStreamOnce); }

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
