#include "classifier_card.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "tool_format.h"

namespace classifyd::train {
namespace {

std::string Svg(int width, int height, const std::string& body) {
  std::ostringstream out;
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
      << "\" height=\"" << height << "\" font-family=\"sans-serif\" "
      << "font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" "
      << "fill=\"white\"/>\n"
      << body << "</svg>\n";
  return out.str();
}

std::string EscapeXml(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out.push_back(c);
  }
  return out;
}

// Labels in the confusion matrix: gold labels and top labels, sorted.
std::vector<std::string> ConfusionLabels(const HoldoutEvaluation& eval) {
  std::set<std::string> labels;
  for (const auto& [cell, n] : eval.confusion) {
    labels.insert(cell.first);
    labels.insert(cell.second);
  }
  return {labels.begin(), labels.end()};
}

void PerLabelTable(const HoldoutEvaluation& eval, std::ostream& out) {
  out << "| label | support | precision | recall | F1 | top label this "
         "often |\n|---|---:|---:|---:|---:|---:|\n";
  for (const auto& [label, c] : eval.top1.labels) {
    out << "| `" << label << "` | " << c.support << " | "
        << Fixed(c.Precision(), 3) << " | " << Fixed(c.Recall(), 3) << " | "
        << Fixed(c.F1(), 3) << " | " << c.predicted << " |\n";
  }
}

void ReliabilityTable(const HoldoutEvaluation& eval, std::ostream& out) {
  out << "| calibrated score of the top label | documents | mean score | "
         "share right |\n|---|---:|---:|---:|\n";
  for (size_t i = 0; i < eval.reliability.size(); ++i) {
    const ReliabilityBin& bin = eval.reliability[i];
    if (bin.docs == 0) continue;
    out << "| " << Fixed(i / 10.0, 1) << " – " << Fixed((i + 1) / 10.0, 1)
        << " | " << bin.docs << " | " << Fixed(bin.score_sum / bin.docs, 3)
        << " | " << Fixed(static_cast<double>(bin.correct) / bin.docs, 3)
        << " |\n";
  }
}

}  // namespace

std::string ModelCard(const CardFacts& f, const HoldoutEvaluation& eval) {
  std::ostringstream out;
  out << "<!-- Written by classifyd-train; rerun it to update. -->\n"
      << "# " << f.name << " (generation " << f.generation << ")\n\n"
      << "A fastText classifier trained by `classifyd-train --name " << f.name
      << "` from:\n\n";
  for (const std::string& input : f.inputs) out << "- `" << input << "`\n";
  out << "\nEach document goes to one split by a hash of its text, so "
         "retraining with more data keeps every earlier document in its "
         "split: "
      << f.train_docs << " train, " << f.calibration_docs << " calibration, "
      << f.test_docs
      << " test. Texts are normalised "
         "and tokenised exactly as the daemon's fastText plugin does.\n\n"
      << "| | |\n|---|---|\n| model | `" << f.model_file << "` ("
      << f.model_bytes << " bytes) |\n| calibration | `" << f.calibration_file
      << "` (isotonic, per label; `*` pools labels "
         "with few examples) |\n| training | `"
      << f.train_flags << "`, " << Fixed(f.train_seconds, 1) << " s |\n\n"
      << "## Held-out test split\n\nScored as the daemon serves it: "
         "calibrated scores, best first. A document is right when its top "
         "label is one of its labels.\n\n"
      << "| | |\n|---|---:|\n| documents | " << eval.docs
      << " |\n| top-1 accuracy | " << Fixed(eval.Accuracy(), 3)
      << " |\n| top-1 accuracy, uncalibrated ranking | "
      << Fixed(eval.docs ? double(eval.raw_top1_correct) / eval.docs : 0, 3)
      << " |\n| macro-F1 (top label) | " << Fixed(eval.top1.MacroF1(), 3)
      << " |\n| top label scored >= " << Fixed(f.min_score, 2) << " | "
      << Fixed(eval.docs ? double(eval.labelled) / eval.docs : 0, 3)
      << " |\n| expected calibration error | "
      << Fixed(eval.CalibrationError(), 3) << " |\n\n";
  PerLabelTable(eval, out);
  out << "\n## Calibration\n\n";
  ReliabilityTable(eval, out);
  out << "\n![Reliability of the top label](" << f.reliability_svg
      << ")\n\n## Confusion\n\n![Confusion on the test split]("
      << f.confusion_svg << ")\n\n## Labels in the data\n\n"
      << "| label | documents |\n|---|---:|\n";
  for (const auto& [label, n] : f.label_docs) {
    out << "| `" << label << "` | " << n << " |\n";
  }
  return out.str();
}

std::string ReliabilitySvg(const HoldoutEvaluation& eval) {
  constexpr int kSize = 300, kLeft = 50, kTop = 20;
  std::ostringstream b;
  auto x = [&](double v) { return kLeft + v * kSize; };
  auto y = [&](double v) { return kTop + (1 - v) * kSize; };
  b << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kSize
    << "\" height=\"" << kSize << "\" fill=\"none\" stroke=\"#888\"/>\n"
    << "<line x1=\"" << x(0) << "\" y1=\"" << y(0) << "\" x2=\"" << x(1)
    << "\" y2=\"" << y(1) << "\" stroke=\"#bbb\" stroke-dasharray=\"4\"/>\n";
  std::string points;
  for (const ReliabilityBin& bin : eval.reliability) {
    if (bin.docs == 0) continue;
    const double mean = bin.score_sum / bin.docs;
    const double right = static_cast<double>(bin.correct) / bin.docs;
    points += Fixed(x(mean), 1) + "," + Fixed(y(right), 1) + " ";
    b << "<circle cx=\"" << x(mean) << "\" cy=\"" << y(right)
      << "\" r=\"4\" fill=\"#1f77b4\"><title>" << bin.docs
      << " documents</title></circle>\n";
  }
  b << "<polyline points=\"" << points
    << "\" fill=\"none\" stroke=\"#1f77b4\"/>\n"
    << "<text x=\"" << x(0.5) << "\" y=\"" << kTop + kSize + 30
    << "\" text-anchor=\"middle\">calibrated score of the top label</text>\n"
    << "<text x=\"14\" y=\"" << y(0.5) << "\" transform=\"rotate(-90 14 "
    << y(0.5) << ")\" text-anchor=\"middle\">share right</text>\n";
  for (int t = 0; t <= 10; t += 5) {
    b << "<text x=\"" << x(t / 10.0) << "\" y=\"" << kTop + kSize + 14
      << "\" text-anchor=\"middle\">" << t / 10.0 << "</text>\n<text x=\""
      << kLeft - 6 << "\" y=\"" << y(t / 10.0) + 4 << "\" text-anchor=\"end\">"
      << t / 10.0 << "</text>\n";
  }
  return Svg(kLeft + kSize + 20, kTop + kSize + 45, b.str());
}

std::string ConfusionSvg(const HoldoutEvaluation& eval) {
  const std::vector<std::string> labels = ConfusionLabels(eval);
  const int n = static_cast<int>(labels.size());
  const int cell = n > 30 ? 12 : 24, left = 130, top = 130;
  std::map<std::string, int64_t> row_total;
  for (const auto& [c, count] : eval.confusion) row_total[c.first] += count;
  std::ostringstream b;
  for (int i = 0; i < n; ++i) {
    const std::string name = EscapeXml(labels[i]);
    b << "<text x=\"" << left - 4 << "\" y=\"" << top + i * cell + cell * 0.7
      << "\" text-anchor=\"end\">" << name << "</text>\n<text x=\"0\" y=\"0\" "
      << "transform=\"translate(" << left + i * cell + cell * 0.7 << " "
      << top - 4 << ") rotate(-60)\">" << name << "</text>\n";
    for (int j = 0; j < n; ++j) {
      auto it = eval.confusion.find({labels[i], labels[j]});
      const int64_t count = it == eval.confusion.end() ? 0 : it->second;
      const double share = count ? double(count) / row_total[labels[i]] : 0;
      const int shade = 255 - static_cast<int>(share * 200);
      b << "<rect x=\"" << left + j * cell << "\" y=\"" << top + i * cell
        << "\" width=\"" << cell << "\" height=\"" << cell << "\" fill=\"rgb("
        << shade << "," << shade << ",255)\" stroke=\"#eee\"><title>" << name
        << " -> " << EscapeXml(labels[j]) << ": " << count
        << "</title></rect>\n";
    }
  }
  b << "<text x=\"" << left
    << "\" y=\"14\">rows: gold label; columns: top "
       "label; shade: share of the row</text>\n";
  return Svg(left + n * cell + 20, top + n * cell + 20, b.str());
}

}  // namespace classifyd::train
