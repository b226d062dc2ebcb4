// Cheap structural checks of a fastText model file before handing it to
// fastText, whose loader trusts its input and can crash on a corrupt file.
#ifndef CLASSIFYD_PLUGINS_FASTTEXT_MODEL_CHECK_H_
#define CLASSIFYD_PLUGINS_FASTTEXT_MODEL_CHECK_H_

#include <string>

namespace classifyd::plugins {

// Returns an empty string if `path` looks like a fastText model this plugin
// can load, or a message saying what is wrong with it.
std::string CheckFastTextModelFile(const std::string& path);

}  // namespace classifyd::plugins

#endif  // CLASSIFYD_PLUGINS_FASTTEXT_MODEL_CHECK_H_
