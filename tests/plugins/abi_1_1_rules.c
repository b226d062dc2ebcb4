/* A plugin that breaks the rules ABI 1.1 added, chosen by its create()
 * through the manifest option "break":
 *   list_labels  list_labels() fails, with a message through its error
 *                sink (since 1.1);
 *   evidence     a label comes with evidence though the plugin does not
 *                declare CLASSIFYD_CAP_EVIDENCE;
 * anything else: labels "ok" without evidence.
 * Built twice: as abi_1_1_rules, and with UNKNOWN_CAPABILITY as
 * bad_capabilities, whose table sets a capability bit no host knows. */
#include <classifyd/plugin.h>
#include <string.h>

#include "test_plugin_util.h"

#ifdef UNKNOWN_CAPABILITY
#define CAPABILITIES ((uint64_t)1 << 63)
#else
#define CAPABILITIES 0
#endif

struct classifyd_instance {
  char mode[16];
};
static struct classifyd_instance kListLabels = {"list_labels"};
static struct classifyd_instance kEvidence = {"evidence"};
static struct classifyd_instance kPlain = {"plain"};

static classifyd_status Create(const classifyd_instance_config* config,
                               const classifyd_error_sink* error,
                               classifyd_instance** out) {
  (void)error;
  *out = &kPlain;
  for (size_t i = 0; i < config->option_count; ++i) {
    if (OptionIs(&config->options[i], "break", "list_labels")) {
      *out = &kListLabels;
    } else if (OptionIs(&config->options[i], "break", "evidence")) {
      *out = &kEvidence;
    }
  }
  return CLASSIFYD_OK;
}
static void Destroy(classifyd_instance* instance) { (void)instance; }
static classifyd_status ListLabels(classifyd_instance* instance,
                                   const classifyd_label_sink* sink) {
  static const char kWhy[] = "label table not built (on purpose)";
  if (instance == &kListLabels) {
    sink->error.set_error(sink->error.context, kWhy, strlen(kWhy));
    return CLASSIFYD_FAILED_PRECONDITION;
  }
  sink->add(sink->context, "ok", 2);
  return CLASSIFYD_OK;
}
static classifyd_status ClassifyBatch(classifyd_instance* instance,
                                      const classifyd_document* documents,
                                      size_t count,
                                      const classifyd_classify_options* options,
                                      const classifyd_result_sink* sink) {
  static const classifyd_string kWhy = {"because", 7};
  (void)documents;
  (void)options;
  for (size_t i = 0; i < count; ++i) {
    const int with_evidence = instance == &kEvidence;
    sink->add_label(sink->context, i, "ok", 2, 0.5f,
                    with_evidence ? &kWhy : NULL, with_evidence ? 1 : 0);
  }
  return CLASSIFYD_OK;
}

static const classifyd_plugin_api kApi = {sizeof(classifyd_plugin_api),
                                          CLASSIFYD_ABI_MAJOR,
                                          CLASSIFYD_ABI_MINOR,
                                          "abi-1.1-rules",
                                          "1.0.0",
                                          CAPABILITIES,
                                          Create,
                                          Destroy,
                                          ListLabels,
                                          ClassifyBatch};

CLASSIFYD_TEST_PLUGIN_ENTRY(kApi)
