// ClassifyStream load: each stream keeps up to `window` documents written
// but not yet answered. gRPC allows one write and one read in flight per
// stream; the writer half refills the window on each write or read
// completion, the reader half matches responses to requests in order.
#include <deque>
#include <memory>

#include "load_run.h"

namespace classifyd::bench {
namespace {

class StreamDriver final
    : public grpc::ClientBidiReactor<v1::ClassifyRequest,
                                     v1::ClassifyResponse> {
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
    if (!status.ok())
      shared_->NoteError("stream ended: " + DescribeStatus(status));
    if (!in_flight_.empty()) {
      shared_->NoteError("stream ended with " +
                         std::to_string(in_flight_.size()) +
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

Result RunStreamOnce(const LoadOptions& o) {
  const auto stubs = MakeStubs(o);
  const auto requests = MakeRequests(o);
  Shared shared;
  const int n = std::max(1, o.streams);
  const size_t window = EffectiveWindow(o);
  std::vector<std::unique_ptr<StreamDriver>> streams;
  for (int i = 0; i < n; ++i) {
    // Streams start at different points of the input.
    const size_t first = requests.size() * i / n;
    streams.push_back(std::make_unique<StreamDriver>(
        &shared, stubs[i % stubs.size()].get(), &requests, first, window,
        o.coalesce_writes));
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
  Summarise(shared, all, result);
  std::string scenario = "stream-x" + std::to_string(n);
  if (o.window != 256) scenario += "-w" + std::to_string(o.window);
  DescribeRun(o, std::move(scenario), "doc", result);
  return result;
}

}  // namespace

Result RunStream(const LoadOptions& o) { return WithWarmup(o, &RunStreamOnce); }

}  // namespace classifyd::bench
