/* A plugin built against ABI 1.0: compiled with the 1.0 header kept in
 * tests/plugins/abi_1_0/ (found before the current one), so its table,
 * its label sink and its minor are 1.0's. A 1.1 host must load and run it
 * unchanged. Labels every document "old" with the evidence "1.0". */
#include <classifyd/plugin.h>
#include <string.h>

#include "test_plugin_util.h"

#if CLASSIFYD_ABI_MINOR != 0
#error "abi_1_0_plugin.c must be built against the ABI 1.0 header"
#endif

static classifyd_instance* const kInstance = (classifyd_instance*)&kInstance;

static classifyd_status Create(const classifyd_instance_config* config,
                               const classifyd_error_sink* error,
                               classifyd_instance** out) {
  (void)config;
  (void)error;
  *out = kInstance;
  return CLASSIFYD_OK;
}
static void Destroy(classifyd_instance* instance) { (void)instance; }
static classifyd_status ListLabels(classifyd_instance* instance,
                                   const classifyd_label_sink* sink) {
  (void)instance;
  sink->add(sink->context, "old", 3);
  return CLASSIFYD_OK;
}
static classifyd_status ClassifyBatch(classifyd_instance* instance,
                                      const classifyd_document* documents,
                                      size_t count,
                                      const classifyd_classify_options* options,
                                      const classifyd_result_sink* sink) {
  static const classifyd_string kEvidence = {"1.0", 3};
  (void)instance;
  (void)documents;
  (void)options;
  for (size_t i = 0; i < count; ++i) {
    sink->add_label(sink->context, i, "old", 3, 0.75f, &kEvidence, 1);
  }
  return CLASSIFYD_OK;
}

static const classifyd_plugin_api kApi = {sizeof(classifyd_plugin_api),
                                          CLASSIFYD_ABI_MAJOR,
                                          CLASSIFYD_ABI_MINOR,
                                          "abi-1.0",
                                          "1.0.0",
                                          CLASSIFYD_CAP_EVIDENCE,
                                          Create,
                                          Destroy,
                                          ListLabels,
                                          ClassifyBatch};

CLASSIFYD_TEST_PLUGIN_ENTRY(kApi)
