/* xv6's user library, with the declarations of xv6 itself, and the five
 * socket calls. What each does here is in docs/c-programs.md: the calls
 * that need a file system, pipes or exec link but return -1. */
#ifndef XV6_USER_H
#define XV6_USER_H

#include "types.h"

struct stat;
struct rtcdate;

/* system calls */
int fork(void);
int exit(void) __attribute__((noreturn));
int wait(void);
int pipe(int*);
int write(int, const void*, int);
int read(int, void*, int);
int close(int);
int kill(int);
int exec(char*, char**);
int open(const char*, int);
int mknod(const char*, short, short);
int unlink(const char*);
int fstat(int fd, struct stat*);
int link(const char*, const char*);
int mkdir(const char*);
int chdir(const char*);
int dup(int);
int getpid(void);
char* sbrk(int);
int sleep(int);
int uptime(void);

/* socket calls: 0 (connect: the local port) or a code of signalcodes.h */
int listen(int);
int connect(int, const char* host);
int send(int, const char*, int);
int recv(int, char*, int);
int disconnect(int);

/* library */
int stat(const char*, struct stat*);
char* strcpy(char*, const char*);
void *memmove(void*, const void*, int);
char* strchr(const char*, char c);
int strcmp(const char*, const char*);
void printf(int, const char*, ...);
char* gets(char*, int max);
uint strlen(const char*);
void* memset(void*, int, uint);
void* malloc(uint);
void free(void*);
int atoi(const char*);

#endif
