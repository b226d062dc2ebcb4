// classifyd-train: builds, quantises, evaluates and queries the supervised
// fastText models that the fastText plugin serves.
//
// Every text goes through classifyd::text::ToFastTextLine, the tokeniser the
// plugin uses, and is fed to fastText exactly as the plugin feeds it (one
// line, terminated by "\n", read with Dictionary::getLine), so a model sees
// the same tokens at training, evaluation and serving time.
//
// Input format (all subcommands): UTF-8 TSV, one document per line,
//   label[,label...]<TAB>text
// Labels are bare taxonomy names ("finance"); the model stores them as
// "__label__finance". Blank lines are skipped; anything else malformed is an
// error that names the file and line.
//
// Run `classifyd-train --help` and `classifyd-train <subcommand> --help`.
#include <fasttext/args.h>
#include <fasttext/fasttext.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eval_command.h"
#include "fasttext_training.h"
#include "model_query_commands.h"
#include "own_classifier.h"
#include "scored_model.h"
#include "text/tokenizer.h"
#include "tool_format.h"
#include "tsv_data.h"

namespace classifyd::train {
namespace {

// ---------------------------------------------------------------------------
// tokenize

struct TokenizeOptions {
  std::string input;
  std::string output;
};

int RunTokenize(const TokenizeOptions& options) {
  const std::vector<Example> examples = ReadTsv(options.input);
  const TokenizeStats stats = WriteFastTextFile(examples, options.output);
  std::cerr << "tokenize: " << stats.written << " of " << stats.rows
            << " rows written to " << options.output << " (" << stats.empty
            << " without tokens skipped, " << stats.tokens << " tokens)\n";
  return 0;
}

// ---------------------------------------------------------------------------
// train and quantize

std::string WorkFileFor(const TrainOptions& options) {
  if (!options.work_file.empty()) return options.work_file;
  std::string base =
      !options.output.empty() ? options.output : options.quantized_output;
  return base + ".train.txt";
}

int RunTrain(const TrainOptions& options) {
  if (options.output.empty() && options.quantized_output.empty()) {
    throw std::runtime_error("train: give --output and/or --quantize-output");
  }
  const std::string work_file = WorkFileFor(options);
  const std::vector<Example> examples = ReadTsv(options.input);
  const TokenizeStats stats = WriteFastTextFile(examples, work_file);
  std::cerr << "train: " << stats.written << " documents, " << stats.tokens
            << " tokens (" << stats.empty << " empty rows skipped) from "
            << options.input << "\n";
  if (stats.written == 0) throw std::runtime_error("no training documents");

  fasttext::Args args = ToFastTextArgs(options);
  args.input = work_file;
  args.output = options.output;
  fasttext::FastText model;
  const auto start = std::chrono::steady_clock::now();
  model.train(args);
  const double train_seconds = Seconds(start);
  std::cerr << "\ntrain: loss=" << options.loss << " lr=" << options.lr
            << " epoch=" << options.epoch << " dim=" << options.dim
            << " wordNgrams=" << options.word_ngrams
            << " minCount=" << options.min_count << " bucket=" << args.bucket
            << " thread=" << options.thread << " seed=" << options.seed
            << " in " << Fixed(train_seconds, 1) << " s\n";
  if (!options.output.empty()) {
    model.saveModel(options.output);
    std::cerr << "train: saved " << options.output << " ("
              << FileSize(options.output) << ")\n";
  }
  if (!options.quantized_output.empty()) {
    Quantize(model, work_file, options, options.quantized_output);
  }
  if (!options.keep_work_file) std::filesystem::remove(work_file);
  return 0;
}

constexpr double kDefaultRetrainLr = 0.05;

struct StandaloneQuantizeOptions {
  std::string model;
  std::string input;
  std::string output;
  int thread = 1;
  int verbose = 1;
  QuantizeOptions quantize;
};

int RunQuantize(const StandaloneQuantizeOptions& options) {
  if (options.quantize.retrain && options.input.empty()) {
    throw std::runtime_error("quantize: --retrain needs --input train.tsv");
  }
  fasttext::FastText model;
  model.loadModel(options.model);
  if (model.isQuant()) {
    throw std::runtime_error("'" + options.model + "' is already quantised");
  }
  // Start from the model's own hyper-parameters so that a retrain uses the
  // same loss and epoch count unless told otherwise. A model file does not
  // record its learning rate: a retrain without --retrain-lr uses
  // fastText's default, 0.05.
  const fasttext::Args model_args = model.getArgs();
  TrainOptions train;
  train.lr = kDefaultRetrainLr;
  train.epoch = model_args.epoch;
  train.dim = model_args.dim;
  train.word_ngrams = model_args.wordNgrams;
  train.bucket = model_args.bucket;
  train.loss = model_args.lossToString(model_args.loss);
  train.min_count = model_args.minCount;
  train.thread = options.thread;
  train.seed = model_args.seed;
  train.verbose = options.verbose;
  train.quantize = options.quantize;
  std::string work_file;  // Only a retrain reads the training data.
  if (options.quantize.retrain) {
    work_file = options.output + ".train.txt";
    WriteFastTextFile(ReadTsv(options.input), work_file);
  }
  Quantize(model, work_file, train, options.output);
  if (!work_file.empty()) std::filesystem::remove(work_file);
  return 0;
}

// ---------------------------------------------------------------------------
// Command line.

void AddQuantizeFlags(CLI::App* app, QuantizeOptions* q) {
  app->add_option("--cutoff", q->cutoff,
                  "keep only this many rows (words and n-gram buckets) of "
                  "the input matrix, chosen by norm; 0 keeps all")
      ->capture_default_str();
  app->add_option("--dsub", q->dsub,
                  "size of each product-quantiser sub-vector")
      ->capture_default_str();
  app->add_flag("--qnorm,!--no-qnorm", q->qnorm,
                "quantise the vector norms separately (default: on)");
  app->add_flag("--qout", q->qout, "also quantise the output matrix");
  app->add_flag("--retrain", q->retrain,
                "fine-tune the kept rows after the cutoff (needs the input)");
  app->add_option("--retrain-epoch", q->retrain_epoch,
                  "epochs of the retraining; 0: the training epoch count")
      ->capture_default_str();
  app->add_option("--retrain-lr", q->retrain_lr,
                  "learning rate of the retraining; 0: the training one "
                  "(train) or 0.05 (quantize: a model file does not record "
                  "its learning rate)")
      ->capture_default_str();
}

// The top-level (no subcommand) form: a user's own classifier.
void AddOwnClassifierFlags(CLI::App* app, OwnClassifierOptions* own,
                           std::string* install_dir, std::string* out_dir) {
  app->add_option("--name", own->name,
                  "your classifier's name ([a-z0-9_-]): the manifest is "
                  "NAME.toml, its files go to NAME/")
      ->option_text("NAME");
  app->add_option("--install", *install_dir,
                  "the daemon's plugin directory (e.g. "
                  "/etc/classifyd/plugins.d): the running daemon loads the "
                  "classifier")
      ->option_text("DIR");
  app->add_option("--out", *out_dir,
                  "write the classifier here instead, without installing")
      ->option_text("DIR");
  app->add_option("--test-percent", own->test_percent,
                  "share of documents held out for the evaluation")
      ->capture_default_str();
  app->add_option("--calibration-percent", own->calibration_percent,
                  "share of documents held out to calibrate the scores")
      ->capture_default_str();
  app->add_option("--epoch", own->train.epoch, "training epochs")
      ->capture_default_str();
  app->add_option("--dim", own->train.dim, "vector dimension")
      ->capture_default_str();
  app->add_option("--word-ngrams", own->train.word_ngrams,
                  "max length of token n-grams")
      ->capture_default_str();
  app->add_option("--bucket", own->train.bucket,
                  "hash buckets of the token n-grams")
      ->capture_default_str();
  app->add_flag("--quantize,!--no-quantize", own->quantize,
                "product-quantise the model to a few MB (default: on; off "
                "trains faster, for quick trials)");
  app->add_option("--thread", own->train.thread,
                  "training threads; 1 gives the same model every run")
      ->capture_default_str();
  app->add_option("files", own->inputs,
                  "labelled TSV files: label[,label...]<TAB>text")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(CLI::ExistingFile);
}

int RunOwn(const CLI::App& app, OwnClassifierOptions own,
           const std::string& install_dir, const std::string& out_dir) {
  if (own.name.empty() || own.inputs.empty() ||
      install_dir.empty() == out_dir.empty()) {
    std::cerr << app.help() << "\nclassifyd-train: give a subcommand, or "
              << "--name NAME, one of --install DIR / --out DIR, and TSV "
                 "files\n";
    return 2;
  }
  own.dir = install_dir.empty() ? out_dir : install_dir;
  return RunOwnClassifier(own);
}

constexpr char kDescription[] =
    "classifyd-train: build your own classifier for classifyd in one "
    "command, or build, quantise, evaluate and query fastText topic "
    "models served by the classifyd fastText plugin.\n\n"
    "Your own classifier:\n"
    "  classifyd-train --name NAME --install PLUGIN_DIR FILE.tsv...\n"
    "trains on the TSV files, calibrates its scores, evaluates it on a "
    "held-out split and installs it where a running classifyd loads it "
    "(PLUGIN_DIR/NAME.toml and PLUGIN_DIR/NAME/, with a model card "
    "MODEL.md); --out DIR writes the same files without installing. "
    "Rerunning replaces the classifier with a new generation, without a "
    "failed request.\n\n"
    "Input files are UTF-8 TSV, one document per line: "
    "label[,label...]<TAB>text. Texts are tokenised with the plugin's "
    "tokeniser (classifyd::text::ToFastTextLine).";

CLI::App* AddTokenizeCommand(CLI::App* app, TokenizeOptions* tokenize) {
  CLI::App* cmd = app->add_subcommand(
      "tokenize", "Write a labelled TSV as a fastText training file");
  cmd->add_option("-i,--input", tokenize->input, "labelled TSV")->required();
  cmd->add_option("-o,--output", tokenize->output, "fastText file")->required();
  return cmd;
}

// The train subcommand's files: what it reads and writes.
void AddTrainFileFlags(CLI::App* cmd, TrainOptions* train) {
  cmd->add_option("-i,--input", train->input, "labelled training TSV")
      ->required();
  cmd->add_option("-o,--output", train->output,
                  "write the full model here (.bin)");
  cmd->add_option("-q,--quantize-output", train->quantized_output,
                  "also quantise and write the result here (.ftz)");
  cmd->add_option("--work-file", train->work_file,
                  "tokenised training file (default: <output>.train.txt)");
  cmd->add_flag("--keep-work-file", train->keep_work_file,
                "keep the tokenised training file");
}

// fastText's hyper-parameters of the train subcommand.
void AddTrainHyperParameterFlags(CLI::App* cmd, TrainOptions* train) {
  cmd->add_option("--lr", train->lr, "learning rate")->capture_default_str();
  cmd->add_option("--lr-update-rate", train->lr_update_rate,
                  "tokens between learning-rate updates")
      ->capture_default_str();
  cmd->add_option("--epoch", train->epoch, "epochs")->capture_default_str();
  cmd->add_option("--dim", train->dim, "vector dimension")
      ->capture_default_str();
  cmd->add_option("--word-ngrams", train->word_ngrams,
                  "max length of token n-grams (2 = bigrams)")
      ->capture_default_str();
  cmd->add_option("--min-count", train->min_count, "min occurrences of a token")
      ->capture_default_str();
  cmd->add_option("--min-count-label", train->min_count_label,
                  "min occurrences of a label")
      ->capture_default_str();
  cmd->add_option("--bucket", train->bucket,
                  "hash buckets for n-grams (ignored when n-grams and "
                  "subwords are off)")
      ->capture_default_str();
  cmd->add_option("--minn", train->minn, "min char n-gram length (0=off)")
      ->capture_default_str();
  cmd->add_option("--maxn", train->maxn, "max char n-gram length (0=off)")
      ->capture_default_str();
  cmd->add_option("--neg", train->neg, "negatives sampled (loss ns)")
      ->capture_default_str();
  cmd->add_option("--loss", train->loss,
                  "softmax (scores sum to 1) or ova (one-vs-all: independent "
                  "sigmoid per label, for multi-label); also hs, ns")
      ->check(CLI::IsMember({"softmax", "ova", "hs", "ns"}))
      ->capture_default_str();
  cmd->add_option("--pretrained-vectors", train->pretrained_vectors,
                  "start from these word vectors (.vec text, same --dim; "
                  "e.g. `fasttext skipgram` over tokenised text)")
      ->check(CLI::ExistingFile);
}

CLI::App* AddTrainCommand(CLI::App* app, TrainOptions* train) {
  CLI::App* cmd = app->add_subcommand(
      "train",
      "Train a supervised model; optionally quantise it in the same run");
  AddTrainFileFlags(cmd, train);
  AddTrainHyperParameterFlags(cmd, train);
  cmd->add_option("--thread", train->thread,
                  "training threads; 1 is deterministic")
      ->capture_default_str();
  cmd->add_option("--seed", train->seed, "random seed")->capture_default_str();
  cmd->add_option("--verbose", train->verbose, "fastText verbosity 0-2")
      ->capture_default_str();
  AddQuantizeFlags(cmd, &train->quantize);
  return cmd;
}

CLI::App* AddQuantizeCommand(CLI::App* app,
                             StandaloneQuantizeOptions* quantize) {
  CLI::App* cmd = app->add_subcommand(
      "quantize", "Quantise a trained .bin model into a small .ftz model");
  cmd->add_option("-m,--model", quantize->model, "trained .bin model")
      ->required();
  cmd->add_option("-o,--output", quantize->output, "output .ftz")->required();
  cmd->add_option("-i,--input", quantize->input,
                  "labelled training TSV (for --retrain)");
  cmd->add_option("--thread", quantize->thread, "retraining threads")
      ->capture_default_str();
  cmd->add_option("--verbose", quantize->verbose, "0-2")->capture_default_str();
  AddQuantizeFlags(cmd, &quantize->quantize);
  return cmd;
}

CLI::App* AddEvalCommand(CLI::App* app, EvalOptions* eval) {
  CLI::App* cmd = app->add_subcommand(
      "eval",
      "Evaluate a model on labelled TSVs: top-1 accuracy (top label is any "
      "of the document's labels), macro-F1 over the labels present, "
      "per-label precision/recall/F1/support; plus micro and macro scores "
      "at a top-k/threshold operating point");
  cmd->add_option("-m,--model", eval->model, "model (.bin or .ftz)")
      ->required();
  cmd->add_option("-t,--test", eval->tests,
                  "test TSV, as PATH or NAME=PATH; repeatable")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->required();
  cmd->add_option("--json", eval->json, "also write the metrics as JSON");
  cmd->add_option("-k", eval->k, "operating point: labels per document")
      ->capture_default_str();
  cmd->add_option("--threshold", eval->threshold,
                  "operating point: minimum score")
      ->capture_default_str();
  cmd->add_flag("--quiet", eval->quiet,
                "one summary line per set instead of tables");
  return cmd;
}

CLI::App* AddPredictCommand(CLI::App* app, PredictOptions* predict) {
  CLI::App* cmd = app->add_subcommand(
      "predict",
      "Print the labels of texts given as arguments, or of stdin lines");
  cmd->add_option("-m,--model", predict->model, "model")->required();
  cmd->add_option("-k", predict->k, "labels per text")->capture_default_str();
  cmd->add_option("--threshold", predict->threshold, "minimum score")
      ->capture_default_str();
  cmd->add_flag("--tokens", predict->show_tokens, "also print the tokens");
  cmd->add_option("texts", predict->texts, "texts (default: stdin)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  return cmd;
}

CLI::App* AddInfoCommand(CLI::App* app, std::string* info_model) {
  CLI::App* cmd = app->add_subcommand(
      "info", "Print a model's hyper-parameters and labels");
  cmd->add_option("-m,--model", *info_model, "model")->required();
  return cmd;
}

int Main(int argc, char** argv) {
  CLI::App app{kDescription};
  app.require_subcommand(0, 1);
  // A repeated flag overrides the earlier one ("--epoch 25 ... --epoch 10"),
  // so scripts can append to a base set of flags.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  OwnClassifierOptions own;
  std::string install_dir, out_dir;
  AddOwnClassifierFlags(&app, &own, &install_dir, &out_dir);
  TokenizeOptions tokenize;
  CLI::App* tokenize_cmd = AddTokenizeCommand(&app, &tokenize);
  TrainOptions train;
  CLI::App* train_cmd = AddTrainCommand(&app, &train);
  StandaloneQuantizeOptions quantize;
  CLI::App* quantize_cmd = AddQuantizeCommand(&app, &quantize);
  EvalOptions eval;
  CLI::App* eval_cmd = AddEvalCommand(&app, &eval);
  PredictOptions predict;
  CLI::App* predict_cmd = AddPredictCommand(&app, &predict);
  std::string info_model;
  CLI::App* info_cmd = AddInfoCommand(&app, &info_model);

  CLI11_PARSE(app, argc, argv);

  if (*tokenize_cmd) return RunTokenize(tokenize);
  if (*train_cmd) return RunTrain(train);
  if (*quantize_cmd) return RunQuantize(quantize);
  if (*eval_cmd) return RunEval(eval);
  if (*predict_cmd) return RunPredict(predict);
  if (*info_cmd) return RunInfo(info_model);
  return RunOwn(app, own, install_dir, out_dir);
}

}  // namespace
}  // namespace classifyd::train

int main(int argc, char** argv) {
  try {
    return classifyd::train::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "classifyd-train: " << e.what() << "\n";
    return 1;
  }
}
