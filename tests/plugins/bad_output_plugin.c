/* A plugin that hands the daemon bad results on purpose, so tests can check
 * that the host validates everything a plugin returns before it reaches a
 * response (daemon/plugin/result_check.h).
 *
 * Options:
 *   label = "ok"                  its one declared label; every document
 *                                 without a marker gets it (score 0.8,
 *                                 evidence "fine")
 *   bad_declared_label = true     list_labels() also lists a label that is
 *                                 not UTF-8 (the classifier must not load)
 *
 * Markers, in a document, and what the plugin does for that document:
 *   BAD_LABEL_UTF8     a label that is not UTF-8 ("\xff\xfe")
 *   BAD_MESSAGE_UTF8   set_document_error with a message that is not UTF-8
 *   HUGE_EVIDENCE      its label with one evidence string of 80 MB
 *   NAN_SCORE          its label with score NaN
 *   SCORE_SEVEN        its label with score 7
 *   UNDECLARED_LABEL   the label "undeclared", which it never listed
 *   MANY_LABELS        its label 300 times
 *   BAD_CALL_MESSAGE   fails the whole batch (UNAVAILABLE) with a message
 *                      that is not UTF-8
 *
 * Thread-safe: no state is shared between calls. */
#include <classifyd/plugin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_plugin_util.h"

#define LABEL_CAPACITY 256
#define HUGE_EVIDENCE_BYTES ((size_t)80 * 1000 * 1000)

typedef struct classifyd_instance {
  char label[LABEL_CAPACITY];
  int bad_declared_label;
} Instance;

static int ValueIs(const classifyd_option* option, const char* value) {
  return option->value.size == strlen(value) &&
         memcmp(option->value.data, value, option->value.size) == 0;
}

static classifyd_status Create(const classifyd_instance_config* config,
                               const classifyd_error_sink* error,
                               classifyd_instance** out) {
  (void)error;
  Instance* instance = calloc(1, sizeof(Instance));
  if (instance == NULL) return CLASSIFYD_RESOURCE_EXHAUSTED;
  strcpy(instance->label, "ok");
  for (size_t i = 0; i < config->option_count; ++i) {
    const classifyd_option* o = &config->options[i];
    if (OptionKeyIs(o, "label") && o->value.size < LABEL_CAPACITY) {
      memcpy(instance->label, o->value.data, o->value.size);
      instance->label[o->value.size] = '\0';
    }
    if (OptionKeyIs(o, "bad_declared_label")) {
      instance->bad_declared_label = ValueIs(o, "true");
    }
  }
  *out = instance;
  return CLASSIFYD_OK;
}

static void Destroy(classifyd_instance* instance) { free(instance); }

static classifyd_status ListLabels(classifyd_instance* instance,
                                   const classifyd_label_sink* sink) {
  sink->add(sink->context, instance->label, strlen(instance->label));
  if (instance->bad_declared_label) sink->add(sink->context, "\xc0\xaf", 2);
  return CLASSIFYD_OK;
}

static classifyd_status ClassifyBatch(classifyd_instance* instance,
                                      const classifyd_document* documents,
                                      size_t count,
                                      const classifyd_classify_options* options,
                                      const classifyd_result_sink* sink) {
  (void)options;
  const char* label = instance->label;
  const size_t label_size = strlen(label);
  const classifyd_string fine = {"fine", 4};
  for (size_t i = 0; i < count; ++i) {
    if (TextContains(&documents[i].text, "BAD_CALL_MESSAGE")) {
      static const char kMessage[] = "the batch failed \xe4\xb8";
      sink->error.set_error(sink->error.context, kMessage,
                            sizeof(kMessage) - 1);
      return CLASSIFYD_UNAVAILABLE;
    }
  }
  for (size_t i = 0; i < count; ++i) {
    const classifyd_string* text = &documents[i].text;
    if (TextContains(text, "BAD_LABEL_UTF8")) {
      sink->add_label(sink->context, i, "\xff\xfe", 2, 0.8f, NULL, 0);
    } else if (TextContains(text, "BAD_MESSAGE_UTF8")) {
      static const char kMessage[] = "bad \xc3\x28 message";
      sink->set_document_error(sink->context, i, CLASSIFYD_INVALID_ARGUMENT,
                               kMessage, sizeof(kMessage) - 1);
    } else if (TextContains(text, "HUGE_EVIDENCE")) {
      char* huge = malloc(HUGE_EVIDENCE_BYTES);
      if (huge == NULL) return CLASSIFYD_RESOURCE_EXHAUSTED;
      memset(huge, 'e', HUGE_EVIDENCE_BYTES);
      const classifyd_string evidence = {huge, HUGE_EVIDENCE_BYTES};
      sink->add_label(sink->context, i, label, label_size, 0.8f, &evidence, 1);
      free(huge);
    } else if (TextContains(text, "NAN_SCORE")) {
      sink->add_label(sink->context, i, label, label_size, NAN, &fine, 1);
    } else if (TextContains(text, "SCORE_SEVEN")) {
      sink->add_label(sink->context, i, label, label_size, 7.0f, &fine, 1);
    } else if (TextContains(text, "UNDECLARED_LABEL")) {
      sink->add_label(sink->context, i, "undeclared", 10, 0.8f, &fine, 1);
    } else if (TextContains(text, "MANY_LABELS")) {
      for (int n = 0; n < 300; ++n) {
        sink->add_label(sink->context, i, label, label_size, 0.8f, &fine, 1);
      }
    } else {
      sink->add_label(sink->context, i, label, label_size, 0.8f, &fine, 1);
    }
  }
  return CLASSIFYD_OK;
}

static const classifyd_plugin_api kApi = {sizeof(classifyd_plugin_api),
                                          CLASSIFYD_ABI_MAJOR,
                                          CLASSIFYD_ABI_MINOR,
                                          "bad-output",
                                          "1.0.0",
                                          CLASSIFYD_CAP_EVIDENCE,
                                          Create,
                                          Destroy,
                                          ListLabels,
                                          ClassifyBatch};

CLASSIFYD_TEST_PLUGIN_ENTRY(kApi)
