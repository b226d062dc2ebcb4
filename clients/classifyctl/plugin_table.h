// The table of classifiers that `plugins`, `reload`, `load` and `unload`
// print, so a reload shows its result in the same shape as a listing.
#ifndef CLASSIFYD_CLIENTS_CLASSIFYCTL_PLUGIN_TABLE_H_
#define CLASSIFYD_CLIENTS_CLASSIFYCTL_PLUGIN_TABLE_H_

#include <google/protobuf/repeated_ptr_field.h>

#include <cstdio>

#include "classifyd/v1/classifier.pb.h"

namespace classifyctl {

// Columns NAME, STATE, GEN, PLUGIN (plugin name and version), LABELS; on
// indented lines below a classifier, the error of a failed load and its
// calls that ran past their time limit (stuck now, and in all).
void PrintPluginTable(const google::protobuf::RepeatedPtrField<
                          classifyd::v1::PluginInfo>& plugins,
                      std::FILE* out);

}  // namespace classifyctl

#endif  // CLASSIFYD_CLIENTS_CLASSIFYCTL_PLUGIN_TABLE_H_
