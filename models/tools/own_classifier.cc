#include "own_classifier.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "classifier_card.h"
#include "holdout_eval.h"
#include "isotonic.h"
#include "label_scorer.h"
#include "plugin/calibration.h"
#include "tool_format.h"
#include "tsv_data.h"

namespace classifyd::train {
namespace {

namespace fs = std::filesystem;

// Below this many positive calibration documents a label uses the pooled
// `*` map: isotonic regression on a handful of points is noise.
constexpr size_t kMinCalibrationPositives = 20;
constexpr size_t kMinDocuments = 50;

struct Splits {
  std::vector<Example> train, calibration, test;
};

// FNV-1a: stable across runs, machines and library versions.
uint64_t StableHash(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

Splits Split(std::vector<Example> examples, const OwnClassifierOptions& o) {
  Splits s;
  for (Example& e : examples) {
    const auto bucket = static_cast<int>(StableHash(e.text) % 100);
    if (bucket < o.test_percent) {
      s.test.push_back(std::move(e));
    } else if (bucket < o.test_percent + o.calibration_percent) {
      s.calibration.push_back(std::move(e));
    } else {
      s.train.push_back(std::move(e));
    }
  }
  return s;
}

// Writes `contents` to `path` by a hidden temporary file and rename(), so a
// reader sees the old file or the new one, never a part.
void WriteAtomically(const fs::path& path, const std::string& contents) {
  const fs::path tmp = path.parent_path() / ("." + path.filename().string() +
                                             ".tmp" + std::to_string(getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << contents;
    out.flush();
    if (!out) throw std::runtime_error("cannot write '" + tmp.string() + "'");
  }
  fs::rename(tmp, path);
}

bool AllOf(std::string_view s, std::string_view allowed) {
  return s.find_first_not_of(allowed) == std::string_view::npos;
}

constexpr std::string_view kDigits = "0123456789";

// The generation of a model file name "model-GEN.ftz" (or .bin), if it is
// one.
std::optional<uint64_t> ModelGeneration(std::string_view file) {
  constexpr std::string_view kPrefix = "model-";
  if (file.size() < kPrefix.size() + 5 || !file.starts_with(kPrefix)) {
    return std::nullopt;
  }
  const std::string_view rest = file.substr(kPrefix.size());
  const std::string_view ext = rest.substr(rest.size() - 4);
  const std::string_view digits = rest.substr(0, rest.size() - 4);
  if ((ext != ".ftz" && ext != ".bin") || digits.empty() ||
      digits.size() > 18 || !AllOf(digits, kDigits)) {
    return std::nullopt;
  }
  return std::stoull(std::string(digits));
}

// Generations present in `dir` (from model-GEN.ftz names).
std::vector<uint64_t> Generations(const fs::path& dir) {
  std::vector<uint64_t> found;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (auto g = ModelGeneration(file)) found.push_back(*g);
  }
  std::sort(found.begin(), found.end());
  return found;
}

// Keeps `current` and the generation before it (requests may still read
// it); removes the rest.
void RemoveOldGenerations(const fs::path& dir, uint64_t current) {
  for (uint64_t g : Generations(dir)) {
    if (g + 1 >= current) continue;
    const std::string n = std::to_string(g);
    fs::remove(dir / ("model-" + n + ".ftz"));
    fs::remove(dir / ("model-" + n + ".bin"));
    fs::remove(dir / ("calibration-" + n + ".tsv"));
  }
}

std::string FitCalibration(const plugins::LabelScorer& scorer,
                           const std::vector<Example>& examples) {
  const auto all = static_cast<int32_t>(scorer.labels().size());
  std::vector<std::vector<double>> raw(all), outcome(all);
  std::vector<double> pooled_raw, pooled_outcome;
  for (const Example& e : examples) {
    for (const plugins::ScoredLabel& s :
         scorer.Rank(scorer.Words(e.text), all, 0.0f)) {
      const std::string& label = scorer.labels()[s.label];
      const double right =
          std::count(e.labels.begin(), e.labels.end(), label) ? 1.0 : 0.0;
      raw[s.label].push_back(s.score);
      outcome[s.label].push_back(right);
      pooled_raw.push_back(s.score);
      pooled_outcome.push_back(right);
    }
  }
  if (pooled_raw.empty()) {
    throw std::runtime_error(
        "the calibration split has no document with "
        "tokens; give more data");
  }
  std::string text =
      std::string(Calibration::kHeader) +
      "\n# Fitted by classifyd-train (isotonic regression) on " +
      std::to_string(examples.size()) + " held-out documents.\n" +
      CalibrationLine("*", FitIsotonic(pooled_raw, pooled_outcome)) + "\n";
  for (int32_t i = 0; i < all; ++i) {
    const auto positives =
        std::count(outcome[i].begin(), outcome[i].end(), 1.0);
    if (static_cast<size_t>(positives) < kMinCalibrationPositives) continue;
    text +=
        CalibrationLine(scorer.labels()[i], FitIsotonic(raw[i], outcome[i])) +
        "\n";
  }
  return text;
}

std::string Manifest(const OwnClassifierOptions& o, uint64_t generation,
                     const std::string& model_file) {
  const std::string g = std::to_string(generation);
  return "# Written by classifyd-train --name " + o.name + " (generation " + g +
         "). Model card: " + o.name +
         "/MODEL.md\nplugin = \"fasttext\"\n"
         "model = \"" +
         o.name + "/" + model_file +
         "\"\n"
         "calibration = \"" +
         o.name + "/calibration-" + g +
         ".tsv\"\n"
         "weight = 1.0\n\n[options]\ntop_k = 5\nthreshold = 0.0\n";
}

std::vector<Example> ReadAll(const std::vector<std::string>& inputs) {
  std::vector<Example> all;
  for (const std::string& input : inputs) {
    std::vector<Example> part = ReadTsv(input);
    std::move(part.begin(), part.end(), std::back_inserter(all));
  }
  if (all.size() < kMinDocuments) {
    throw std::runtime_error("only " + std::to_string(all.size()) +
                             " labelled documents; give at least " +
                             std::to_string(kMinDocuments));
  }
  return all;
}

void CheckOptions(const OwnClassifierOptions& o) {
  constexpr std::string_view kLead = "abcdefghijklmnopqrstuvwxyz0123456789";
  const std::string_view name = o.name;
  if (name.empty() || name.size() > 63 || !AllOf(name.substr(0, 1), kLead) ||
      !AllOf(name, "abcdefghijklmnopqrstuvwxyz0123456789_-")) {
    throw std::runtime_error("--name '" + o.name +
                             "': use 1-63 of [a-z0-9_-], "
                             "starting with a letter or digit");
  }
  if (o.test_percent < 1 || o.calibration_percent < 1 ||
      o.test_percent + o.calibration_percent > 50) {
    throw std::runtime_error(
        "--test-percent and --calibration-percent must "
        "be >= 1 and together <= 50");
  }
  if (!fs::is_directory(o.dir)) {
    throw std::runtime_error("no directory '" + o.dir + "'");
  }
}

// Trains on `examples` and writes the model (quantised unless `quantize`
// is false) to `path`; returns the training seconds.
double TrainModel(const std::vector<Example>& examples,
                  const TrainOptions& options, bool quantize,
                  const fs::path& path) {
  const fs::path work =
      path.parent_path() / ("." + path.filename().string() + ".train.txt");
  const TokenizeStats stats = WriteFastTextFile(examples, work);
  if (stats.written == 0)
    throw std::runtime_error("no training document has tokens");
  fasttext::Args args = ToFastTextArgs(options);
  args.input = work;
  args.output = path;
  fasttext::FastText model;
  const auto start = std::chrono::steady_clock::now();
  model.train(args);
  const double seconds = Seconds(start);
  const fs::path tmp =
      path.parent_path() / ("." + path.filename().string() + ".tmp");
  if (quantize) {
    Quantize(model, work, options, tmp);
  } else {
    model.saveModel(tmp);
  }
  fs::remove(work);
  fs::rename(tmp, path);
  return seconds;
}

// The training flags as the model card shows them.
std::string TrainFlags(const OwnClassifierOptions& o) {
  const TrainOptions& t = o.train;
  return "--loss " + t.loss + " --lr " + Fixed(t.lr, 2) + " --epoch " +
         std::to_string(t.epoch) + " --dim " + std::to_string(t.dim) +
         " --word-ngrams " + std::to_string(t.word_ngrams) + " --bucket " +
         std::to_string(t.bucket) +
         (o.quantize ? " --cutoff " + std::to_string(t.quantize.cutoff)
                     : std::string(" --no-quantize"));
}

// What the model card says about a generation before it is trained.
CardFacts GenerationFacts(const OwnClassifierOptions& o, const Splits& splits,
                          uint64_t generation) {
  const std::string g = std::to_string(generation);
  CardFacts facts;
  facts.name = o.name;
  facts.generation = generation;
  facts.inputs = o.inputs;
  facts.train_docs = static_cast<int64_t>(splits.train.size());
  facts.calibration_docs = static_cast<int64_t>(splits.calibration.size());
  facts.test_docs = static_cast<int64_t>(splits.test.size());
  facts.model_file = "model-" + g + (o.quantize ? ".ftz" : ".bin");
  facts.calibration_file = "calibration-" + g + ".tsv";
  facts.reliability_svg = "reliability.svg";
  facts.confusion_svg = "confusion.svg";
  facts.min_score = o.min_score;
  facts.train_flags = TrainFlags(o);
  return facts;
}

// Fits the calibration on its split, writes it to home, and scores the
// calibrated model on the test split.
HoldoutEvaluation CalibrateAndEvaluate(const plugins::LabelScorer& scorer,
                                       const Splits& splits,
                                       const CardFacts& facts,
                                       const fs::path& home) {
  const std::string calibration_text =
      FitCalibration(scorer, splits.calibration);
  auto parsed = Calibration::Parse(calibration_text, facts.calibration_file);
  if (!parsed.ok()) {
    throw std::runtime_error(
        "internal error: the calibration written does not parse: " +
        std::string(parsed.status().message()));
  }
  WriteAtomically(home / facts.calibration_file, calibration_text);
  return EvaluateHoldout(scorer, parsed.value(), splits.test, facts.min_score);
}

}  // namespace

TrainOptions OwnClassifierOptions::DefaultOwnTrainOptions() {
  TrainOptions t;
  t.loss = "ova";
  t.lr = 0.5;
  t.epoch = 15;
  t.dim = 50;
  t.word_ngrams = 2;
  t.bucket = 500000;
  t.thread = 1;
  t.verbose = 0;
  t.quantize.cutoff = 100000;
  return t;
}

int RunOwnClassifier(const OwnClassifierOptions& o) {
  CheckOptions(o);
  std::vector<Example> all = ReadAll(o.inputs);
  std::map<std::string, int64_t> label_docs;
  for (const Example& e : all) {
    for (const std::string& l : e.labels) ++label_docs[l];
  }
  const Splits splits = Split(std::move(all), o);
  const fs::path home = fs::path(o.dir) / o.name;
  fs::create_directories(home);
  const std::vector<uint64_t> existing = Generations(home);
  const uint64_t generation = existing.empty() ? 1 : existing.back() + 1;
  const std::string g = std::to_string(generation);
  CardFacts facts = GenerationFacts(o, splits, generation);
  facts.label_docs = std::move(label_docs);

  std::cerr << "classifyd-train: " << o.name << " generation " << g << ": "
            << splits.train.size() << " train, " << splits.calibration.size()
            << " calibration, " << splits.test.size() << " test documents\n";
  const fs::path model_path = home / facts.model_file;
  facts.train_seconds =
      TrainModel(splits.train, o.train, o.quantize, model_path);
  facts.model_bytes = static_cast<int64_t>(fs::file_size(model_path));

  plugins::LabelScorer scorer;
  scorer.Load(model_path, std::string(kLabelPrefix));
  const HoldoutEvaluation eval =
      CalibrateAndEvaluate(scorer, splits, facts, home);
  WriteAtomically(home / "MODEL.md", ModelCard(facts, eval));
  WriteAtomically(home / facts.reliability_svg, ReliabilitySvg(eval));
  WriteAtomically(home / facts.confusion_svg, ConfusionSvg(eval));
  // Last: the manifest names the new files, and the daemon reloads.
  WriteAtomically(fs::path(o.dir) / (o.name + ".toml"),
                  Manifest(o, generation, facts.model_file));
  RemoveOldGenerations(home, generation);
  std::cout << o.name << " generation " << g << ": top-1 "
            << Fixed(eval.Accuracy(), 3) << ", macro-F1 "
            << Fixed(eval.top1.MacroF1(), 3) << " on " << eval.docs
            << " held-out documents; trained in "
            << Fixed(facts.train_seconds, 1) << " s; wrote "
            << (fs::path(o.dir) / (o.name + ".toml")).string() << " and "
            << home.string() << "/\n";
  return 0;
}

}  // namespace classifyd::train
