/* gateway/officer/officer_cli.h - `motcua officer ...`: add, list, change the
 * password of and disable officer accounts in the state database
 * (data.state_db, from --config FILE and MOTCUA_* like `serve`). Passwords
 * are read from stdin, one line, and never echoed or logged. */
#ifndef MOTCUA_GATEWAY_OFFICER_CLI_H
#define MOTCUA_GATEWAY_OFFICER_CLI_H

/* Runs the subcommand in argv[0..argc) (after "officer"), with environment
 * envp. Returns the exit status: 0 done, 1 runtime failure (the database),
 * 2 bad usage or input (a message on stderr names the problem). */
int officer_cli(int argc, char **argv, char *const *envp);

#endif
