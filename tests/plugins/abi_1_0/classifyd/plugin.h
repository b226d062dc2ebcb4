/* The plugin ABI 1.0 header as released, kept unchanged so that
 * abi_1_0_plugin.c is built exactly as a 1.0 plugin was. Never edit. */
/*
 * classifyd plugin ABI — the entire contract between the classifyd daemon
 * (the "host") and a classifier plugin (a shared library).
 *
 * This header is C only and self-contained: a plugin author needs nothing
 * else. No C++ type and no exception ever crosses this boundary.
 *
 * ---------------------------------------------------------------------------
 * How a plugin is found and loaded
 * ---------------------------------------------------------------------------
 * A shared library exports exactly one symbol, CLASSIFYD_PLUGIN_ENTRY_SYMBOL
 * ("classifyd_plugin_entry"), of type classifyd_plugin_entry_fn. The host
 * dlopen()s the library with RTLD_NOW | RTLD_LOCAL, calls the entry point
 * once, and reads the returned static table. Every other symbol should be
 * hidden (-fvisibility=hidden and/or a linker version script).
 *
 * A classifier *instance* is declared by a manifest file; the host calls
 * create() once per instance with the manifest's settings, classify_batch()
 * many times, and destroy() once. One library may back many instances.
 *
 * ---------------------------------------------------------------------------
 * Versioning
 * ---------------------------------------------------------------------------
 * The ABI version is MAJOR.MINOR.
 *  - MAJOR must be equal on both sides; the host refuses any other major.
 *  - MINOR only grows by appending fields to the end of structs. A host with
 *    minor H accepts a plugin with minor P if P <= H. Every struct that
 *    crosses the boundary starts with `struct_size`; a reader never touches a
 *    field that lies beyond the struct_size the writer set.
 *  - Fields are never reordered, removed or re-typed within a major.
 *
 * ---------------------------------------------------------------------------
 * Ownership
 * ---------------------------------------------------------------------------
 *  - Inputs are borrowed: pointers passed into a plugin function are valid
 *    only until that function returns. Copy what you need to keep.
 *  - Outputs go through host callbacks (sinks) that copy their arguments;
 *    the plugin keeps ownership of everything it passes to a callback.
 *  - Memory is freed only by the side that allocated it. The host never
 *    frees plugin memory and vice versa.
 *  - Strings are (pointer, length) pairs of UTF-8 bytes and need not be
 *    NUL-terminated, except where a comment says "NUL-terminated".
 *
 * ---------------------------------------------------------------------------
 * Threading
 * ---------------------------------------------------------------------------
 *  - The entry point, create() and destroy() are called from one host
 *    control thread at a time (never concurrently with each other).
 *  - classify_batch() and list_labels() may be called concurrently from many
 *    threads on the same instance; they must be thread-safe for a given
 *    instance. They are never called concurrently with destroy() of that
 *    instance, nor after it.
 *  - destroy() is called only after the last classify_batch() call on that
 *    instance has returned. The library is unloaded (dlclose) only after
 *    every instance it created has been destroyed.
 *  - Sinks may only be called from the thread that received them, during
 *    the call that received them.
 *  - A plugin must not start threads that outlive destroy() of its last
 *    instance; the library may be unloaded right after.
 *
 * ---------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------------
 * Functions return a classifyd_status whose values mirror gRPC status codes.
 * A human-readable message goes through the call's error sink. For a batch,
 * a failure of one document is reported with the sink's set_document_error
 * and the function still returns CLASSIFYD_OK; a non-OK return fails every
 * document of the batch.
 */
#ifndef CLASSIFYD_PLUGIN_H_
#define CLASSIFYD_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLASSIFYD_ABI_MAJOR 1
#define CLASSIFYD_ABI_MINOR 0

/* The one symbol a plugin library exports. */
#define CLASSIFYD_PLUGIN_ENTRY_SYMBOL "classifyd_plugin_entry"

#if defined(__GNUC__)
#define CLASSIFYD_EXPORT __attribute__((visibility("default")))
#else
#define CLASSIFYD_EXPORT
#endif

/* Status codes; the values are gRPC's (google.rpc.Code). */
typedef enum classifyd_status {
  CLASSIFYD_OK = 0,
  CLASSIFYD_CANCELLED = 1,
  CLASSIFYD_UNKNOWN = 2,
  CLASSIFYD_INVALID_ARGUMENT = 3,
  CLASSIFYD_DEADLINE_EXCEEDED = 4,
  CLASSIFYD_NOT_FOUND = 5,
  CLASSIFYD_ALREADY_EXISTS = 6,
  CLASSIFYD_PERMISSION_DENIED = 7,
  CLASSIFYD_RESOURCE_EXHAUSTED = 8,
  CLASSIFYD_FAILED_PRECONDITION = 9,
  CLASSIFYD_ABORTED = 10,
  CLASSIFYD_OUT_OF_RANGE = 11,
  CLASSIFYD_UNIMPLEMENTED = 12,
  CLASSIFYD_INTERNAL = 13,
  CLASSIFYD_UNAVAILABLE = 14,
  CLASSIFYD_DATA_LOSS = 15,
  CLASSIFYD_UNAUTHENTICATED = 16
} classifyd_status;

/* Log levels for classifyd_host_api.log. */
typedef enum classifyd_log_level {
  CLASSIFYD_LOG_DEBUG = 0,
  CLASSIFYD_LOG_INFO = 1,
  CLASSIFYD_LOG_WARN = 2,
  CLASSIFYD_LOG_ERROR = 3
} classifyd_log_level;

/* Capability bits in classifyd_plugin_api.capabilities. */
/* The plugin reports evidence (matched terms) with its labels. */
#define CLASSIFYD_CAP_EVIDENCE ((uint64_t)1 << 0)

/* Opaque per-instance state, allocated by create() and freed by destroy(). */
typedef struct classifyd_instance classifyd_instance;

/* A borrowed byte string. */
typedef struct classifyd_string {
  const char* data;
  size_t size;
} classifyd_string;

/* One "key = value" option from the manifest's [options] table; values are
 * rendered as text (numbers and booleans as their TOML spelling). */
typedef struct classifyd_option {
  classifyd_string key;
  classifyd_string value;
} classifyd_option;

/* Services the host offers to the plugin. Borrowed; valid until destroy() of
 * the instance it was passed to returns. Thread-safe. */
typedef struct classifyd_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  void* host_context; /* pass back as the first argument of the functions */
  /* Writes one log line attributed to the instance. */
  void (*log)(void* host_context, classifyd_log_level level,
              const char* message, size_t message_size);
} classifyd_host_api;

/* Receives an error message. The sink copies the message. */
typedef struct classifyd_error_sink {
  void* context;
  void (*set_error)(void* context, const char* message, size_t message_size);
} classifyd_error_sink;

/* Everything create() needs to build an instance. Borrowed for the call. */
typedef struct classifyd_instance_config {
  uint32_t struct_size;
  /* The classifier's name (the manifest's file stem). NUL-terminated. */
  const char* name;
  /* Absolute path of the manifest's `model` file, or NULL when the manifest
   * names none. NUL-terminated. */
  const char* model_path;
  /* The manifest's [options] table. */
  const classifyd_option* options;
  size_t option_count;
  /* Host services; outlives the instance. */
  const classifyd_host_api* host;
} classifyd_instance_config;

/* Per-call knobs the host passes to classify_batch(). Plugins may use them to
 * avoid producing labels the host would drop anyway; the host applies them
 * again after merging, so ignoring them is correct. */
typedef struct classifyd_classify_options {
  uint32_t struct_size;
  /* At most this many labels per document; 0 means the plugin's default. */
  uint32_t top_k;
  /* Drop labels scoring below this. */
  float min_score;
} classifyd_classify_options;

/* One document of a batch. Borrowed for the call. */
typedef struct classifyd_document {
  /* Valid UTF-8 text, not empty. Not NUL-terminated. */
  classifyd_string text;
} classifyd_document;

/* Where classify_batch() writes its results. Borrowed for the call; its
 * functions copy their arguments.
 *
 * The host checks every result before it may reach a client. Per document
 * and call:
 *  - a label is valid UTF-8, 1..64 bytes, and one of the labels the
 *    instance reported through list_labels();
 *  - `score` is finite and in [0, 1];
 *  - at most 256 labels;
 *  - per label at most 128 evidence strings, each valid UTF-8 and at most
 *    1024 bytes; at most 65536 bytes of evidence over all the labels;
 *  - a message (set_document_error, error) is valid UTF-8; only its first
 *    1024 bytes are kept;
 *  - a status code is one of classifyd_status.
 * A result that breaks a rule fails that document alone: the client gets
 * CLASSIFYD_INTERNAL for this classifier's part of it, with a message
 * naming the rule, and the document's other results from the call are
 * dropped. A non-OK return with a message that is not UTF-8, or a status
 * that is none of classifyd_status, fails the batch with
 * CLASSIFYD_INTERNAL likewise. */
typedef struct classifyd_result_sink {
  void* context;
  /* Adds one label to document `document_index` (0-based in the batch).
   * `score` is in [0, 1]. `evidence` lists why the label was given (e.g. the
   * matched terms) and may be empty (count 0, pointer NULL). Returns
   * CLASSIFYD_OK; CLASSIFYD_OUT_OF_RANGE for a bad index (the label is
   * dropped); CLASSIFYD_INVALID_ARGUMENT when the label breaks a rule above
   * (the document now fails); CLASSIFYD_FAILED_PRECONDITION when the
   * document has already failed (the label is dropped). */
  classifyd_status (*add_label)(void* context, size_t document_index,
                                const char* label, size_t label_size,
                                float score, const classifyd_string* evidence,
                                size_t evidence_count);
  /* Marks document `document_index` as failed; its labels are dropped and
   * the client receives `code` and `message` for that document only. */
  void (*set_document_error)(void* context, size_t document_index,
                             classifyd_status code, const char* message,
                             size_t message_size);
  /* Message for a non-OK return of classify_batch(). */
  classifyd_error_sink error;
} classifyd_result_sink;

/* Receives the labels an instance can emit, one call per label. */
typedef struct classifyd_label_sink {
  void* context;
  void (*add)(void* context, const char* label, size_t label_size);
} classifyd_label_sink;

/* The table a plugin's entry point returns. Static in the plugin, so it
 * stays valid while the library is loaded. */
typedef struct classifyd_plugin_api {
  uint32_t struct_size; /* sizeof(classifyd_plugin_api) at build time */
  uint16_t abi_major;   /* CLASSIFYD_ABI_MAJOR the plugin was built with */
  uint16_t abi_minor;   /* CLASSIFYD_ABI_MINOR the plugin was built with */
  const char* name;     /* plugin name, e.g. "fasttext"; NUL-terminated */
  const char* version;  /* plugin version, e.g. "1.2.0"; NUL-terminated */
  uint64_t capabilities; /* CLASSIFYD_CAP_* bits */

  /* Builds an instance. On success stores it in *out and returns OK; on
   * failure returns non-OK, stores nothing, and reports why through `error`.
   * Control thread only. */
  classifyd_status (*create)(const classifyd_instance_config* config,
                             const classifyd_error_sink* error,
                             classifyd_instance** out);

  /* Frees an instance. Control thread only; never concurrent with any other
   * call on the same instance. Must not fail. */
  void (*destroy)(classifyd_instance* instance);

  /* Reports every label the instance can emit: classify_batch() may give
   * no other. Each is valid UTF-8 of 1..64 bytes; at most 4096 distinct
   * labels. The host refuses to load an instance that breaks this.
   * Thread-safe. */
  classifyd_status (*list_labels)(classifyd_instance* instance,
                                  const classifyd_label_sink* sink);

  /* Classifies `document_count` documents (count >= 1). Thread-safe: may run
   * concurrently on the same instance. */
  classifyd_status (*classify_batch)(classifyd_instance* instance,
                                     const classifyd_document* documents,
                                     size_t document_count,
                                     const classifyd_classify_options* options,
                                     const classifyd_result_sink* sink);
} classifyd_plugin_api;

/* The entry point. The host passes its own ABI version so a plugin may
 * refuse (return NULL) or adapt. Returns a pointer to a static table, or
 * NULL if the plugin cannot work with this host. Must not throw. */
typedef const classifyd_plugin_api* (*classifyd_plugin_entry_fn)(
    uint16_t host_abi_major, uint16_t host_abi_minor);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CLASSIFYD_PLUGIN_H_ */
