/* gateway/conv_parse.h - what a short typed message means inside a
 * conversation, independent of the understanding's label: navigation
 * ("tiếp", "bước 3", "quay lai"), answers to a pre-check question ("có",
 * "chua co", "ko biet"), follow-up aspects ("lệ phí bao nhiêu") and a
 * statement of where the citizen lives ("tôi ở phường X"). The understanding
 * is trained on procedures, so "quay lai" may come back as a confident
 * driving-licence match; the conversation asks these functions first
 * whenever a flow is active.
 *
 * Every function takes folded text: lower-case ASCII words separated by
 * single spaces, as conv_text_fold() or the understanding's folded view
 * writes it ("," tokens are clause boundaries and are ignored here).
 * Pure functions over static const tables; thread safe. */
#ifndef MOTCUA_GATEWAY_CONV_PARSE_H
#define MOTCUA_GATEWAY_CONV_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define CONV_PARSE_CMD_WORDS_MAX                                                                   \
    8 /* words a command may have (after particles); longer is a sentence */
#define CONV_PARSE_STEP_MAX 99 /* highest step number "bước N" accepts */

enum conv_cmd {
    CONV_CMD_NONE,      /* not a command: let understanding decide */
    CONV_CMD_NEXT,      /* "tiếp", "bước tiếp", "tiep theo" */
    CONV_CMD_PREV,      /* "quay lại", "lùi", "bước trước" */
    CONV_CMD_ALL,       /* "xem tất cả" */
    CONV_CMD_STEP,      /* "bước 3", "buoc so ba": *n is the step */
    CONV_CMD_NUMBER,    /* a bare number "3": *n; a step only while stepping */
    CONV_CMD_RESTART,   /* "làm lại từ đầu" */
    CONV_CMD_CANCEL,    /* "hủy", "thôi", "dừng lại" */
    CONV_CMD_CHECKLIST, /* "xem lại danh sách" */
    CONV_CMD_CHECK,     /* "kiểm tra hồ sơ" */
    CONV_CMD_STEPS,     /* "các bước thực hiện" (a button title typed back) */
    CONV_CMD_DOCS,      /* "giấy tờ cần chuẩn bị" */
    CONV_CMD_YES,       /* "có", "co roi", "dạ", "vâng" */
    CONV_CMD_NO,        /* "chưa", "chua co", "không" */
    CONV_CMD_UNKNOWN    /* "không rõ", "ko biet", "bỏ qua" */
};

/* Parses folded text as one whole command (polite particles such as "ạ",
 * "nhé", "ad", "nữa" and a leading "tôi"/"em"/"mình" are ignored). Sets *n
 * for CONV_CMD_STEP and CONV_CMD_NUMBER (1..CONV_PARSE_STEP_MAX). Returns
 * CONV_CMD_NONE for anything longer than CONV_PARSE_CMD_WORDS_MAX words. */
enum conv_cmd conv_parse_command(const char *folded, unsigned *n);

/* The follow-up aspects asked in folded text, as enum intent_aspect bits
 * (intents/intent.h): fee, time, documents, where, online, who, form, steps,
 * hours, condition, result. Steps is reported only when nothing more
 * specific is, where is dropped when a form is asked for ("mẫu tờ khai ở
 * đâu" asks for the form), condition only when alone. */
unsigned conv_parse_aspects(const char *folded);

/* Writes to out (cap bytes, NUL included) the words of folded text that
 * name a topic: what is left when aspect phrases ("lệ phí", "ở đâu"), polite
 * particles and common function words are taken out. "giay to nha dat" ->
 * "nha dat"; "le phi bao nhieu" -> "". The conversation uses it to tell a
 * follow-up question ("ai được nộp thay") from a new subject. Returns the
 * number of words written. */
size_t conv_parse_topic(const char *folded, char *out, size_t cap);

/* Finds where folded text says which commune/ward the citizen lives in:
 * a unit word ("phuong", "xa", "thi tran", "dac khu") at the start, or after
 * "o"/"tai"/"thuoc"/"chi"/"tu" ("tôi ở phường X", "địa chỉ: xã Y"), followed by
 * at least one word of a name. On success sets *start to the byte offset of
 * the unit word, *len to the bytes up to the end of that clause (the next ","
 * token or the end), *sure to whether it is plainly a statement of residence
 * (the message starts with it, or "tôi/em/mình/nhà ... ở", "địa chỉ", "sống
 * ở" precede it) rather than a place named in passing ("nộp ở phường được
 * không"), and returns true. */
bool conv_parse_locality(const char *folded, size_t *start, size_t *len, bool *sure);

#endif
