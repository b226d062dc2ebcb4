// `classifyctl classify`: one document, from an argument, a file or stdin,
// through the unary Classify call, so a bad document fails with the
// server's own status and message.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "command.h"
#include "json_text.h"
#include "request_options.h"
#include "text_table.h"

namespace classifyctl {
namespace {

using classifyd::v1::ClassifyRequest;
using classifyd::v1::ClassifyResponse;

struct ClassifyOptions {
  std::string text;
  CLI::Option* text_option = nullptr;
  std::string file;
  bool json = false;
  RequestOptions request;
};

// Reads all of `path` ("-": stdin) into *text; false with errno set.
bool ReadAll(const std::string& path, std::string* text) {
  std::ostringstream out;
  if (path == "-") {
    out << std::cin.rdbuf();
    if (std::cin.bad()) return false;
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    out << in.rdbuf();
    if (in.bad()) return false;
  }
  *text = std::move(out).str();
  return true;
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items,
                 const char* separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string MinScoreText(const RequestOptions& options) {
  if (options.min_score < 0) return "the server's default";
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", options.min_score);
  return text;
}

void PrintLabelTable(const ClassifyResponse& response,
                     const RequestOptions& options) {
  if (response.labels().empty()) {
    std::printf("no label: no classifier gave this document one\n");
    return;
  }
  TextTable table({"LABEL", "SCORE", "CLASSIFIER", "EVIDENCE"});
  for (const auto& label : response.labels()) {
    char score[32];
    std::snprintf(score, sizeof score, "%.3f", label.score());
    table.AddRow(
        {label.name(), score, label.plugin(), Join(label.evidence(), ", ")});
    // Said under the row, where the eye is: the label is a best guess.
    if (label.low_confidence()) {
      table.AddNote("(low confidence: no label reached the minimum score, " +
                    MinScoreText(options) + "; this is the best one)");
    }
    // Other classifiers that agreed, under the label they agreed on.
    for (const auto& vote : label.also_from()) {
      std::snprintf(score, sizeof score, "%.3f", vote.score());
      table.AddRow({"", score, "also: " + vote.plugin(),
                    Join(vote.evidence(), ", ")});
    }
  }
  table.Print(stdout);
}

void PrintLabels(const ClassifyResponse& response,
                 const RequestOptions& options) {
  PrintLabelTable(response, options);
  if (!response.language().empty()) {
    std::printf("language: %s\n", response.language().c_str());
  }
  // A classifier that does not cover the document's language
  // (FAILED_PRECONDITION, from its manifest's `languages`) was routed
  // around, as expected: one line says which. Any other failure did not
  // fail the document, but the user should know its labels are missing.
  std::string skipped;
  for (const auto& run : response.classifiers()) {
    const int code = run.status().code();
    if (code == grpc::StatusCode::FAILED_PRECONDITION) {
      skipped += (skipped.empty() ? "" : ", ") + run.name();
    } else if (code != 0) {
      std::fprintf(stderr,
                   "classifyctl: warning: classifier %s failed on this "
                   "document: %s: %s\n",
                   run.name().c_str(), StatusCodeName(code).c_str(),
                   run.status().message().c_str());
    }
  }
  if (!skipped.empty()) {
    std::printf("not for this language: %s\n", skipped.c_str());
  }
}

int Run(const ClassifyOptions& options, const GlobalOptions& global) {
  ClassifyRequest request;
  if (options.text_option->count() > 0) {
    request.set_text(options.text);
  } else {
    const std::string source = options.file.empty() ? "-" : options.file;
    if (source == "-" && isatty(STDIN_FILENO)) {
      std::fprintf(stderr,
                   "classifyctl: reading the document from the terminal; "
                   "end it with Ctrl-D (or give it as an argument)\n");
    }
    if (!ReadAll(source, request.mutable_text())) {
      PrintError("cannot read " +
                 (source == "-" ? std::string("stdin") : source) + ": " +
                 std::strerror(errno));
      return kExitUsage;
    }
  }
  ApplyRequestOptions(options.request, &request);

  auto stub = classifyd::v1::Classifier::NewStub(PublicChannel(global));
  grpc::ClientContext context;
  SetDeadline(&context, global);
  ClassifyResponse response;
  const grpc::Status status = stub->Classify(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status, global, Endpoint::kPublic);
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    PrintLabels(response, options.request);
  }
  return kExitOk;
}

}  // namespace

Command AddClassifyCommand(CLI::App* parent, const GlobalOptions* global) {
  auto options = std::make_shared<ClassifyOptions>();
  CLI::App* app = parent->add_subcommand(
      "classify", "Classify one document (TEXT, --file or stdin)");
  app->footer(
      "\nPrints a table of labels (label, score, classifier, evidence), or "
      "with --json the ClassifyResponse in protobuf's JSON mapping, and the "
      "document's detected language (BCP 47). When no "
      "label reaches the minimum score, the best one is printed with a "
      "\"(low confidence)\" note (lowConfidence in JSON). A bad "
      "document (empty, too large, unknown classifier) exits 1 with the "
      "server's reason.");
  options->text_option =
      app->add_option("text", options->text, "The document (UTF-8 text)")
          ->type_name("TEXT");
  app->add_option("-f,--file", options->file,
                  "Read the document from this file ('-': stdin)")
      ->type_name("FILE")
      ->excludes(options->text_option);
  app->add_flag("--json", options->json,
                "Print the ClassifyResponse as JSON (protobuf JSON mapping)");
  AddRequestOptions(app, &options->request);
  return {app, [options, global] { return Run(*options, *global); }};
}

}  // namespace classifyctl
