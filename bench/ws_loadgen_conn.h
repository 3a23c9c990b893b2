/* bench/ws_loadgen_conn.h - what ws_loadgen.c (the command line, the two phases, the figures)
 * and ws_loadgen_conn.c (one connection's life: connect, upgrade, hello, the lockstep messages,
 * frames written and read, answers checked) share; private to the load generator, not for the
 * other bench programs. Single-threaded: one struct gen, its connections in an array. */
#ifndef MOTCUA_BENCH_WS_LOADGEN_CONN_H
#define MOTCUA_BENCH_WS_LOADGEN_CONN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_proto.h"
#include "ws_text.h"

enum conn_state { C_IDLE, C_CONNECTING, C_HANDSHAKE, C_HELLO, C_READY, C_BUSY, C_DONE, C_FAILED };
enum mode { MODE_MOTCUA, MODE_ECHO };

struct conn {
    int fd;
    enum conn_state st;
    unsigned idx;          /* connection number, for texts and ids */
    unsigned done;         /* messages answered */
    uint64_t t_sent;       /* ns, when the message in flight was sent */
    char key[32];          /* Sec-WebSocket-Key sent (base64 of 16 bytes) */
    struct ws_buf rx;      /* bytes read, not yet parsed */
    struct ws_buf tx;      /* frame bytes not yet written */
    struct ws_buf frag;    /* a fragmented message being reassembled */
    struct ws_buf last;    /* payload of the frame in flight (echo mode compares) */
    unsigned char frag_op; /* opcode of the fragmented message, 0 when none */
};

struct gen {
    enum mode mode;
    const char *host, *path;
    unsigned port, conns, msgs, window, pid;
    unsigned port2; /* --port2: every second connection goes there (two nodes, one load) */
    double timeout_s, duration_s, settle_s;
    bool idle;
    struct sockaddr_in addr, addr2;
    int ep;
    struct conn *c;
    struct ws_texts texts; /* what the connections send, in turn */
    uint64_t *lat;
    size_t nlat, lat_cap;
    unsigned next_connect, in_setup, ready, finished, failed;
    uint64_t errors, err_connect, err_handshake, err_protocol, err_answer, err_closed;
    uint64_t t0, t_measure, t_end, deadline, stop_sending_at;
    bool measuring;
    uint64_t rng;
};

/* Now on the monotonic clock, in ns. */
uint64_t loadgen_now_ns(void);

/* Opens connection c (non-blocking connect, added to g->ep; counted in g->in_setup); a
 * failure is counted by loadgen_conn_fail(). */
void loadgen_conn_start(struct gen *g, struct conn *c);

/* What epoll reported on c: the connect's end, the handshake, frames read and answered; moves c
 * through its states and fails it (loadgen_conn_fail) on any error. */
void loadgen_on_event(struct gen *g, struct conn *c, uint32_t events);

/* Sends c's next message (c->st becomes C_BUSY, c->t_sent now). Returns 0, or a negative errno
 * (the caller fails c). */
int loadgen_send_message(struct gen *g, struct conn *c);

/* Fails c once: counted in *counter and g->errors (its message in flight too), closed, its
 * buffers freed; why printed for the first three failures. Nothing for a c already over. */
void loadgen_conn_fail(struct gen *g, struct conn *c, uint64_t *counter, const char *why);

/* c is done (all its messages answered, or sending has stopped). */
void loadgen_conn_finish(struct gen *g, struct conn *c);

/* Queues one masked client frame (FIN set) with the given opcode and payload in c->tx. Returns
 * 0 or -E2BIG. */
int loadgen_frame_queue(struct gen *g, struct conn *c, unsigned op, const unsigned char *p,
                        size_t len);

#endif
