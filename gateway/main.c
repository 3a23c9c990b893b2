/* gateway/main.c - the one binary, build/motcua, and its subcommands.
 * Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad input,
 * 3 an eval gate failed (motcua eval --min-*). */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "conv.h"
#include "gw.h"
#include "intent.h"
#include "kb.h"
#include "kb_portal.h"
#include "kb_import.h"
#include "leak.h"
#include "master.h"
#include "mc_log.h"
#include "mc_utf8.h"
#include "officer_cli.h"
#include "paths.h"

#define EXIT_USAGE 2
#define EXIT_GATE 3 /* motcua eval: a --min-* gate failed (the figure is below the target) */
#define ASK_LINE_MAX (INTENT_MAX_INPUT + 2) /* bytes of one --batch line incl. newline */

extern char **environ;

/* The one mutable static the style allows: set by the signal handler. */
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    stop_flag |= sig == SIGHUP ? GW_SIGNAL_RELOAD : GW_SIGNAL_STOP;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: motcua COMMAND [OPTIONS]\n\n"
                 "commands:\n"
                 "  serve [--config FILE]         run the gateway (HTTP + WebSocket on one port)\n"
                 "  import DATA_DIR OUT.db        validate data/ and build the knowledge database\n"
                 "  ask [--db FILE] TEXT          show what the bot understands and answers\n"
                 "  ask [--db FILE] --batch       one JSON line per input line (stdin -> stdout)\n"
                 "  eval [--db FILE] [--min-inscope X] [--min-none X] [--min-top3 X]\n"
                 "       [--min-nodiac X] FILE.tsv\n"
                 "                                measure understanding on labelled messages\n"
                 "  verify-report DATA_DIR        list every field marked \"verify\" (Markdown)\n"
                 "  check-leak [--threshold T] DATA_DIR FILE...\n"
                 "                                fail if data/ copies evaluation lines\n"
                 "  officer add|list|passwd|disable ...\n"
                 "                                manage officer accounts (password on stdin)\n\n"
                 "Run `motcua COMMAND --help` for details. Exit codes: 0 ok, 1 failure, 2 bad "
                 "usage or input,\n3 an eval gate failed.\n");
}

static bool wants_help(int argc, char **argv)
{
    int i;

    for (i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

/* One server process: the whole of `serve` with listen.workers 1, or the
 * worker in slot `slot` of master_run(). Returns the exit status. */
static int serve_one(const struct mc_config *cfg, unsigned slot, volatile sig_atomic_t *signals,
                     int ready_fd)
{
    struct mc_err err = {{0}};
    struct gw *gw = gw_new(cfg, &err);

    if (!gw) {
        mc_log(MC_LOG_ERROR, "server.start", "error=\"%s\"", err.text);
        fprintf(stderr, "motcua serve: %s\n", err.text);
        if (ready_fd >= 0)
            close(ready_fd); /* EOF before the ready byte: the master stops */
        /* a setting naming something that does not exist is bad input, not a crash */
        return strncmp(err.text, "locality.default:", sizeof "locality.default:" - 1) == 0
                   ? EXIT_USAGE
                   : 1;
    }
    gw->outbox_sender = slot == 0; /* one worker sends the shared outbox: never a row twice */
    if (ready_fd < 0) /* one process: it is the server (the master announces for workers) */
        paths_announce(cfg, gw->port);
    if (ready_fd >= 0) {
        if (write(ready_fd, "r", 1) != 1)
            mc_log(MC_LOG_WARN, "worker.ready", "error=\"master gone\"");
        close(ready_fd);
    }
    gw_run(gw, signals);
    gw_free(gw);
    return 0;
}

static int cmd_serve(int argc, char **argv)
{
    struct mc_config cfg;
    struct mc_err err = {{0}};
    struct sigaction sa;
    const char *path = NULL;
    unsigned workers;
    int i;

    if (wants_help(argc, argv)) {
        printf(
            "usage: motcua serve [--config FILE]\n\nServes HTTP and WebSocket on one port "
            "until SIGTERM/SIGINT, then closes WebSockets\nwith 1001 and exits 0. SIGHUP (or POST "
            "/admin/reload with the admin token) reloads\nthe knowledge database without "
            "dropping connections.\n\n");
        cfg_print_help(stdout);
        return 0;
    }
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else {
            fprintf(stderr, "motcua serve: unexpected argument \"%s\" (see --help)\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (cfg_load(&cfg, path, environ, &err)) {
        fprintf(stderr, "motcua serve: %s\n", err.text);
        return EXIT_USAGE;
    }
    paths_resolve(&cfg, NULL, NULL); /* started from another folder: files beside the binary */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() must return on a signal */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL); /* reload the knowledge base */
    signal(SIGPIPE, SIG_IGN);
    workers = cfg_workers(&cfg);
    if (workers > 1)
        return master_run(&cfg, workers, &stop_flag, serve_one);
    return serve_one(&cfg, 0, &stop_flag, -1);
}

static int cmd_import(int argc, char **argv)
{
    struct mc_err err = {{0}};
    int rc;

    if (wants_help(argc, argv)) {
        printf("usage: motcua import DATA_DIR OUT.db\n\nValidates every source file of DATA_DIR "
               "(procedures, meta answers, lexicon,\nlocalities) and builds the knowledge "
               "database. Problems are printed as\nfile:field: problem; nothing is written "
               "unless all files are valid (exit 2).\n");
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "motcua import: expected DATA_DIR OUT.db (see --help)\n");
        return EXIT_USAGE;
    }
    rc = kb_import(argv[0], argv[1], stderr, &err);
    if (rc) {
        fprintf(stderr, "motcua import: %s\n", err.text);
        return rc == -EINVAL ? EXIT_USAGE : 1;
    }
    fprintf(stderr, "motcua import: wrote %s\n", argv[1]);
    return 0;
}

/* The knowledge database for CLI commands: --db, else the configuration's
 * data.knowledge_db (MOTCUA_DATA_KNOWLEDGE_DB), else build/motcua.db. */
static struct intent_index *load_index(const char *db, struct kb **kb_out)
{
    struct mc_config cfg;
    struct mc_err err = {{0}};
    struct intent_index *idx;
    struct kb *kb;

    if (!db) {
        if (cfg_load(&cfg, NULL, environ, &err)) {
            fprintf(stderr, "motcua: %s\n", err.text);
            return NULL;
        }
        paths_resolve(&cfg, NULL, NULL);
        db = cfg.data_knowledge_db;
    }
    kb = kb_open(db, &err);
    if (!kb) {
        fprintf(stderr, "motcua: %s\n", err.text);
        return NULL;
    }
    idx = kb_build_index(kb, &err);
    if (!idx) {
        fprintf(stderr, "motcua: %s\n", err.text);
        kb_free(kb);
        return NULL;
    }
    if (kb_out)
        *kb_out = kb;
    else
        kb_free(kb);
    return idx;
}

static int ask_batch(struct intent_index *idx, const struct kb *kb)
{
    char line[ASK_LINE_MAX + 1];
    struct intent_result *r = malloc(sizeof(*r));
    size_t lineno = 0, n;
    int status = 0;

    if (!r)
        return 1;
    while (fgets(line, sizeof(line), stdin)) {
        char *json = NULL;
        int rc;

        lineno++;
        n = strlen(line);
        if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
            int ch;

            while ((ch = getchar()) != EOF && ch != '\n')
                ;
            printf("{\"error\":\"too_long\",\"line\":%zu}\n", lineno);
            fprintf(stderr, "stdin:%zu: longer than %d bytes\n", lineno, INTENT_MAX_INPUT);
            status = EXIT_USAGE;
            continue;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        rc = intent_match(idx, line, n, r);
        if (rc) {
            printf("{\"error\":\"%s\",\"line\":%zu}\n", rc == -E2BIG ? "too_long" : "invalid_utf8",
                   lineno);
            fprintf(stderr, "stdin:%zu: %s\n", lineno,
                    rc == -E2BIG ? "too long" : "not valid UTF-8");
            status = EXIT_USAGE;
            continue;
        }
        if (kb_portal_result_json(kb_portal(kb), kb_referrals(kb), r, &json)) {
            free(r);
            return 1;
        }
        printf("%s\n", json);
        free(json);
    }
    free(r);
    fflush(stdout);
    return status;
}

static int cmd_ask(int argc, char **argv)
{
    const char *db = NULL, *text = NULL;
    struct intent_index *idx;
    struct intent_result *r;
    struct kb *kb = NULL;
    bool batch = false;
    int i, status = 0;

    if (wants_help(argc, argv)) {
        printf("usage: motcua ask [--db FILE] TEXT\n       motcua ask [--db FILE] --batch\n\n"
               "TEXT: prints the understanding as JSON, then the reply the bot would give.\n"
               "--batch: reads UTF-8 lines on stdin and writes one JSON object per line:\n"
               "  {\"label\", \"confidence\", \"candidates\": [...], \"normalized\", ...}\n");
        return 0;
    }
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strcmp(argv[i], "--batch") == 0)
            batch = true;
        else if (!text && argv[i][0] != '-')
            text = argv[i];
        else {
            fprintf(stderr, "motcua ask: unexpected argument \"%s\" (see --help)\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (batch == (text != NULL)) {
        fprintf(stderr, "motcua ask: give either TEXT or --batch (see --help)\n");
        return EXIT_USAGE;
    }
    idx = load_index(db, &kb);
    if (!idx)
        return 1;
    if (batch) {
        status = ask_batch(idx, kb);
        goto out;
    }
    r = malloc(sizeof(*r));
    if (!r) {
        status = 1;
        goto out;
    }
    i = intent_match(idx, text, strlen(text), r);
    if (i) {
        fprintf(stderr, "motcua ask: TEXT is %s\n",
                i == -E2BIG ? "longer than 2048 bytes" : "not valid UTF-8");
        status = EXIT_USAGE;
    } else {
        struct conv_ctx cx = {kb, NULL, idx, false};
        json_t *state = json_object(), *reply = NULL, *m;
        char *json = NULL;
        size_t k;

        if (kb_portal_result_json(kb_portal(kb), kb_referrals(kb), r, &json) == 0)
            printf("%s\n", json);
        free(json);
        if (state && conv_respond(&cx, state, r, NULL, &reply) == 0) {
            json_array_foreach(json_object_get(reply, "messages"), k, m)
                printf("\n%s\n", json_string_value(json_object_get(m, "text")));
            json_array_foreach(json_object_get(reply, "quick_replies"), k, m)
                printf("  [%s]", json_string_value(json_object_get(m, "title")));
            printf("\n");
        }
        json_decref(reply);
        json_decref(state);
    }
    free(r);
out:
    intent_index_free(idx);
    kb_free(kb);
    return status;
}

static bool eval_declines(void *arg, const struct intent_result *r)
{
    return kb_portal_for(arg, r) != NULL;
}

/* The --min-* gates of `motcua eval`: each needs lines of its kind in the file
 * (a gate over no lines would pass vacuously, so that is bad input, exit 2). */
enum eval_gate { GATE_INSCOPE, GATE_NONE, GATE_TOP3, GATE_NODIAC, GATE_COUNT };

static const char *const gate_flag[GATE_COUNT] = {"--min-inscope", "--min-none", "--min-top3",
                                                  "--min-nodiac"};
static const char *const gate_what[GATE_COUNT] = {"in-scope accuracy", "out-of-scope rejection",
                                                  "top-3", "no-diacritics in-scope accuracy"};
static const char *const gate_lines[GATE_COUNT] = {
    "in-scope lines", "\"none\" lines", "in-scope lines", "in-scope lines without diacritics"};

static int cmd_eval(int argc, char **argv)
{
    const char *db = NULL, *file = NULL;
    struct intent_eval_summary sum;
    struct intent_eval_hook hook = {eval_declines, NULL};
    struct kb *kb = NULL;
    struct mc_err err = {{0}};
    struct intent_index *idx;
    double min[GATE_COUNT], got[GATE_COUNT];
    size_t have[GATE_COUNT];
    FILE *f;
    int i, g, rc, status = 0;

    if (wants_help(argc, argv)) {
        printf("usage: motcua eval [--db FILE] [--min-inscope X] [--min-none X] [--min-top3 X]\n"
               "                   [--min-nodiac X] FILE.tsv\n\n"
               "Reads text<TAB>label lines, prints per-label precision/recall, accuracy per\n"
               "style, the clarify share and the worst confusions; the last line is\n"
               "  accuracy=0.000 inscope=0.000 none=0.000 top3=0.000 nodiac=0.000 "
               "clarify=0.000 clarify_right=N/N\n"
               "An in-scope line is right only when the bot answers it (decision \"match\")\n"
               "with its label; \"clarify\" (it asks \"did you mean\") is reported apart.\n\n"
               "Gates (X in 0..1), each checked on the lines it is about:\n"
               "  --min-inscope X  in-scope accuracy          (in-scope lines)\n"
               "  --min-none X     out-of-scope rejection     (\"none\" lines)\n"
               "  --min-top3 X     right label among the top 3 (in-scope lines)\n"
               "  --min-nodiac X   in-scope accuracy on lines typed without diacritics\n"
               "Exit codes: 0 every gate passed, 1 runtime failure, 2 bad usage or input\n"
               "(including a gate whose lines the file does not have), 3 a gate failed.\n");
        return 0;
    }
    for (g = 0; g < GATE_COUNT; g++)
        min[g] = -1;
    for (i = 0; i < argc; i++) {
        for (g = 0; g < GATE_COUNT; g++)
            if (strcmp(argv[i], gate_flag[g]) == 0)
                break;
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db = argv[++i];
        } else if (g < GATE_COUNT && i + 1 < argc) {
            char *end;

            errno = 0;
            min[g] = strtod(argv[++i], &end);
            if (errno || end == argv[i] || *end || !(min[g] >= 0 && min[g] <= 1)) {
                fprintf(stderr, "motcua eval: %s takes a number 0..1\n", gate_flag[g]);
                return EXIT_USAGE;
            }
        } else if (!file && argv[i][0] != '-') {
            file = argv[i];
        } else {
            fprintf(stderr, "motcua eval: unexpected argument \"%s\" (see --help)\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (!file) {
        fprintf(stderr, "motcua eval: FILE.tsv is missing (see --help)\n");
        return EXIT_USAGE;
    }
    f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "motcua eval: %s: %s\n", file, strerror(errno));
        return EXIT_USAGE;
    }
    idx = load_index(db, &kb);
    if (!idx) {
        fclose(f);
        return 1;
    }
    /* a message the bot answers with a known procedure without a guide is
     * not answered with a label: measured as the product answers */
    hook.arg = (void *)(uintptr_t)kb_portal(kb);
    rc = intent_eval_with(idx, &hook, f, file, stdout, &sum, &err);
    fclose(f);
    intent_index_free(idx);
    kb_free(kb);
    if (rc) {
        fprintf(stderr, "motcua eval: %s\n", err.text[0] ? err.text : "failed");
        return rc == -EINVAL ? EXIT_USAGE : 1;
    }
    fflush(stdout);
    have[GATE_INSCOPE] = have[GATE_TOP3] = sum.inscope;
    have[GATE_NONE] = sum.none;
    have[GATE_NODIAC] = sum.unaccented_lines;
    got[GATE_INSCOPE] = sum.inscope_acc;
    got[GATE_NONE] = sum.none_acc;
    got[GATE_TOP3] = sum.top3;
    got[GATE_NODIAC] = sum.unaccented;
    for (g = 0; g < GATE_COUNT; g++)
        if (min[g] >= 0 && have[g] == 0) {
            fprintf(stderr, "motcua eval: %s: no %s, so %s cannot be checked\n", file,
                    gate_lines[g], gate_flag[g]);
            status = EXIT_USAGE;
        }
    if (status)
        return status;
    for (g = 0; g < GATE_COUNT; g++) {
        if (min[g] < 0)
            continue;
        /* the figures are ratios of counts: allow for the rounding of X */
        if (got[g] + 1e-9 < min[g]) {
            fprintf(stderr, "motcua eval: %s: gate %s FAILED: %s %.4f is below %.4f (%zu %s)\n",
                    file, gate_flag[g], gate_what[g], got[g], min[g], have[g], gate_lines[g]);
            status = EXIT_GATE;
        } else {
            fprintf(stderr, "motcua eval: %s: gate %s passed: %s %.4f >= %.4f (%zu %s)\n", file,
                    gate_flag[g], gate_what[g], got[g], min[g], have[g], gate_lines[g]);
        }
    }
    return status;
}

static int cmd_verify_report(int argc, char **argv)
{
    struct mc_err err = {{0}};

    if (wants_help(argc, argv)) {
        printf("usage: motcua verify-report DATA_DIR\n\nWrites a Markdown list of every guide "
               "field marked \"verify\": true.\n");
        return 0;
    }
    if (argc != 1) {
        fprintf(stderr, "motcua verify-report: expected DATA_DIR (see --help)\n");
        return EXIT_USAGE;
    }
    if (kb_verify_report(argv[0], stdout, &err)) {
        fprintf(stderr, "motcua verify-report: %s\n", err.text);
        return EXIT_USAGE;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(argv[1], "import") == 0)
        return cmd_import(argc - 2, argv + 2);
    if (strcmp(argv[1], "ask") == 0)
        return cmd_ask(argc - 2, argv + 2);
    if (strcmp(argv[1], "eval") == 0)
        return cmd_eval(argc - 2, argv + 2);
    if (strcmp(argv[1], "verify-report") == 0)
        return cmd_verify_report(argc - 2, argv + 2);
    if (strcmp(argv[1], "check-leak") == 0)
        return leak_cli(argc - 2, argv + 2);
    if (strcmp(argv[1], "officer") == 0)
        return officer_cli(argc - 2, argv + 2, environ);
    fprintf(stderr, "motcua: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
