// classifyd-peer-sync: the plain server a C++ programmer would write in an
// afternoon, serving classifyd.v1.Classifier with gRPC's synchronous API and
// the fastText plugin's per-document work (predictor.h) on the RPC thread.
// bench/run_bench.sh runs it beside classifyd, so every report shows what
// the daemon's plugin host, merge and reactor cost against a server that
// has none of them. Not a product: no plugins, reloads, limits or health.
//
//   classifyd-peer-sync --model FILE.ftz --port-file FILE [--classifier NAME]
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "predictor.h"

namespace classifyd::bench {
namespace {

class SyncPeer final : public v1::Classifier::Service {
 public:
  SyncPeer(const Model* model, std::string classifier, int top_k,
           float threshold)
      : model_(model), classifier_(std::move(classifier)), top_k_(top_k),
        threshold_(threshold) {}

  grpc::Status Classify(grpc::ServerContext*, const v1::ClassifyRequest* request,
                        v1::ClassifyResponse* response) override {
    Answer(*request, response);
    return grpc::Status::OK;
  }

  grpc::Status ClassifyBatch(grpc::ServerContext*,
                             const v1::ClassifyBatchRequest* request,
                             v1::ClassifyBatchResponse* response) override {
    for (const v1::ClassifyRequest& document : request->documents()) {
      Answer(document, response->add_results());
    }
    return grpc::Status::OK;
  }

  grpc::Status ClassifyStream(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<v1::ClassifyResponse, v1::ClassifyRequest>* stream)
      override {
    v1::ClassifyRequest request;
    v1::ClassifyResponse response;
    while (stream->Read(&request)) {
      response.Clear();
      Answer(request, &response);
      if (!stream->Write(response)) break;
    }
    return grpc::Status::OK;
  }

  grpc::Status ClassifyBatchStream(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<v1::ClassifyBatchResponse,
                               v1::ClassifyBatchRequest>* stream) override {
    v1::ClassifyBatchRequest request;
    v1::ClassifyBatchResponse response;
    while (stream->Read(&request)) {
      response.Clear();
      for (const v1::ClassifyRequest& document : request.documents()) {
        Answer(document, response.add_results());
      }
      if (!stream->Write(response)) break;
    }
    return grpc::Status::OK;
  }

  grpc::Status ListPlugins(grpc::ServerContext*, const v1::ListPluginsRequest*,
                           v1::ListPluginsResponse* response) override {
    v1::PluginInfo* info = response->add_plugins();
    info->set_name(classifier_);
    info->set_plugin("fasttext");
    info->set_state(v1::PluginInfo::READY);
    return grpc::Status::OK;
  }

 private:
  void Answer(const v1::ClassifyRequest& request, v1::ClassifyResponse* response) {
    thread_local Predictor predictor(model_, top_k_, threshold_);
    response->set_id(request.id());
    if (request.text().empty()) {
      response->mutable_error()->set_code(grpc::StatusCode::INVALID_ARGUMENT);
      response->mutable_error()->set_message("text is empty");
      return;
    }
    for (const auto& [name, score] : predictor.Classify(request.text())) {
      v1::Label* label = response->add_labels();
      label->set_name(*name);
      label->set_score(score);
      label->set_plugin(classifier_);
    }
  }

  const Model* model_;
  const std::string classifier_;
  const int top_k_;
  const float threshold_;
};

}  // namespace
}  // namespace classifyd::bench

int main(int argc, char** argv) {
  CLI::App app{"Plain synchronous C++ gRPC server of classifyd.v1.Classifier "
               "(benchmark peer)"};
  std::string model_path, port_file, classifier = "news-topics";
  std::string listen = "127.0.0.1:0";
  int top_k = 5;
  float threshold = 0;
  app.add_option("--model", model_path, "fastText model")->required();
  app.add_option("--port-file", port_file, "Write the bound port here")->required();
  app.add_option("--listen", listen, "HOST:PORT")->capture_default_str();
  app.add_option("--classifier", classifier, "Name in labels and ListPlugins")
      ->capture_default_str();
  app.add_option("--top-k", top_k, "Labels per document")->capture_default_str();
  app.add_option("--threshold", threshold, "fastText predict threshold")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const classifyd::bench::Model model(model_path);
  classifyd::bench::SyncPeer service(&model, classifier, top_k, threshold);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "classifyd-peer-sync: cannot listen on " << listen << "\n";
    return 1;
  }
  std::ofstream(port_file) << port << "\n";
  server->Wait();
}
