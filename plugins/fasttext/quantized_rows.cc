#include "quantized_rows.h"

#include <fasttext/productquantizer.h>
#include <fasttext/quantmatrix.h>

namespace classifyd::plugins {

namespace {

// QuantMatrix and ProductQuantizer keep their tables protected; member
// pointers taken through these subclasses read them.
struct QuantMatrixTables : fasttext::QuantMatrix {
  static const fasttext::ProductQuantizer& Rows(
      const fasttext::QuantMatrix& m) {
    return *(m.*(&QuantMatrixTables::pq_));
  }
  static const fasttext::ProductQuantizer* Norms(
      const fasttext::QuantMatrix& m) {
    return m.*(&QuantMatrixTables::qnorm_)
               ? (m.*(&QuantMatrixTables::npq_)).get()
               : nullptr;
  }
  static const std::vector<uint8_t>& Codes(const fasttext::QuantMatrix& m) {
    return m.*(&QuantMatrixTables::codes_);
  }
  static const std::vector<uint8_t>& NormCodes(const fasttext::QuantMatrix& m) {
    return m.*(&QuantMatrixTables::norm_codes_);
  }
};

struct QuantizerTables : fasttext::ProductQuantizer {
  static const std::vector<float>& Centroids(
      const fasttext::ProductQuantizer& q) {
    return q.*(&QuantizerTables::centroids_);
  }
  static int32_t SubQuantizers(const fasttext::ProductQuantizer& q) {
    return q.*(&QuantizerTables::nsubq_);
  }
  static int32_t SubDim(const fasttext::ProductQuantizer& q) {
    return q.*(&QuantizerTables::dsub_);
  }
  static int32_t LastSubDim(const fasttext::ProductQuantizer& q) {
    return q.*(&QuantizerTables::lastdsub_);
  }
  static int32_t CentroidsPerSubQuantizer(const fasttext::ProductQuantizer& q) {
    return q.*(&QuantizerTables::ksub_);
  }
};

}  // namespace

std::optional<QuantizedRows> QuantizedRows::Of(const fasttext::Matrix& matrix) {
  const auto* quantized = dynamic_cast<const fasttext::QuantMatrix*>(&matrix);
  if (quantized == nullptr) return std::nullopt;
  const fasttext::ProductQuantizer& pq = QuantMatrixTables::Rows(*quantized);
  QuantizedRows rows;
  rows.codes_ = QuantMatrixTables::Codes(*quantized).data();
  rows.centroids_ = QuantizerTables::Centroids(pq).data();
  rows.nsubq_ = QuantizerTables::SubQuantizers(pq);
  rows.dsub_ = QuantizerTables::SubDim(pq);
  rows.lastdsub_ = QuantizerTables::LastSubDim(pq);
  rows.ksub_ = QuantizerTables::CentroidsPerSubQuantizer(pq);
  if (const fasttext::ProductQuantizer* norms =
          QuantMatrixTables::Norms(*quantized)) {
    // One-dimensional, one sub-quantiser: centroid i is element i.
    rows.norm_codes_ = QuantMatrixTables::NormCodes(*quantized).data();
    rows.norm_centroids_ = QuantizerTables::Centroids(*norms).data();
  }
  return rows;
}

void QuantizedRows::AddTo(fasttext::Vector* x, int64_t row) const {
  // QuantMatrix::addRowToVector() and ProductQuantizer::addcode().
  const float alpha =
      norm_codes_ != nullptr ? norm_centroids_[norm_codes_[row]] : 1.0f;
  const uint8_t* code = codes_ + nsubq_ * row;
  float* out = x->data();
  for (int32_t m = 0; m < nsubq_; ++m) {
    const bool last = m == nsubq_ - 1;
    const int32_t d = last ? lastdsub_ : dsub_;
    const float* c = last ? &centroids_[m * ksub_ * dsub_ + code[m] * lastdsub_]
                          : &centroids_[(m * ksub_ + code[m]) * dsub_];
    for (int32_t n = 0; n < d; ++n) out[m * dsub_ + n] += alpha * c[n];
  }
}

}  // namespace classifyd::plugins
