/* forktest: fork, wait, kill, getpid and sbrk at work.
 *
 *   forktest loop N   forks N children one after another; each exits at
 *                     once and is collected by wait.
 *   forktest fault    forks a child that dereferences a null pointer; the
 *                     parent collects it and goes on.
 *   forktest basics   the child's memory is a copy, getpid, kill, sbrk.
 *
 * Each check prints "forktest: ok: WHAT" or "forktest: FAILED: WHAT"; the
 * exit status is the number of failures. */
#include "types.h"
#include "user.h"
#include "signalcodes.h"

static int failures;

static void
check(int ok, char *what)
{
  printf(1, "forktest: %s: %s\n", ok ? "ok" : "FAILED", what);
  if(!ok)
    failures++;
}

static void
loop(int n)
{
  int i, pid, reaped = 0;

  for(i = 0; i < n; i++){
    pid = fork();
    if(pid == 0)
      exit();
    if(pid < 0){
      printf(1, "forktest: fork %d failed\n", i);
      break;
    }
    if(wait() == pid)
      reaped++;
  }
  printf(1, "forktest: %d children forked, %d reaped\n", i, reaped);
  check(i == n && reaped == n, "every child was forked and reaped");
  check(wait() == -1, "wait without children returns -1");
}

static void
fault(void)
{
  int pid;

  pid = fork();
  if(pid == 0){
    *(volatile int *)0 = 1;
    printf(1, "forktest: the child survived its fault\n");
    exit();
  }
  check(pid > 0, "fork");
  check(wait() == pid, "wait returns the child that faulted");
  printf(1, "forktest: the parent lives on\n");
}

static int shared = 1;

static void
basics(void)
{
  int pid, me, parent_pid;
  char *heap, *brk;

  me = getpid();
  check(me > 0, "getpid");
  heap = malloc(32);
  strcpy(heap, "parent");
  pid = fork();
  if(pid == 0){
    /* The child's memory is its own copy. */
    shared = 2;
    strcpy(heap, "child");
    printf(1, "forktest: child %d of %d sees %d and %s\n", getpid(), me, shared, heap);
    exit();
  }
  check(pid > 0 && pid != me, "fork returns the child's id");
  check(wait() == pid, "wait returns the child's id");
  check(shared == 1 && strcmp(heap, "parent") == 0, "the child's writes stay in the child");
  printf(1, "forktest: child %d\n", pid);
  free(heap);

  pid = fork();
  if(pid == 0){
    for(;;)
      sleep(100);
  }
  check(kill(pid) == 0, "kill a child");
  check(wait() == pid, "wait returns the killed child");
  parent_pid = 1;
  check(kill(parent_pid) == -1, "kill a task that is not a descendant fails");

  brk = sbrk(0);
  check(sbrk(8192) == brk, "sbrk returns the old break");
  brk[0] = 'a';
  brk[8191] = 'z';
  check(sbrk(0) == brk + 8192, "sbrk moves the break");
  check(sbrk(-8192) == brk + 8192 && sbrk(0) == brk, "sbrk gives memory back");
  check(sbrk(-1) == (char *)-1, "sbrk below its start fails");
}

int
main(int argc, char *argv[])
{
  if(argc == 3 && strcmp(argv[1], "loop") == 0)
    loop(atoi(argv[2]));
  else if(argc == 2 && strcmp(argv[1], "fault") == 0)
    fault();
  else if(argc == 2 && strcmp(argv[1], "basics") == 0)
    basics();
  else {
    printf(1, "usage: forktest loop N | forktest fault | forktest basics\n");
    return 1;
  }
  return failures;
}
