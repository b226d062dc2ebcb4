// Adds rows of a product-quantised fastText input matrix (a .ftz model's
// fasttext::QuantMatrix) to a vector, as QuantMatrix::addRowToVector()
// does, with the same arithmetic in the same order, so the sums are the
// same to the bit. fastText decodes each row through one out-of-line
// get_centroids() call per sub-quantiser (25 for the bundled model); a
// headline's rows then cost more than the rest of its scoring.
//
// Borrows the matrix's code and centroid tables: valid while the matrix
// lives and is not changed (a loaded model's never is).
//
// Thread-safe: immutable once built.
#ifndef CLASSIFYD_PLUGINS_FASTTEXT_QUANTIZED_ROWS_H_
#define CLASSIFYD_PLUGINS_FASTTEXT_QUANTIZED_ROWS_H_

#include <fasttext/matrix.h>
#include <fasttext/vector.h>

#include <cstdint>
#include <optional>

namespace classifyd::plugins {

class QuantizedRows {
 public:
  // The rows of `matrix`, or nullopt if it is not a QuantMatrix (a dense
  // .bin model: its rows are read directly anyway).
  static std::optional<QuantizedRows> Of(const fasttext::Matrix& matrix);

  // x += row `row`, times its quantised norm if the matrix has norms.
  // REQUIRES: 0 <= row < the matrix's rows; x has the matrix's columns.
  void AddTo(fasttext::Vector* x, int64_t row) const;

 private:
  QuantizedRows() = default;

  const uint8_t* codes_ = nullptr;       // nsubq_ codes per row.
  const float* centroids_ = nullptr;     // ksub_ centroids per sub-quantiser.
  const uint8_t* norm_codes_ = nullptr;  // One per row; null: no norms.
  const float* norm_centroids_ = nullptr;
  int32_t nsubq_ = 0;
  int32_t dsub_ = 0;
  int32_t lastdsub_ = 0;  // Columns of the last sub-quantiser.
  int32_t ksub_ = 0;
};

}  // namespace classifyd::plugins

#endif  // CLASSIFYD_PLUGINS_FASTTEXT_QUANTIZED_ROWS_H_
