// `classifyctl stream`: JSON Lines of ClassifyRequest in, JSON Lines of
// ClassifyResponse out, one output line per input line and in input order,
// over one ClassifyBatchStream call that carries the documents read within
// --linger-ms of each other (up to --batch) as one message. Built for
// millions of documents: the input
// is read and parsed on this thread while a writer thread formats answers,
// both overlapping with the call (see OrderedStream), and memory is bounded
// by --window.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "command.h"
#include "json_text.h"
#include "line_reader.h"
#include "ordered_stream.h"
#include "request_options.h"

namespace classifyctl {
namespace {

using classifyd::v1::ClassifyRequest;
using classifyd::v1::ClassifyResponse;
using Clock = std::chrono::steady_clock;

// Documents cannot exceed the server's limit (1 MiB by default) and JSON
// escaping at most sextuples them; longer lines are refused, not buffered.
constexpr size_t kMaxLineBytes = 16 << 20;
// Input errors echoed to stderr before going quiet (all are in the output).
constexpr int kMaxInputErrorsShown = 10;

struct StreamOptions {
  std::string input = "-";
  bool text_lines = false;
  bool ignore_unknown_fields = false;
  size_t window = 1024;
  size_t batch = 64;
  double linger_ms = 1;
  RequestOptions request;
};

// What the writer thread saw, read by the main thread after joining it.
struct OutputResult {
  uint64_t documents = 0;
  uint64_t errors = 0;
  OrderedStream::Next end = OrderedStream::Next::kEnd;
  int write_errno = 0;  // Nonzero: stdout failed.
};

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r\f\v") == std::string_view::npos;
}

ClassifyResponse LocalError(uint64_t line_number, int code,
                            const std::string& message) {
  ClassifyResponse answer;
  answer.set_id(std::to_string(line_number));
  answer.mutable_error()->set_code(code);
  answer.mutable_error()->set_message("line " + std::to_string(line_number) +
                                      ": " + message);
  return answer;
}

// Writes answers to stdout in order; runs on its own thread.
class OutputWriter {
 public:
  explicit OutputWriter(OrderedStream* stream)
      : stream_(stream),
        progress_(isatty(STDERR_FILENO) == 1),
        start_(Clock::now()),
        last_progress_(start_) {}

  OutputResult Run() {
    ClassifyResponse answer;
    std::string json;
    for (;;) {
      const OrderedStream::Next next = stream_->NextAnswer(&answer);
      if (next != OrderedStream::Next::kAnswer) {
        result_.end = next;
        break;
      }
      ++result_.documents;
      if (answer.error().code() != 0) ++result_.errors;
      json = ToJson(answer);
      json.push_back('\n');
      bool ok = std::fwrite(json.data(), 1, json.size(), stdout) == json.size();
      // Flush when the next answer is not there yet, so a reader of our
      // output sees each burst at once; otherwise let stdio batch.
      if (ok && !stream_->AnswerReady()) ok = std::fflush(stdout) == 0;
      if (!ok) {
        result_.write_errno = errno != 0 ? errno : EIO;
        stream_->Cancel();
        break;
      }
      if (progress_) MaybeShowProgress();
    }
    if (std::fflush(stdout) != 0 && result_.write_errno == 0) {
      result_.write_errno = errno != 0 ? errno : EIO;
    }
    if (progress_) std::fputs("\r\033[K", stderr);  // Clear the line.
    return result_;
  }

 private:
  void MaybeShowProgress() {
    const Clock::time_point now = Clock::now();
    if (now - last_progress_ < std::chrono::milliseconds(250)) return;
    last_progress_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\r\033[K%llu documents, %llu errors, %.0f docs/s",
                 static_cast<unsigned long long>(result_.documents),
                 static_cast<unsigned long long>(result_.errors),
                 result_.documents / seconds);
    std::fflush(stderr);
  }

  OrderedStream* const stream_;
  const bool progress_;
  const Clock::time_point start_;
  Clock::time_point last_progress_;
  OutputResult result_;
};

OrderedStream::Limits LimitsFor(const StreamOptions& options,
                                const GlobalOptions& global) {
  OrderedStream::Limits limits;
  limits.window = options.window;
  limits.max_batch = options.batch;
  limits.linger =
      std::chrono::microseconds(static_cast<int64_t>(options.linger_ms * 1000));
  limits.idle_timeout = std::chrono::milliseconds(
      static_cast<int64_t>(global.timeout_seconds * 1000));
  return limits;
}

// Turns input lines into requests (or local error answers) on the stream.
// Runs on the main thread, alongside the writer thread.
class InputSender {
 public:
  InputSender(const StreamOptions& options, OrderedStream* stream)
      : options_(options), stream_(stream) {}

  // Reads until the input ends, fails, is interrupted or the call breaks.
  // Returns the errno of a failed read, or 0.
  int SendAll(LineReader* reader) {
    for (;;) {
      std::string_view line;
      const LineReader::Result result = reader->Next(&line);
      if (result == LineReader::Result::kEnd ||
          result == LineReader::Result::kInterrupted) {
        return 0;  // Interrupted: the writer reports why.
      }
      if (result == LineReader::Result::kError) return reader->error();
      const bool sent = SendLine(result, line, reader->line_number());
      if (!sent) return 0;  // The call broke; the writer reports why.
    }
  }

 private:
  // Returns false when the call broke.
  bool SendLine(LineReader::Result result, std::string_view line,
                uint64_t number) {
    if (result == LineReader::Result::kTooLong) {
      return SendInputError(LocalError(
          number, static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED),
          "longer than " + std::to_string(kMaxLineBytes) + " bytes; not sent"));
    }
    if (options_.text_lines) {
      ClassifyRequest request;
      request.set_id(std::to_string(number));
      request.set_text(line.data(), line.size());
      ApplyRequestOptions(options_.request, &request);
      return stream_->Send(std::move(request));
    }
    if (IsBlank(line)) {
      return SendInputError(LocalError(
          number, static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT),
          "empty line; expected a JSON object such as "
          "{\"id\": \"1\", \"text\": \"...\"} (or use --text-lines)"));
    }
    return SendJsonLine(line, number);
  }

  bool SendJsonLine(std::string_view line, uint64_t number) {
    ClassifyRequest request;
    const std::string error =
        FromJson(line, &request, options_.ignore_unknown_fields);
    if (!error.empty()) {
      return SendInputError(LocalError(
          number, static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT),
          "not a ClassifyRequest in JSON: " + error));
    }
    if (request.id().empty()) request.set_id(std::to_string(number));
    ApplyRequestOptions(options_.request, &request);
    return stream_->Send(std::move(request));
  }

  // The answer goes to the output in its place; the first few are also
  // echoed to stderr, so a user sees at once that the input is wrong.
  bool SendInputError(ClassifyResponse answer) {
    ++input_errors_;
    if (input_errors_ <= kMaxInputErrorsShown) {
      PrintError(answer.error().message());
    } else if (input_errors_ == kMaxInputErrorsShown + 1) {
      PrintError("more input errors: see the output");
    }
    return stream_->SendAnswer(std::move(answer));
  }

  const StreamOptions& options_;
  OrderedStream* const stream_;
  int input_errors_ = 0;
};

void PrintSummary(const OutputResult& output, Clock::time_point start) {
  const double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  std::fprintf(stderr,
               "classifyctl stream: %llu documents, %llu errors, %.0f "
               "docs/s (%.1f s)\n",
               static_cast<unsigned long long>(output.documents),
               static_cast<unsigned long long>(output.errors),
               seconds > 0 ? output.documents / seconds : 0.0, seconds);
}

// The call broke, or ended with documents unanswered.
int ReportBrokenStream(const OutputResult& output, const grpc::Status& status,
                       const GlobalOptions& global) {
  grpc::Status reported = status;
  if (status.ok()) {
    reported = grpc::Status(grpc::StatusCode::INTERNAL,
                            "the server ended the stream with documents "
                            "unanswered");
  }
  const std::string why = DescribeRpcError(reported, global, Endpoint::kPublic);
  if (output.documents == 0) {
    PrintError(why);
  } else {
    PrintError("the stream ended early: " + why + ". The output stops after " +
               std::to_string(output.documents) + " documents");
  }
  return ExitCodeFor(reported);
}

// Reports the first thing that went wrong, in order of what explains the
// most, and returns the exit code.
int ReportOutcome(const OutputResult& output, const grpc::Status& status,
                  int read_errno, const GlobalOptions& global) {
  if (output.write_errno != 0) {
    PrintError(std::string("cannot write the output: ") +
               std::strerror(output.write_errno));
    return kExitFailed;
  }
  if (output.end == OrderedStream::Next::kIdle) {
    char seconds_text[32];
    std::snprintf(seconds_text, sizeof seconds_text, "%g",
                  global.timeout_seconds);
    PrintError("no answer from " + global.addr + " for " + seconds_text +
               " s with documents outstanding: the server is busy or "
               "stuck; raise --timeout. The output stops after " +
               std::to_string(output.documents) + " documents");
    return kExitUnreachable;
  }
  if (output.end == OrderedStream::Next::kBroken || !status.ok()) {
    return ReportBrokenStream(output, status, global);
  }
  if (read_errno != 0) {
    PrintError(std::string("cannot read the input: ") +
               std::strerror(read_errno));
    return kExitFailed;
  }
  return output.errors > 0 ? kExitFailed : kExitOk;
}

int Run(const StreamOptions& options, const GlobalOptions& global) {
  int fd = STDIN_FILENO;
  if (options.input != "-") {
    fd = open(options.input.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      PrintError("cannot open " + options.input + ": " + std::strerror(errno));
      return kExitUsage;
    }
  }
  const Clock::time_point start = Clock::now();
  auto stub = classifyd::v1::Classifier::NewStub(PublicChannel(global));
  OrderedStream stream(stub.get(), LimitsFor(options, global));

  // The writer pokes this pipe when it stops before the end (the call
  // broke, or stdout failed), so that reading a quiet input gives up too.
  int stop_pipe[2];
  if (pipe2(stop_pipe, O_CLOEXEC) != 0) {
    PrintError(std::string("cannot create a pipe: ") + std::strerror(errno));
    return kExitFailed;
  }
  OutputResult output;
  std::thread writer([&] {
    output = OutputWriter(&stream).Run();
    if (output.end != OrderedStream::Next::kEnd || output.write_errno != 0) {
      (void)!write(stop_pipe[1], "x", 1);
    }
  });

  LineReader reader(fd, kMaxLineBytes, stop_pipe[0]);
  const int read_errno = InputSender(options, &stream).SendAll(&reader);
  stream.CloseInput();
  writer.join();
  const grpc::Status status = stream.Finish();
  if (fd != STDIN_FILENO) close(fd);
  close(stop_pipe[0]);
  close(stop_pipe[1]);

  PrintSummary(output, start);
  return ReportOutcome(output, status, read_errno, global);
}

}  // namespace

Command AddStreamCommand(CLI::App* parent, const GlobalOptions* global) {
  auto options = std::make_shared<StreamOptions>();
  CLI::App* app = parent->add_subcommand(
      "stream", "Classify JSON Lines (stdin or FILE) to JSON Lines");
  app->footer(
      "\nOne ClassifyStream call. Each input line is "
      "a ClassifyRequest in JSON ({\"id\": \"1\", \"text\": \"...\"} plus "
      "any other request field); each output line is its "
      "ClassifyResponse, in input order, one per input line. A bad line "
      "gets a response with `error` set and the stream goes on. Lines "
      "without an id get their line number. Prints a summary (documents, "
      "errors, docs/s) on stderr, and progress when stderr is a terminal. "
      "Exits 1 if any document failed.");
  app->add_option("input", options->input, "Input file; default '-': stdin")
      ->type_name("FILE");
  app->add_flag("--text-lines", options->text_lines,
                "Each input line is a document's text (not JSON); its id "
                "is its line number");
  app->add_flag("--ignore-unknown-fields", options->ignore_unknown_fields,
                "Ignore JSON fields that ClassifyRequest lacks, instead of "
                "failing the line");
  app->add_option("--window", options->window,
                  "Most documents read ahead of the output (bounds memory)")
      ->check(CLI::Range(size_t{1}, size_t{100000}).description(""))
      ->capture_default_str()
      ->type_name("N");
  app->add_option("--batch", options->batch,
                  "Most documents per message to the server; 1 sends each "
                  "on its own")
      ->check(CLI::Range(size_t{1}, size_t{10000}).description(""))
      ->capture_default_str()
      ->type_name("N");
  app->add_option("--linger-ms", options->linger_ms,
                  "How long a document read waits for others to share its "
                  "message; 0 sends what is read at once")
      ->check(CLI::Range(0.0, 1000.0).description(""))
      ->capture_default_str()
      ->type_name("MS");
  AddRequestOptions(app, &options->request, " (for lines that set none)");
  return {app, [options, global] { return Run(*options, *global); }};
}

}  // namespace classifyctl
