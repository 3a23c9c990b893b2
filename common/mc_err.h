/* common/mc_err.h - the one error convention every module shares.
 * Actions return 0 or a negative errno; where a person must read the reason
 * (configuration, motcua import, request validation) the callee also fills a
 * struct mc_err as "file:field: problem". */
#ifndef MOTCUA_COMMON_MC_ERR_H
#define MOTCUA_COMMON_MC_ERR_H

#define MC_ERR_LEN 160 /* bytes; one line a person reads, as jansson's json_error_t */

#if defined(__GNUC__)
#define MC_MUST_CHECK __attribute__((warn_unused_result))
#define MC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define MC_MUST_CHECK
#define MC_PRINTF(f, a)
#endif

struct mc_err {
    char text[MC_ERR_LEN]; /* NUL-terminated; "" when no error was set */
};

/* Formats the message into err (truncated to MC_ERR_LEN - 1 bytes at a UTF-8
 * boundary). err may be NULL, then nothing happens. */
void mc_err_set(struct mc_err *err, const char *fmt, ...) MC_PRINTF(2, 3);

/* Clears err (err may be NULL). */
void mc_err_clear(struct mc_err *err);

#endif
