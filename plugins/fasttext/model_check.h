// Structural verification of a fastText model file before handing it to
// fastText, whose loader trusts its input: a corrupt file can make it read
// past its buffers, divide by zero, loop forever or allocate without bound.
//
// The check walks the whole file as fastText 0.9.2's FastText::loadModel()
// reads it (header, Args, Dictionary, input and output matrices, dense or
// product-quantised) and accepts it only if every count and size is
// consistent with the file's length and with every index that loading and
// prediction will use. Accepted: exactly the supervised models fastText
// writes (`fasttext supervised`, `fasttext quantize`, classifyd-train).
//
// Thread-safe (pure functions).
#ifndef CLASSIFYD_PLUGINS_FASTTEXT_MODEL_CHECK_H_
#define CLASSIFYD_PLUGINS_FASTTEXT_MODEL_CHECK_H_

#include <string>
#include <string_view>

namespace classifyd::plugins {

// Returns an empty string if `bytes`, the contents of a model file, is a
// supervised fastText model that fastText can load and predict with safely,
// or a message saying what is wrong with it (without the file name).
std::string CheckFastTextModel(std::string_view bytes);

// Reads `path` and checks it as above. Returns an empty string or a message
// that names the file.
std::string CheckFastTextModelFile(const std::string& path);

}  // namespace classifyd::plugins

#endif  // CLASSIFYD_PLUGINS_FASTTEXT_MODEL_CHECK_H_
