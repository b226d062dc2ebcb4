#include "model_query_commands.h"

#include <fasttext/args.h>
#include <fasttext/fasttext.h>

#include <iostream>

#include "scored_model.h"
#include "text/tokenizer.h"
#include "tool_format.h"

namespace classifyd::train {
namespace {

void PrintPrediction(const Model& model, const PredictOptions& options,
                     const std::string& text) {
  std::cout << text;
  for (const auto& [label, p] :
       model.Predict(text, options.k, static_cast<float>(options.threshold))) {
    std::cout << '\t' << label << ' ' << Fixed(p, 7);
  }
  std::cout << '\n';
  if (options.show_tokens) {
    std::cout << "  tokens: " << text::ToFastTextLine(text) << '\n';
  }
}

}  // namespace

int RunPredict(const PredictOptions& options) {
  const Model model(options.model);
  if (!options.texts.empty()) {
    for (const std::string& text : options.texts) {
      PrintPrediction(model, options, text);
    }
    return 0;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    PrintPrediction(model, options, line);
  }
  return 0;
}

int RunInfo(const std::string& path) {
  const Model model(path);
  const fasttext::Args args = model.fasttext().getArgs();
  auto dictionary = model.fasttext().getDictionary();
  std::cout << "model      " << path << " (" << FileSize(path) << ")\n"
            << "quantized  " << (model.fasttext().isQuant() ? "yes" : "no")
            << "\nloss       " << args.lossToString(args.loss)
            << "\ndim        " << args.dim << "\nepoch      " << args.epoch
            << "\nwordNgrams " << args.wordNgrams << "\nminCount   "
            << args.minCount << "\nbucket     " << args.bucket
            << "\nwords      " << dictionary->nwords() << "\nlabels     "
            << dictionary->nlabels() << ":";
  for (const std::string& label : model.labels()) std::cout << ' ' << label;
  std::cout << '\n';
  return 0;
}

}  // namespace classifyd::train
