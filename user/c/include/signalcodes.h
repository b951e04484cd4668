/* The codes of the socket calls (listen, connect, send, recv, disconnect),
 * the same numbers libsock and netd use; and the program helpers of the
 * xv6 socket assignment. */
#ifndef XV6_SIGNALCODES_H
#define XV6_SIGNALCODES_H

#ifndef NULL
#define NULL 0
#endif
#define EXIT_SUCCESS 0
#define E_MISSING_ARG -1

#define E_NOTFOUND -1025
#define E_ACCESS_DENIED -1026
#define E_WRONG_STATE -1027
#define E_FAIL -1028
#define E_INVALID_ARG -1029
#define E_CONNECTION_RESET_BY_REMOTE -1030

#endif
