/* A plugin that misbehaves on purpose, as its manifest options say:
 *
 *   label = "ok"            the label (score 0.9) given to every document
 *   hang_marker = "..."     a batch with a document containing this hangs
 *                           in classify_batch() until one of:
 *   hang_ms = 0               hang_ms milliseconds have passed (0: never)
 *   release_file = "..."      this file exists (polled every 10 ms)
 *   entered_file = "..."    created when a hang starts, so that a test can
 *                           wait for the hang instead of guessing its time
 *   crash_marker = "..."    a document containing this makes classify_batch
 *                           dereference a null pointer (SIGSEGV)
 *   crash_in_create = true  create() dereferences a null pointer
 *   hang_in_create = true   create() hangs as a batch with hang_marker does
 *   exit_marker = "..."     a document containing this makes classify_batch
 *                           call exit(0), as careless library code does
 *   write_marker = "..."    a document containing this makes classify_batch
 *   write_file = "..."      create write_file; if it cannot, the document
 *                           fails PERMISSION_DENIED with strerror(errno)
 *                           (what a sandbox allows, seen from a plugin)
 *
 * A marker in the manifest's `warmup` document (what the daemon classifies
 * before publishing a classifier) makes a crash or hang during warm-up.
 * Thread-safe: a hang blocks only the thread it happens on. */
#include <classifyd/plugin.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_plugin_util.h"

#define OPTION_CAPACITY 4096

typedef struct classifyd_instance {
  char label[OPTION_CAPACITY];
  char hang_marker[OPTION_CAPACITY];
  char crash_marker[OPTION_CAPACITY];
  char exit_marker[OPTION_CAPACITY];
  char release_file[OPTION_CAPACITY];
  char entered_file[OPTION_CAPACITY];
  char write_marker[OPTION_CAPACITY];
  char write_file[OPTION_CAPACITY];
  long hang_ms;
} Instance;

static void CopyOption(const classifyd_string* value, char* out) {
  size_t n =
      value->size < OPTION_CAPACITY - 1 ? value->size : OPTION_CAPACITY - 1;
  memcpy(out, value->data, n);
  out[n] = '\0';
}

static void Crash(void) {
  volatile int* nowhere = NULL;
  *nowhere = 1;
  raise(SIGSEGV); /* In case the store was optimised into something else. */
}

static void SleepMs(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0) {
  }
}

static void Hang(const Instance* instance) {
  if (instance->entered_file[0] != '\0') {
    FILE* f = fopen(instance->entered_file, "w");
    if (f != NULL) fclose(f);
  }
  for (long left = instance->hang_ms; instance->hang_ms == 0 || left > 0;
       left -= 10) {
    if (instance->release_file[0] != '\0' &&
        access(instance->release_file, F_OK) == 0) {
      return;
    }
    SleepMs(instance->hang_ms == 0 || left > 10 ? 10 : left);
  }
}

static classifyd_status Create(const classifyd_instance_config* config,
                               const classifyd_error_sink* error,
                               classifyd_instance** out) {
  (void)error;
  Instance* instance = calloc(1, sizeof(Instance));
  if (instance == NULL) return CLASSIFYD_RESOURCE_EXHAUSTED;
  int hang_in_create = 0;
  strcpy(instance->label, "ok");
  for (size_t i = 0; i < config->option_count; ++i) {
    const classifyd_option* o = &config->options[i];
    if (OptionKeyIs(o, "label")) CopyOption(&o->value, instance->label);
    if (OptionKeyIs(o, "hang_marker")) {
      CopyOption(&o->value, instance->hang_marker);
    }
    if (OptionKeyIs(o, "crash_marker")) {
      CopyOption(&o->value, instance->crash_marker);
    }
    if (OptionKeyIs(o, "exit_marker")) {
      CopyOption(&o->value, instance->exit_marker);
    }
    if (OptionKeyIs(o, "write_marker")) {
      CopyOption(&o->value, instance->write_marker);
    }
    if (OptionKeyIs(o, "write_file")) {
      CopyOption(&o->value, instance->write_file);
    }
    if (OptionKeyIs(o, "release_file")) {
      CopyOption(&o->value, instance->release_file);
    }
    if (OptionKeyIs(o, "entered_file")) {
      CopyOption(&o->value, instance->entered_file);
    }
    if (OptionKeyIs(o, "hang_ms") || OptionKeyIs(o, "crash_in_create") ||
        OptionKeyIs(o, "hang_in_create")) {
      char value[64];
      size_t n =
          o->value.size < sizeof(value) - 1 ? o->value.size : sizeof(value) - 1;
      memcpy(value, o->value.data, n);
      value[n] = '\0';
      if (OptionKeyIs(o, "hang_ms")) instance->hang_ms = atol(value);
      if (OptionKeyIs(o, "crash_in_create") && strcmp(value, "true") == 0) {
        Crash();
      }
      if (OptionKeyIs(o, "hang_in_create")) {
        hang_in_create = strcmp(value, "true") == 0;
      }
    }
  }
  if (hang_in_create) Hang(instance); /* After every option is read. */
  *out = instance;
  return CLASSIFYD_OK;
}

static void Destroy(classifyd_instance* instance) { free(instance); }

static classifyd_status ListLabels(classifyd_instance* instance,
                                   const classifyd_label_sink* sink) {
  sink->add(sink->context, instance->label, strlen(instance->label));
  return CLASSIFYD_OK;
}

static classifyd_status ClassifyBatch(classifyd_instance* instance,
                                      const classifyd_document* documents,
                                      size_t count,
                                      const classifyd_classify_options* options,
                                      const classifyd_result_sink* sink) {
  (void)options;
  for (size_t i = 0; i < count; ++i) {
    if (TextContains(&documents[i].text, instance->crash_marker)) Crash();
    if (TextContains(&documents[i].text, instance->exit_marker)) exit(0);
    if (TextContains(&documents[i].text, instance->hang_marker)) Hang(instance);
  }
  for (size_t i = 0; i < count; ++i) {
    if (TextContains(&documents[i].text, instance->write_marker)) {
      FILE* f = fopen(instance->write_file, "w");
      if (f == NULL) {
        const char* why = strerror(errno);
        sink->set_document_error(sink->context, i, CLASSIFYD_PERMISSION_DENIED,
                                 why, strlen(why));
        continue;
      }
      fclose(f);
    }
    sink->add_label(sink->context, i, instance->label, strlen(instance->label),
                    0.9f, NULL, 0);
  }
  return CLASSIFYD_OK;
}

static const classifyd_plugin_api kApi = {sizeof(classifyd_plugin_api),
                                          CLASSIFYD_ABI_MAJOR,
                                          CLASSIFYD_ABI_MINOR,
                                          "crash-hang",
                                          "1.0.0",
                                          0,
                                          Create,
                                          Destroy,
                                          ListLabels,
                                          ClassifyBatch};

CLASSIFYD_TEST_PLUGIN_ENTRY(kApi)
