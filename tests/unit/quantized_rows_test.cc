// QuantizedRows (plugins/fasttext/quantized_rows.h) against fastText's own
// QuantMatrix::addRowToVector(), on every row of the bundled models: the
// same sums to the bit.
#include "quantized_rows.h"

#include <fasttext/densematrix.h>
#include <fasttext/fasttext.h>
#include <fasttext/vector.h>
#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>

#include "testing/daemon_process.h"
#include "testing/fasttext_models.h"

namespace classifyd::plugins {
namespace {

TEST(QuantizedRowsTest, EveryRowAddsWhatFastTextAdds) {
  for (const std::string& path :
       {testing::BundledModelPath(),
        testing::SourceDir() + "/models/news-topics-en/model.ftz"}) {
    fasttext::FastText model;
    model.loadModel(path);
    const fasttext::Matrix& input = testing::FastTextMatrices::Input(model);
    const std::optional<QuantizedRows> rows = QuantizedRows::Of(input);
    ASSERT_TRUE(rows.has_value()) << path;
    fasttext::Vector ours(input.size(1)), theirs(input.size(1));
    for (int64_t row = 0; row < input.size(0); ++row) {
      // Start from a sum of earlier rows, as a document's vector does.
      ours = theirs;
      rows->AddTo(&ours, row);
      input.addRowToVector(theirs, static_cast<int32_t>(row));
      ASSERT_EQ(std::memcmp(ours.data(), theirs.data(),
                            sizeof(float) * input.size(1)),
                0)
          << path << ": row " << row;
      if (row % 16 == 0) theirs.zero();
    }
  }
}

TEST(QuantizedRowsTest, ADenseMatrixHasNone) {
  fasttext::DenseMatrix dense(4, 3);
  EXPECT_FALSE(QuantizedRows::Of(dense).has_value());
}

}  // namespace
}  // namespace classifyd::plugins
