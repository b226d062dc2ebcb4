#include "request_options.h"

namespace classifyctl {

void AddRequestOptions(CLI::App* command, RequestOptions* options,
                       const std::string& what) {
  command
      ->add_option("--plugin", options->plugins,
                   "Classifier to run, by name (see `classifyctl plugins`); "
                   "repeat or separate with commas for several. Default: "
                   "every ready classifier" +
                       what)
      ->delimiter(',')
      ->allow_extra_args(false)
      ->type_name("NAME");
  command
      ->add_option("--top-k", options->top_k,
                   "Return at most this many labels per document; 0: the "
                   "server's default (5)" +
                       what)
      ->type_name("N");
  command
      ->add_option("--min-score", options->min_score,
                   "Drop labels scoring below this, in [0, 1]. Default: the "
                   "server's (0.2)" +
                       what)
      ->check(CLI::Range(0.0f, 1.0f).description(""))
      ->type_name("SCORE");
  command
      ->add_option("--language", options->language,
                   "The documents' language as a BCP 47 tag (en, zh-Hant), "
                   "when you know it: the server then does not detect it. "
                   "Default: detect" +
                       what)
      ->type_name("TAG");
}

void ApplyRequestOptions(const RequestOptions& options,
                         classifyd::v1::ClassifyRequest* request) {
  if (request->plugins_size() == 0) {
    for (const std::string& plugin : options.plugins) {
      request->add_plugins(plugin);
    }
  }
  if (request->top_k() == 0) request->set_top_k(options.top_k);
  if (!request->has_min_score() && options.min_score >= 0) {
    request->set_min_score(options.min_score);
  }
  if (request->language().empty()) request->set_language(options.language);
}

}  // namespace classifyctl
