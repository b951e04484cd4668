/*
 * linuxbench.c - the Linux side of `make bench`: the closest Linux
 * equivalents of sockbench's measurements, run inside the same QEMU machine.
 *
 * Build:  gcc -O2 -static -o linuxbench linuxbench.c
 *
 *   linuxbench all N BYTES     every mode below; N round trips, BYTES per bulk run
 *
 * Each measurement prints one line in sockbench's shape (nanoseconds):
 *   RESULT sys       n= ns= ns_per_call=          getppid(), 10*N calls
 *   RESULT pp-unix   n= ns= ns_per_rt= rt_per_s=  1 byte each way, AF_UNIX stream
 *   RESULT pp-tcp    ...                          TCP on 127.0.0.1, TCP_NODELAY
 *   RESULT pp-pipe   ...                          a pair of pipes
 *   RESULT bulk-unix chunk= bytes= ns= MBps=      one way, CHUNK-sized writes/reads
 *   RESULT bulk-tcp  ...
 *   RESULT conn-unix n= ns= ns_per_cycle= cycles_per_s=   connect/accept/close, N/10
 * Every line ends with what the kernel did per operation, the keys sockbench
 * prints: entries_per_op (the system calls the benchmark's two processes make,
 * counted from the code: ping-pong 4 per round trip, bulk the writes and
 * reads per message, conn 5 per cycle), switches_per_op (context switches of
 * the whole machine over the timed part, from the ctxt line of /proc/stat)
 * and cr3_per_op (taken as the switches: each one between the two processes
 * loads the other's page tables).
 * Ping-pong: max(N/10, 100) untimed round trips first. Bulk: the clock starts
 * when the receiver sends a 1-byte "go" and stops at the last byte; MB/s is
 * 10^6 bytes per second. Set-up (socket, bind, listen, fork) is not timed.
 * Clock: clock_gettime(CLOCK_MONOTONIC).
 * There is no TCP connection benchmark: in this machine a loopback TCP
 * connect/accept/close cycle waits on kernel timers (about 25 ms each), which
 * measures timer policy rather than set-up cost.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UNIX_PATH "/tmp/linuxbench.sock"

static void die(const char *what)
{
    fprintf(stderr, "linuxbench: %s: %s\n", what, strerror(errno));
    exit(2);
}

static long long now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        die("clock_gettime");
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Context switches of the whole machine since boot (/proc/stat). */
static long long ctxt(void)
{
    char line[256];
    long long n = -1;
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "ctxt %lld", &n) == 1)
            break;
    fclose(f);
    return n;
}

/* The per-operation costs that end every RESULT line. */
static void costs(double entries_per_op, long long switches, double ops)
{
    double per = switches >= 0 ? (double)switches / ops : 0.0;
    printf(" entries_per_op=%.2f switches_per_op=%.2f cr3_per_op=%.2f\n", entries_per_op, per, per);
    fflush(stdout);
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die("write");
        p += r;
        n -= (size_t)r;
    }
}

/* 1 when n bytes were read, 0 on end of file first. */
static int read_all(int fd, char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die("read");
        if (r == 0)
            return 0;
        p += r;
        n -= (size_t)r;
    }
    return 1;
}

/* A listening socket; fills the address to connect to. */
static int listener(int tcp, struct sockaddr_storage *addr, socklen_t *len)
{
    int one = 1, fd = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket");
    memset(addr, 0, sizeof *addr);
    if (tcp) {
        struct sockaddr_in *in = (struct sockaddr_in *)addr;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *len = sizeof *in;
    } else {
        struct sockaddr_un *un = (struct sockaddr_un *)addr;
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, UNIX_PATH);
        unlink(UNIX_PATH);
        *len = sizeof *un;
    }
    if (bind(fd, (struct sockaddr *)addr, *len) != 0)
        die("bind");
    if (tcp && getsockname(fd, (struct sockaddr *)addr, len) != 0)
        die("getsockname");
    if (listen(fd, 16) != 0)
        die("listen");
    return fd;
}

static int dial(int tcp, struct sockaddr_storage *addr, socklen_t len)
{
    int one = 1, fd = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket");
    if (connect(fd, (struct sockaddr *)addr, len) != 0)
        die("connect");
    if (tcp)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void reap(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) < 0)
        die("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "linuxbench: child failed (status 0x%x)\n", st);
        exit(3);
    }
}

/* Forks a child that accepts one connection and runs serve(fd, a, b);
 * returns the parent's connected socket and the child's pid. */
static int pair(int tcp, void (*serve)(int, long, long), long a, long b, pid_t *pid)
{
    struct sockaddr_storage addr;
    socklen_t len;
    int one = 1, lfd = listener(tcp, &addr, &len);
    *pid = fork();
    if (*pid < 0)
        die("fork");
    if (*pid == 0) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            die("accept");
        if (tcp)
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        close(lfd);
        serve(fd, a, b);
        close(fd);
        _exit(0);
    }
    int fd = dial(tcp, &addr, len);
    close(lfd);
    if (!tcp)
        unlink(UNIX_PATH);
    return fd;
}

static void report_rt(const char *name, long n, long long ns, long long switches)
{
    printf("RESULT %s n=%ld ns=%lld ns_per_rt=%.1f rt_per_s=%.1f", name, n, ns,
           (double)ns / (double)n, (double)n * 1e9 / (double)ns);
    /* Each round trip: a write and a read on each side. */
    costs(4.0, switches, (double)n);
}

/* ---------- ping-pong ---------- */

static void echo(int rfd, int wfd)
{
    char b;
    while (read_all(rfd, &b, 1))
        write_all(wfd, &b, 1);
}

static void echo_server(int fd, long a, long b)
{
    (void)a;
    (void)b;
    echo(fd, fd);
}

/* Round trips; returns their ns and sets *switches to the context switches
 * of the timed ones. */
static long long ping_pong(int rfd, int wfd, long n, long long *switches)
{
    char b = 'p';
    long warm = n / 10 < 100 ? 100 : n / 10;
    long long t0 = 0, c0 = 0;
    for (long i = -warm; i < n; i++) {
        if (i == 0) {
            c0 = ctxt();
            t0 = now_ns();
        }
        write_all(wfd, &b, 1);
        if (!read_all(rfd, &b, 1)) {
            fprintf(stderr, "linuxbench: unexpected end of file\n");
            exit(3);
        }
    }
    long long ns = now_ns() - t0;
    *switches = ctxt() - c0;
    return ns;
}

static void mode_pp_sock(int tcp, long n)
{
    pid_t pid;
    int fd = pair(tcp, echo_server, 0, 0, &pid);
    long long switches;
    long long ns = ping_pong(fd, fd, n, &switches);
    close(fd);
    reap(pid);
    report_rt(tcp ? "pp-tcp" : "pp-unix", n, ns, switches);
}

static void mode_pp_pipe(long n)
{
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0)
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        echo(down[0], up[1]);
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    long long switches;
    long long ns = ping_pong(up[0], down[1], n, &switches);
    close(down[1]);
    close(up[0]);
    reap(pid);
    report_rt("pp-pipe", n, ns, switches);
}

/* ---------- bulk ---------- */

static void bulk_sender(int fd, long total, long chunk)
{
    char *buf = malloc((size_t)chunk), go;
    if (!buf)
        die("malloc");
    memset(buf, 0x5a, (size_t)chunk);
    if (!read_all(fd, &go, 1))
        _exit(4);
    for (long left = total; left > 0; left -= chunk)
        write_all(fd, buf, (size_t)(left < chunk ? left : chunk));
    shutdown(fd, SHUT_WR);
    while (read(fd, &go, 1) > 0) /* until the receiver closes */
        ;
    free(buf);
}

static void mode_bulk(int tcp, long total, long chunk)
{
    pid_t pid;
    char *buf = malloc((size_t)chunk), go = 'g';
    if (!buf)
        die("malloc");
    int fd = pair(tcp, bulk_sender, total, chunk, &pid);
    long got = 0, reads = 0;
    long long c0 = ctxt(), t0 = now_ns();
    write_all(fd, &go, 1);
    while (got < total) {
        ssize_t r = read(fd, buf, (size_t)chunk);
        reads++;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die("read");
        if (r == 0)
            break;
        got += r;
    }
    long long ns = now_ns() - t0, switches = ctxt() - c0;
    close(fd);
    reap(pid);
    free(buf);
    if (got != total) {
        fprintf(stderr, "linuxbench: short transfer %ld/%ld\n", got, total);
        exit(3);
    }
    printf("RESULT %s chunk=%ld bytes=%ld ns=%lld MBps=%.2f", tcp ? "bulk-tcp" : "bulk-unix",
           chunk, total, ns, (double)total * 1e3 / (double)ns);
    /* Per message: the sender's write (a blocking write sends it whole) and
     * the receiver's reads. */
    double messages = (double)((total + chunk - 1) / chunk);
    costs(1.0 + (double)reads / messages, switches, messages);
}

/* ---------- connection set-up ---------- */

static void mode_conn(int tcp, long n)
{
    struct sockaddr_storage addr;
    socklen_t len;
    int lfd = listener(tcp, &addr, &len);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        for (long i = 0; i < n; i++) {
            int fd = accept(lfd, NULL, NULL);
            if (fd < 0)
                die("accept");
            close(fd);
        }
        _exit(0);
    }
    long long c0 = ctxt(), t0 = now_ns();
    for (long i = 0; i < n; i++)
        close(dial(tcp, &addr, len));
    long long ns = now_ns() - t0, switches = ctxt() - c0;
    reap(pid);
    close(lfd);
    if (!tcp)
        unlink(UNIX_PATH);
    printf("RESULT %s n=%ld ns=%lld ns_per_cycle=%.1f cycles_per_s=%.1f", tcp ? "conn-tcp" : "conn-unix",
           n, ns, (double)ns / (double)n, (double)n * 1e9 / (double)ns);
    /* Per cycle: socket, connect and close here; accept and close there. */
    costs(5.0, switches, (double)n);
}

/* ---------- null syscall ---------- */

static void mode_sys(long n)
{
    long long c0 = ctxt(), t0 = now_ns();
    for (long i = 0; i < n; i++)
        syscall(SYS_getppid);
    long long ns = now_ns() - t0, switches = ctxt() - c0;
    printf("RESULT sys call=getppid n=%ld ns=%lld ns_per_call=%.1f", n, ns, (double)ns / (double)n);
    costs(1.0, switches, (double)n);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc != 4 || strcmp(argv[1], "all") != 0) {
        fprintf(stderr, "usage: %s all ROUND_TRIPS BULK_BYTES\n", argv[0]);
        return 1;
    }
    long n = strtol(argv[2], NULL, 0), bytes = strtol(argv[3], NULL, 0);
    if (n <= 0 || bytes <= 0) {
        fprintf(stderr, "linuxbench: counts must be positive\n");
        return 1;
    }
    mode_sys(n * 10);
    mode_pp_sock(0, n);
    mode_pp_sock(1, n);
    mode_pp_pipe(n);
    mode_bulk(0, bytes, 4096);
    mode_bulk(0, bytes, 65536);
    mode_bulk(1, bytes, 4096);
    mode_bulk(1, bytes, 65536);
    mode_conn(0, n / 10 > 0 ? n / 10 : 1);
    return 0;
}
