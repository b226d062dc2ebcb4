// Converts registry entries to the API's PluginInfo.
#ifndef CLASSIFYD_DAEMON_SERVICE_PLUGIN_INFO_H_
#define CLASSIFYD_DAEMON_SERVICE_PLUGIN_INFO_H_

#include "classifyd/v1/classifier.pb.h"
#include "registry/classifier_registry.h"

namespace classifyd {

void FillPluginInfo(const ClassifierStatus& status, v1::PluginInfo* info);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_PLUGIN_INFO_H_
