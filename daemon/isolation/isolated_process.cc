#include "isolation/isolated_process.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <utility>

namespace classifyd::isolation {
namespace {

Init MakeInit(const Manifest& manifest) {
  Init init;
  init.set_name(manifest.name);
  init.set_library_path(manifest.library_path);
  init.set_model_path(manifest.model_path);
  for (const auto& [key, value] : manifest.options) {
    Option* o = init.add_options();
    o->set_key(key);
    o->set_value(value);
  }
  if (!manifest.model_path.empty()) {
    init.add_readable_dirs(
        std::filesystem::path(manifest.model_path).parent_path().string());
  }
  return init;
}

void LogPluginLine(const std::string& name, const LogLine& line) {
  const spdlog::level::level_enum level =
      line.level() <= 0   ? spdlog::level::debug
      : line.level() == 1 ? spdlog::level::info
      : line.level() == 2 ? spdlog::level::warn
                          : spdlog::level::err;
  spdlog::log(level, "classifier {} (process): {}", name, line.text());
}

// How long a child told to stop may take to destroy its instance and exit.
constexpr std::chrono::milliseconds kStopGrace{1000};

Deadline DeadlineAfter(std::chrono::milliseconds limit) {
  if (limit.count() <= 0) return std::nullopt;
  return Clock::now() + limit;
}

}  // namespace

IsolatedProcess::IsolatedProcess(const Manifest& manifest, int library_fd,
                                 IsolationSettings settings)
    : manifest_(manifest),
      library_fd_(library_fd),
      settings_(std::move(settings)),
      init_(MakeInit(manifest)) {}

absl::StatusOr<std::unique_ptr<IsolatedProcess>> IsolatedProcess::Start(
    const Manifest& manifest, int library_fd, IsolationSettings settings) {
  std::unique_ptr<IsolatedProcess> p(
      new IsolatedProcess(manifest, library_fd, std::move(settings)));
  // Every child is started from the restarter thread: PR_SET_PDEATHSIG
  // fires when the thread that started a child ends, not the process.
  std::promise<absl::Status> first;
  std::future<absl::Status> started = first.get_future();
  p->restarter_ =
      std::thread([raw = p.get(), first = std::move(first)]() mutable {
        raw->RestartLoop(std::move(first));
      });
  if (absl::Status s = started.get(); !s.ok()) return s;
  for (const std::string& notice : p->ready_.sandbox_notices()) {
    spdlog::warn("classifier {}: sandbox of its process: {}", manifest.name,
                 notice);
  }
  return p;
}

IsolatedProcess::~IsolatedProcess() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    // Under the lock: the restarter clears the pid under it before it may
    // reap that child, so the pid cannot belong to another process yet.
    if (starting_pid_ > 0) kill(starting_pid_, SIGKILL);
  }
  restart_cv_.notify_all();
  if (restarter_.joinable()) restarter_.join();  // It stops the child.
  close(library_fd_);
}

absl::Status IsolatedProcess::Exchange(int socket, const HostMessage& request,
                                       ChildMessage* answer,
                                       const Deadline& deadline) const {
  if (absl::Status s = WriteFrame(socket, request, deadline); !s.ok()) {
    return s;
  }
  for (;;) {
    answer->Clear();
    if (absl::Status s =
            ReadFrame(socket, kMaxChildFrameBytes, answer, deadline);
        !s.ok()) {
      return s;
    }
    if (!answer->has_log()) return absl::OkStatus();
    LogPluginLine(manifest_.name, answer->log());
  }
}

absl::StatusOr<ChildProcess> IsolatedProcess::StartChild(Ready* ready) {
  absl::StatusOr<ChildProcess> child =
      ChildProcess::Spawn(settings_.host_path, library_fd_);
  if (!child.ok()) return child.status();
  {
    // Either the destructor sees the pid (and kills the child) or it set
    // stopping_ before this looks.
    std::lock_guard lock(mu_);
    if (stopping_) return absl::CancelledError("the classifier is retired");
    starting_pid_ = child->pid();
  }
  HostMessage init;
  *init.mutable_init() = init_;
  ChildMessage answer;
  absl::Status s = Exchange(child->socket(), init, &answer,
                            DeadlineAfter(settings_.start_timeout));
  {
    std::lock_guard lock(mu_);
    starting_pid_ = -1;  // Before `child` may be reaped.
  }
  if (s.ok() && answer.has_ready()) {
    *ready = std::move(*answer.mutable_ready());
    return child;
  }
  if (answer.has_load_failed()) {
    return absl::FailedPreconditionError(answer.load_failed().message());
  }
  const std::string ending = child->KillAndReap();
  if (absl::IsDeadlineExceeded(s)) {
    return absl::DeadlineExceededError(
        "its process did not load the plugin within " +
        std::to_string(settings_.start_timeout.count()) + " ms");
  }
  return absl::UnavailableError("its process " + ending +
                                " while loading the plugin");
}

void IsolatedProcess::Classify(std::span<const std::string_view> texts,
                               uint32_t top_k, float min_score,
                               IsolatedAnswer* answer) const {
  answer->refused.assign(texts.size(), absl::OkStatus());
  const std::string who = "classifier '" + manifest_.name + "'";
  const Deadline deadline = DeadlineAfter(settings_.call_timeout);
  std::unique_lock call(call_mu_, std::defer_lock);
  if (!deadline.has_value()) {
    call.lock();
  } else if (!call.try_lock_until(*deadline)) {
    answer->refused.assign(texts.size(),
                           absl::DeadlineExceededError(
                               who + " did not answer within " +
                               std::to_string(settings_.call_timeout.count()) +
                               " ms (its process takes one call at a time)"));
    return;
  }
  std::vector<uint64_t> keys;
  const int socket = ChooseDocuments(texts, answer, &keys);
  if (socket < 0) return;
  if (answer->sent.empty()) return;
  HostMessage request;
  ClassifyRequest* classify = request.mutable_classify();
  for (size_t i : answer->sent) classify->add_texts(std::string(texts[i]));
  classify->set_top_k(top_k);
  classify->set_min_score(min_score);
  ChildMessage reply;
  absl::Status s = Exchange(socket, request, &reply, deadline);
  if (s.ok() && reply.has_reply()) {
    answer->reply = std::move(*reply.mutable_reply());
    std::lock_guard lock(mu_);
    backoff_.Answered();
    return;
  }
  const std::string ending = ChildFailed(keys, s);
  const absl::StatusCode code =
      absl::IsDeadlineExceeded(s) || absl::IsUnavailable(s)
          ? s.code()
          : absl::StatusCode::kInternal;
  const absl::Status why(code, who + "'s process " + ending + "; restarting");
  for (size_t i : answer->sent) answer->refused[i] = why;
  answer->sent.clear();
}

int IsolatedProcess::ChooseDocuments(std::span<const std::string_view> texts,
                                     IsolatedAnswer* answer,
                                     std::vector<uint64_t>* keys) const {
  const std::string who = "classifier '" + manifest_.name + "'";
  std::lock_guard lock(mu_);
  if (!child_.has_value()) {
    answer->refused.assign(
        texts.size(), absl::UnavailableError(who + "'s process " + last_death_ +
                                             "; restarting"));
    return -1;
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    const uint64_t key = DocumentKey(texts[i]);
    if (poison_.IsPoison(key)) {
      answer->refused[i] = absl::InternalError(
          who +
          " is not given this document again: its process died "
          "twice with the document in flight");
      continue;
    }
    answer->sent.push_back(i);
    keys->push_back(key);
  }
  return child_->socket();
}

std::string IsolatedProcess::ChildFailed(std::span<const uint64_t> keys,
                                         const absl::Status& why) const {
  std::optional<ChildProcess> dead;
  {
    std::lock_guard lock(mu_);
    dead = std::move(child_);
    child_.reset();
  }
  std::string ending =
      dead.has_value() ? dead->KillAndReap() : std::string("ended");
  if (absl::IsDeadlineExceeded(why)) {
    ending = "did not answer within " +
             std::to_string(settings_.call_timeout.count()) +
             " ms and was killed";
  } else if (!why.ok() && !absl::IsUnavailable(why)) {
    ending = "broke the protocol (" + std::string(why.message()) +
             ") and was killed";
  } else if (why.ok()) {
    ending = "broke the protocol (an unexpected message) and was killed";
  }
  std::chrono::milliseconds wait;
  {
    std::lock_guard lock(mu_);
    poison_.Died(keys);
    wait = backoff_.Died(Clock::now());
    restart_at_ = Clock::now() + wait;
    last_death_ = ending;
  }
  restart_cv_.notify_all();
  spdlog::error(
      "classifier {}: its process {} with {} document(s) in flight; "
      "restarting in {} ms",
      manifest_.name, ending, keys.size(), wait.count());
  return ending;
}

void IsolatedProcess::RestartLoop(std::promise<absl::Status> first) {
  absl::StatusOr<ChildProcess> initial = StartChild(&ready_);
  std::unique_lock lock(mu_);
  if (initial.ok()) {
    backoff_.Started(Clock::now());
    child_.emplace(*std::move(initial));
  }
  first.set_value(initial.status());
  if (!initial.ok()) return;
  for (;;) {
    restart_cv_.wait(lock, [&] { return stopping_ || !child_.has_value(); });
    if (restart_cv_.wait_until(lock, restart_at_, [&] { return stopping_; })) {
      break;
    }
    lock.unlock();
    Ready ready;
    absl::StatusOr<ChildProcess> child = StartChild(&ready);
    lock.lock();
    if (stopping_) break;  // `child` never served: it is killed.
    if (child.ok()) {
      spdlog::info("classifier {}: process restarted (pid {})", manifest_.name,
                   child->pid());
      backoff_.Started(Clock::now());
      child_.emplace(*std::move(child));
      continue;
    }
    const auto wait = backoff_.Died(Clock::now());
    restart_at_ = Clock::now() + wait;
    last_death_ = "could not be restarted (" +
                  std::string(child.status().message()) + ")";
    spdlog::error("classifier {}: its process {}; next try in {} ms",
                  manifest_.name, last_death_, wait.count());
  }
  // Stopped from this thread, before it ends: PR_SET_PDEATHSIG kills a
  // child when the thread that started it ends, which would leave the
  // plugin's instance undestroyed.
  std::optional<ChildProcess> last = std::exchange(child_, std::nullopt);
  lock.unlock();
  if (last.has_value()) {
    spdlog::info("classifier {}: its process {}", manifest_.name,
                 last->Stop(kStopGrace));
  }
}

pid_t IsolatedProcess::child_pid() const {
  std::lock_guard lock(mu_);
  return child_.has_value() ? child_->pid() : -1;
}

}  // namespace classifyd::isolation
