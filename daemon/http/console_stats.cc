// GET /console/stats: per-classifier call figures for the web console's
// table, from the daemon's metrics: documents, errors, timeouts, plugin
// batch calls and their mean time. Not part of the versioned API.
#include <google/protobuf/struct.pb.h>
#include <httplib.h>

#include "http/http_api.h"
#include "http/json_body.h"

namespace classifyd {

void HttpApi::ConsoleStats(httplib::Response& res) const {
  google::protobuf::Struct body;
  auto& classifiers =
      *(*body.mutable_fields())["classifiers"].mutable_struct_value();
  if (metrics_ != nullptr) {
    for (const ClassifierStatus& status : registry_->List()) {
      const Metrics::ClassifierCells& cells = *metrics_->Classifier(status.name);
      uint64_t batches = 0;
      for (uint64_t n : cells.batch_seconds.BucketCounts()) batches += n;
      auto& row =
          *(*classifiers.mutable_fields())[status.name].mutable_struct_value();
      auto set = [&row](const char* key, double value) {
        (*row.mutable_fields())[key].set_number_value(value);
      };
      set("documents", static_cast<double>(cells.documents.Value()));
      set("errors", static_cast<double>(cells.errors.Value()));
      set("timeouts", static_cast<double>(cells.timeouts.Value()));
      set("batches", static_cast<double>(batches));
      set("meanBatchMs",
          batches == 0 ? 0 : cells.batch_seconds.Sum() * 1000 / batches);
    }
  }
  SendJson(body, res);
}

}  // namespace classifyd
