/* fuzz/common.h - what every libFuzzer harness in fuzz/ shares: the two entry
 * points libFuzzer calls (declared here so -Wmissing-prototypes holds), the
 * real knowledge base and understanding index built once per process from
 * data/, and NUL-terminated copies of the fuzzer's bytes. See docs/fuzzing.md. */
#ifndef MOTCUA_FUZZ_COMMON_H
#define MOTCUA_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

struct kb;
struct intent_index;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Imports data/ (or $MOTCUA_FUZZ_DATA) into a temporary database, opens it
 * as the server does and, if idx is not NULL, builds the understanding index
 * from it. The temporary files are removed at once (the open handle keeps
 * the database readable). Logs quieted to errors. Exits 1 with a message
 * when the data does not import: a harness without its data would fuzz
 * nothing. Both stay alive for the whole process (reachable: not leaks). */
void fuzz_kb_open(struct kb **kb, struct intent_index **idx);

/* A new NUL-terminated copy of data[0..size) (free()); aborts when out of
 * memory, which in a harness is a finding, not input. */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* Splits s in place at the first n - 1 newlines into fields[0..n); fields
 * past the end of s are NULL. Returns how many fields s had (<= n). */
size_t fuzz_fields(char *s, char **fields, size_t n);

#endif
