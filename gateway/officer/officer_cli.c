/* gateway/officer/officer_cli.c - see officer_cli.h. Every change also writes
 * an audit row (action officer_add / officer_passwd / officer_disable, detail
 * "cli"), committed with it. */
#include "officer_cli.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "officer.h"
#include "paths.h"
#include "store.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

static void usage(FILE *out)
{
    fprintf(out,
            "usage: motcua officer add USERNAME --name \"Họ tên\" --role officer|admin "
            "[--unit WARD_CODE] [--config FILE]\n"
            "       motcua officer list [--config FILE]\n"
            "       motcua officer passwd USERNAME [--config FILE]\n"
            "       motcua officer disable USERNAME [--config FILE]\n\n"
            "Manages the accounts of the commune's officers in the state database\n"
            "(data.state_db, or PostgreSQL's with data.state_url: docs/scaling.md).\n"
            "add and passwd read the password from stdin, one line,\n"
            "at least %d characters. USERNAME: lowercase letters, digits, '.', '_', '-'.\n"
            "disable and passwd end the account's open sessions. Exit codes: 0 ok,\n"
            "1 failure, 2 bad usage or input.\n",
            OFFICER_PASSWORD_MIN);
}

/* Reads one line of stdin into pw (newline stripped). Returns its length, or
 * -1 with a message printed. */
static long read_password(char *pw, size_t cap)
{
    size_t len;

    if (!fgets(pw, (int)cap, stdin)) {
        fprintf(stderr, "motcua officer: no password on stdin (one line)\n");
        return -1;
    }
    len = strlen(pw);
    if (len && pw[len - 1] == '\n')
        pw[--len] = '\0';
    else if (!feof(stdin)) {
        fprintf(stderr, "motcua officer: password: longer than %d bytes\n", OFFICER_PASSWORD_MAX);
        return -1;
    }
    if (len && pw[len - 1] == '\r')
        pw[--len] = '\0';
    return (long)len;
}

/* Reads, checks and hashes the password from stdin into hash. Returns 0, or
 * an exit status. */
static int password_from_stdin(char hash[OFFICER_HASH_MAX])
{
    char pw[OFFICER_PASSWORD_MAX + 2];
    struct mc_err err = {{0}};
    long len = read_password(pw, sizeof(pw));
    int rc = EXIT_USAGE;

    if (len < 0)
        goto out;
    if (officer_check_password(pw, (size_t)len, &err)) {
        fprintf(stderr, "motcua officer: %s\n", err.text);
        goto out;
    }
    if (officer_hash_password(pw, (size_t)len, hash)) {
        fprintf(stderr, "motcua officer: hashing the password failed (OpenSSL)\n");
        rc = EXIT_FAIL;
        goto out;
    }
    rc = 0;
out:
    OPENSSL_cleanse(pw, sizeof(pw));
    return rc;
}

static int print_officer(void *ctx, const struct store_officer *o)
{
    char day[16];
    time_t t = (time_t)o->created;
    struct tm tm;

    (void)ctx;
    if (!gmtime_r(&t, &tm) || !strftime(day, sizeof(day), "%Y-%m-%d", &tm))
        snprintf(day, sizeof(day), "?");
    printf("%s\t%s\t%s\t%s\t%s\t%s\n", o->username, o->role, o->unit[0] ? o->unit : "-",
           o->disabled ? "disabled" : "active", day, o->name);
    return 0;
}

/* Copies s into dst (cap bytes); false, with a message, when it does not fit. */
static bool copy_arg(char *dst, size_t cap, const char *s, const char *what)
{
    if (strlen(s) >= cap) {
        fprintf(stderr, "motcua officer: %s: longer than %zu bytes\n", what, cap - 1);
        return false;
    }
    memcpy(dst, s, strlen(s) + 1);
    return true;
}

int officer_cli(int argc, char **argv, char *const *envp)
{
    struct mc_config cfg;
    struct mc_err err = {{0}};
    struct store_officer o;
    struct store *st = NULL;
    const char *cmd, *user = NULL, *config = NULL, *name = NULL, *role = NULL, *unit = "";
    char hash[OFFICER_HASH_MAX];
    int i, rc = EXIT_USAGE;
    bool need_user;

    memset(&o, 0, sizeof(o));
    for (i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    if (argc < 1) {
        fprintf(stderr, "motcua officer: missing subcommand (add, list, passwd, disable)\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    cmd = argv[0];
    if (strcmp(cmd, "add") && strcmp(cmd, "list") && strcmp(cmd, "passwd") &&
        strcmp(cmd, "disable")) {
        fprintf(stderr, "motcua officer: unknown subcommand \"%s\" (add, list, passwd, disable)\n",
                cmd);
        return EXIT_USAGE;
    }
    need_user = strcmp(cmd, "list") != 0;
    for (i = 1; i < argc; i++) {
        bool has_value = i + 1 < argc;

        if (strcmp(argv[i], "--config") == 0 && has_value)
            config = argv[++i];
        else if (strcmp(argv[i], "--name") == 0 && has_value && !strcmp(cmd, "add"))
            name = argv[++i];
        else if (strcmp(argv[i], "--role") == 0 && has_value && !strcmp(cmd, "add"))
            role = argv[++i];
        else if (strcmp(argv[i], "--unit") == 0 && has_value && !strcmp(cmd, "add"))
            unit = argv[++i];
        else if (need_user && !user && argv[i][0] != '-')
            user = argv[i];
        else {
            fprintf(stderr, "motcua officer %s: unexpected argument \"%s\" (see --help)\n", cmd,
                    argv[i]);
            return EXIT_USAGE;
        }
    }
    if (need_user && !user) {
        fprintf(stderr, "motcua officer %s: missing USERNAME\n", cmd);
        return EXIT_USAGE;
    }
    if (need_user && !officer_is_username_valid(user)) {
        fprintf(stderr,
                "motcua officer %s: USERNAME \"%s\": use 1-%d lowercase letters, digits, '.', "
                "'_', '-'\n",
                cmd, user, OFFICER_USERNAME_MAX - 1);
        return EXIT_USAGE;
    }
    if (!strcmp(cmd, "add")) {
        if (!name || !name[0]) {
            fprintf(stderr, "motcua officer add: missing --name \"Họ tên\"\n");
            return EXIT_USAGE;
        }
        if (!officer_is_role_valid(role)) {
            fprintf(stderr, "motcua officer add: --role must be officer or admin\n");
            return EXIT_USAGE;
        }
        if (!copy_arg(o.username, sizeof(o.username), user, "USERNAME") ||
            !copy_arg(o.name, sizeof(o.name), name, "--name") ||
            !copy_arg(o.role, sizeof(o.role), role, "--role") ||
            !copy_arg(o.unit, sizeof(o.unit), unit, "--unit"))
            return EXIT_USAGE;
    }
    if (cfg_load(&cfg, config, envp, &err)) {
        fprintf(stderr, "motcua officer: %s\n", err.text);
        return EXIT_USAGE;
    }
    paths_resolve(&cfg, NULL, NULL); /* the server's state database, from any folder */
    if (!strcmp(cmd, "add") || !strcmp(cmd, "passwd")) {
        rc = password_from_stdin(hash);
        if (rc)
            return rc;
    }
    /* the officer functions exist on both back-ends: no store_require_complete() here */
    st = store_open(cfg_state_store(&cfg), &err);
    if (!st) {
        fprintf(stderr, "motcua officer: %s\n", err.text);
        return EXIT_FAIL;
    }
    if (!strcmp(cmd, "list")) {
        rc = store_officer_list(st, print_officer, NULL) ? EXIT_FAIL : 0;
        goto out;
    }
    if (!strcmp(cmd, "add")) {
        memcpy(o.hash, hash, sizeof(o.hash));
        o.created = (int64_t)time(NULL);
        rc = store_officer_add(st, &o);
    } else if (!strcmp(cmd, "passwd")) {
        rc = store_officer_set_hash(st, user, hash);
    } else {
        rc = store_officer_disable(st, user);
    }
    if (rc == -EEXIST || rc == -ENOENT) {
        fprintf(stderr, "motcua officer %s: %s \"%s\"\n", cmd,
                rc == -EEXIST ? "there is already an officer" : "no officer", user);
        rc = store_commit(st) ? EXIT_FAIL : EXIT_USAGE; /* nothing was written: ends the batch */
        goto out;
    }
    if (!rc) {
        char action[32];

        snprintf(action, sizeof(action), "officer_%s", cmd);
        rc = store_audit_add(st, (int64_t)time(NULL), user, action, NULL, NULL, "cli");
    }
    if (rc || store_commit(st)) {
        fprintf(stderr, "motcua officer %s: the state database failed\n", cmd);
        rc = EXIT_FAIL;
        goto out;
    }
    printf("officer %s: %s\n", cmd, user);
    rc = 0;
out:
    OPENSSL_cleanse(hash, sizeof(hash));
    store_free(st);
    return rc;
}
