// `classifyctl eval`: accuracy of the server's top label, and of all the
// labels it returns, on a labelled TSV file. Documents go in ClassifyBatch
// calls (not one call each), and only the gold labels of the batch in
// flight are kept, so any file size works.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "command.h"
#include "eval_metrics.h"
#include "line_reader.h"
#include "request_options.h"
#include "text_table.h"

namespace classifyctl {
namespace {

using classifyd::v1::ClassifyBatchRequest;
using classifyd::v1::ClassifyBatchResponse;

constexpr size_t kMaxLineBytes = 16 << 20;
constexpr size_t kMaxBatchBytes = 8 << 20;  // Well under the message limit.
constexpr int kMaxDocumentErrorsShown = 10;

struct EvalOptions {
  std::string file;
  bool json = false;
  size_t batch_size = 256;
  RequestOptions request;
};

// Splits "label[,label...]<TAB>text"; false if the line has no tab or no
// label.
bool ParseLine(std::string_view line, std::vector<std::string>* gold,
               std::string_view* text) {
  const size_t tab = line.find('\t');
  if (tab == std::string_view::npos) return false;
  gold->clear();
  std::string_view labels = line.substr(0, tab);
  while (!labels.empty()) {
    const size_t comma = labels.find(',');
    std::string_view label = labels.substr(0, comma);
    const size_t first = label.find_first_not_of(' ');
    if (first != std::string_view::npos) {
      label = label.substr(first, label.find_last_not_of(' ') - first + 1);
      gold->emplace_back(label);
    }
    if (comma == std::string_view::npos) break;
    labels.remove_prefix(comma + 1);
  }
  *text = line.substr(tab + 1);
  return !gold->empty();
}

std::string Fixed(double value, int digits = 4) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  return buf;
}

void PrintHuman(const EvalMetrics::Report& report) {
  std::printf("documents  %llu (%llu errors)\n",
              static_cast<unsigned long long>(report.documents),
              static_cast<unsigned long long>(report.errors));
  std::printf("accuracy   %s (%llu of %llu right at top-1)\n",
              Fixed(report.accuracy).c_str(),
              static_cast<unsigned long long>(report.correct),
              static_cast<unsigned long long>(report.documents));
  std::printf("macro-F1   %s (mean over the labels in the file)\n",
              Fixed(report.macro_f1).c_str());
  std::printf(
      "low conf.  %s (%llu of %llu top labels under the minimum score)\n",
      Fixed(report.low_confidence_share).c_str(),
      static_cast<unsigned long long>(report.low_confidence),
      static_cast<unsigned long long>(report.documents));
  const EvalMetrics::LabelSets& sets = report.label_sets;
  std::printf(
      "labels     %s per document: precision %s, recall %s, F1 %s (all "
      "labels returned against all listed)\n",
      Fixed(sets.per_document, 2).c_str(), Fixed(sets.precision).c_str(),
      Fixed(sets.recall).c_str(), Fixed(sets.f1).c_str());
  std::printf("exact sets %s (%llu of %llu documents got exactly their "
              "listed labels)\n\n",
              Fixed(sets.exact_share).c_str(),
              static_cast<unsigned long long>(sets.exact),
              static_cast<unsigned long long>(report.documents));
  TextTable labels(
      {"LABEL", "PRECISION", "RECALL", "F1", "SUPPORT", "PREDICTED"});
  for (const auto& s : report.labels) {
    labels.AddRow({s.label, Fixed(s.precision), Fixed(s.recall), Fixed(s.f1),
                   std::to_string(s.support), std::to_string(s.predicted)});
  }
  labels.Print(stdout);
  if (report.confusions.empty()) return;
  std::printf("\nmost common mistake per label:\n");
  TextTable confusions({"LABEL", "TOP LABEL INSTEAD", "COUNT", "OF"});
  for (const auto& c : report.confusions) {
    confusions.AddRow({c.label,
                       c.predicted_as.empty() ? "(none)" : c.predicted_as,
                       std::to_string(c.count), std::to_string(c.support)});
  }
  confusions.Print(stdout);
}

void PrintJson(const EvalMetrics::Report& report) {
  nlohmann::ordered_json out = {
      {"documents", report.documents},
      {"errors", report.errors},
      {"correct", report.correct},
      {"accuracy", report.accuracy},
      {"macroF1", report.macro_f1},
      {"lowConfidenceDocs", report.low_confidence},
      {"lowConfidenceShare", report.low_confidence_share},
      {"labelSets",
       {{"returned", report.label_sets.returned},
        {"listed", report.label_sets.listed},
        {"right", report.label_sets.right},
        {"exact", report.label_sets.exact},
        {"precision", report.label_sets.precision},
        {"recall", report.label_sets.recall},
        {"f1", report.label_sets.f1},
        {"perDocument", report.label_sets.per_document},
        {"exactShare", report.label_sets.exact_share}}},
      {"labels", nlohmann::ordered_json::array()},
      {"confusions", nlohmann::ordered_json::array()}};
  for (const auto& s : report.labels) {
    out["labels"].push_back({{"label", s.label},
                             {"precision", s.precision},
                             {"recall", s.recall},
                             {"f1", s.f1},
                             {"support", s.support},
                             {"predicted", s.predicted}});
  }
  for (const auto& c : report.confusions) {
    out["confusions"].push_back({{"label", c.label},
                                 {"predictedAs", c.predicted_as},
                                 {"count", c.count},
                                 {"support", c.support}});
  }
  // Replace, not throw, on invalid UTF-8 in a label from a TSV file.
  std::printf("%s\n",
              out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                  .c_str());
}

class Evaluator {
 public:
  Evaluator(const EvalOptions& options, const GlobalOptions& global,
            std::string source)
      : options_(options),
        source_(std::move(source)),
        global_(global),
        stub_(classifyd::v1::Classifier::NewStub(PublicChannel(global))) {}

  // Adds one document; sends the batch when it is full. Returns an exit
  // code, or -1 to go on.
  int Add(uint64_t line_number, std::vector<std::string> gold,
          std::string_view text) {
    auto* document = batch_.add_documents();
    document->set_id(std::to_string(line_number));
    document->set_text(text.data(), text.size());
    ApplyRequestOptions(options_.request, document);
    gold_.push_back(std::move(gold));
    batch_bytes_ += text.size();
    if (static_cast<size_t>(batch_.documents_size()) >= options_.batch_size ||
        batch_bytes_ >= kMaxBatchBytes) {
      return Flush();
    }
    return -1;
  }

  // Sends what is left; returns an exit code, or -1 on success.
  int Flush() {
    if (batch_.documents_size() == 0) return -1;
    grpc::ClientContext context;
    SetDeadline(&context, global_);
    ClassifyBatchResponse response;
    const grpc::Status status =
        stub_->ClassifyBatch(&context, batch_, &response);
    if (!status.ok()) return ReportRpcError(status, global_, Endpoint::kPublic);
    if (response.results_size() != batch_.documents_size()) {
      PrintError("the server answered " +
                 std::to_string(response.results_size()) + " results for " +
                 std::to_string(batch_.documents_size()) + " documents");
      return kExitFailed;
    }
    for (int i = 0; i < response.results_size(); ++i) {
      const auto& result = response.results(i);
      if (result.error().code() != 0) {
        metrics_.AddError();
        if (++errors_shown_ <= kMaxDocumentErrorsShown) {
          PrintError(source_ + ":" + batch_.documents(i).id() + ": " +
                     StatusCodeName(result.error().code()) + ": " +
                     result.error().message());
        }
        continue;
      }
      returned_.clear();
      for (const auto& label : result.labels()) {
        returned_.push_back(label.name());
      }
      metrics_.Add(gold_[i], returned_,
                   !result.labels().empty() &&
                       result.labels(0).low_confidence());
    }
    batch_.Clear();
    gold_.clear();
    batch_bytes_ = 0;
    return -1;
  }

  const EvalMetrics& metrics() const { return metrics_; }

 private:
  const EvalOptions& options_;
  const std::string source_;  // The file's name in messages.
  const GlobalOptions& global_;
  std::unique_ptr<classifyd::v1::Classifier::Stub> stub_;
  ClassifyBatchRequest batch_;
  std::vector<std::vector<std::string>> gold_;  // Per document of batch_.
  std::vector<std::string> returned_;  // One result's labels, reused.
  size_t batch_bytes_ = 0;
  int errors_shown_ = 0;
  EvalMetrics metrics_;
};

// Feeds each document line of the file to the evaluator. Returns an exit
// code, or -1 when every line was read and added.
int AddLines(int fd, const std::string& name, Evaluator* evaluator) {
  LineReader reader(fd, kMaxLineBytes);
  std::vector<std::string> gold;
  for (;;) {
    std::string_view line;
    const LineReader::Result result = reader.Next(&line);
    if (result == LineReader::Result::kEnd) return -1;
    const std::string where = name + ":" + std::to_string(reader.line_number());
    if (result == LineReader::Result::kError) {
      PrintError("cannot read " + name + ": " + std::strerror(reader.error()));
      return kExitFailed;
    }
    if (result == LineReader::Result::kTooLong) {
      PrintError(where + ": line longer than " + std::to_string(kMaxLineBytes) +
                 " bytes");
      return kExitUsage;
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos ||
        line.front() == '#') {
      continue;  // Blank lines and comments.
    }
    std::string_view text;
    if (!ParseLine(line, &gold, &text)) {
      PrintError(where +
                 ": expected label[,label...]<TAB>text, e.g. "
                 "\"finance,economy\\t股市大涨\"");
      return kExitUsage;
    }
    if (int code = evaluator->Add(reader.line_number(), gold, text);
        code >= 0) {
      return code;
    }
  }
}

int PrintReport(const EvalOptions& options, const std::string& name,
                const EvalMetrics::Report& report) {
  if (report.documents + report.errors == 0) {
    PrintError(name +
               " has no documents (label[,label...]<TAB>text "
               "lines)");
    return kExitUsage;
  }
  if (options.json) {
    PrintJson(report);
  } else {
    PrintHuman(report);
  }
  if (report.errors > 0) {
    PrintError(std::to_string(report.errors) +
               " document(s) failed and are not scored");
    return kExitFailed;
  }
  return kExitOk;
}

int Run(const EvalOptions& options, const GlobalOptions& global) {
  const std::string name = options.file == "-" ? "stdin" : options.file;
  int fd = STDIN_FILENO;
  if (options.file != "-") {
    fd = open(options.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      PrintError("cannot open " + options.file + ": " + std::strerror(errno));
      return kExitUsage;
    }
  }
  struct Closer {
    int fd;
    ~Closer() {
      if (fd != STDIN_FILENO) close(fd);
    }
  } closer{fd};

  Evaluator evaluator(options, global, name);
  if (int code = AddLines(fd, name, &evaluator); code >= 0) return code;
  if (int code = evaluator.Flush(); code >= 0) return code;
  return PrintReport(options, name, evaluator.metrics().Compute());
}

}  // namespace

Command AddEvalCommand(CLI::App* parent, const GlobalOptions* global) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* app = parent->add_subcommand(
      "eval", "Score the server's labels against a labelled TSV file");
  app->footer(
      "\nFILE has one "
      "`label[,label...]<TAB>text` line per document (a top label is right "
      "when it is any listed label; blank lines and lines starting with # "
      "are skipped). Prints accuracy, per-label precision/recall/F1/support "
      "and macro-F1 of the top label, the share of documents whose top "
      "label was under the minimum score (a low-confidence best guess, "
      "scored like any other), the precision and recall of all the labels "
      "returned (--top-k, --min-score) against all the labels listed, and "
      "the most common wrong top label per true label. Exits 1 if any "
      "document failed.");
  app->add_option("file", options->file, "The TSV file ('-': stdin)")
      ->required()
      ->type_name("FILE");
  app->add_flag("--json", options->json, "Print the report as JSON");
  app->add_option("--batch-size", options->batch_size,
                  "Documents per ClassifyBatch call")
      ->check(CLI::Range(size_t{1}, size_t{10000}).description(""))
      ->capture_default_str()
      ->type_name("N");
  AddRequestOptions(app, &options->request);
  return {app, [options, global] { return Run(*options, *global); }};
}

}  // namespace classifyctl
