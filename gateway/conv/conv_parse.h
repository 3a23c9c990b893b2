/* gateway/conv/conv_parse.h - what a short typed message means inside a
 * conversation, independent of the understanding's label: navigation
 * ("tiếp", "bước 3", "quay lai"), answers to a pre-check question ("có",
 * "chua co", "ko biet"), follow-up aspects ("lệ phí bao nhiêu") and a
 * statement of where the citizen lives ("tôi ở phường X"), and the words
 * left to name a topic once aspect phrases are taken out. The understanding
 * is trained on procedures, so "quay lai" may come back as a confident
 * driving-licence match; the conversation asks these functions first
 * whenever a flow is active.
 *
 * Commands and places are read from folded text: lower-case ASCII words
 * separated by single spaces, as fold_words_text() or the understanding's
 * folded view writes it ("," tokens are clause boundaries and are ignored
 * here). Words are split by fold_words_split().
 * Pure functions over static const tables; thread safe. */
#ifndef MOTCUA_GATEWAY_CONV_PARSE_H
#define MOTCUA_GATEWAY_CONV_PARSE_H

#include <stdbool.h>
#include <stddef.h>

struct intent_result;

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
    CONV_CMD_UNKNOWN,   /* "không rõ", "ko biet", "bỏ qua" */
    CONV_CMD_MORE /* "còn nữa không", "hết chưa", "thêm gì nữa": more of the last list */
};

/* Parses folded text as one whole command (polite particles such as "ạ",
 * "nhé", "ad", "nữa" and a leading "tôi"/"em"/"mình" are ignored). Sets *n
 * for CONV_CMD_STEP and CONV_CMD_NUMBER (1..CONV_PARSE_STEP_MAX). Returns
 * CONV_CMD_NONE for anything longer than CONV_PARSE_CMD_WORDS_MAX words. */
enum conv_cmd conv_parse_command(const char *folded, unsigned *n);

/* True when folded text corrects the previous turn's subject: it starts with
 * "nhầm", "à nhầm", "không phải", "ý tôi/em/mình là" ("không phải, ý em là
 * khai báo tạm vắng"): the aspects asked last move to the procedure named now. */
bool conv_parse_correction(const char *folded);

/* True when folded text is about a dossier already submitted ("tra cứu", "mã
 * hồ sơ", "đến đâu rồi", "đã nộp"): the meta intent tra-cuu-ho-so, not the
 * documents of the procedure in context. */
bool conv_parse_lookup(const char *folded);

/* The follow-up aspects to answer, from the aspects understanding found
 * (struct intent_result.aspects: data/lexicon/rules.tsv @aspect rules are the
 * one vocabulary; no word list here). Steps is kept only when nothing else
 * is asked, where is dropped when a form is asked for ("mẫu tờ khai ở đâu"
 * asks for the form). Condition stays with the others: it is answered only
 * from a guide FAQ that fits the question, and adds nothing otherwise. */
unsigned conv_parse_aspects(unsigned asked);

/* Writes to out (cap bytes, NUL included) the words of u's folded view that
 * name a topic: what is left when its aspect phrases (u->aspect_spans),
 * stop words (fold_words_is_stop()) and polite particles are taken out.
 * "giấy tờ nhà đất" -> "nha dat"; "lệ phí bao nhiêu" -> ""; "lệ phí làm hộ
 * chiếu" -> "ho chieu" (the stop word "ho" is kept before "chieu", "khau",
 * "tich", "kinh", "ngheo"). The conversation uses it to tell a follow-up question ("ai
 * được nộp thay") from a new subject. Returns the number of words written. */
size_t conv_parse_topic(const struct intent_result *u, char *out, size_t cap);

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
