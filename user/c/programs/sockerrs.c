/* sockerrs: every error code of the socket calls, each from a call that
 * must give it. A forked child plays the other side where one is needed.
 * Each check prints "sockerrs: ok: CALL -> CODE" or "sockerrs: FAILED:
 * ..."; the parent ends with "sockerrs: N passed, M failed" and exits with
 * M. */
#include "types.h"
#include "user.h"
#include "signalcodes.h"

#define PORT 700
/* For the bad-buffer checks. */
#define BUFFER_PORT 701
/* Below the first user page: never mapped in any task. */
#define UNMAPPED ((char*)0x1000)
/* The first of 65 ports for the per-task socket limit (64). */
#define MANY_BASE 800
#define PER_TASK_SOCKETS 64

static int passed, failed;

static char*
name(int code)
{
  switch(code){
  case 0: return "0";
  case E_NOTFOUND: return "E_NOTFOUND";
  case E_ACCESS_DENIED: return "E_ACCESS_DENIED";
  case E_WRONG_STATE: return "E_WRONG_STATE";
  case E_FAIL: return "E_FAIL";
  case E_INVALID_ARG: return "E_INVALID_ARG";
  case E_CONNECTION_RESET_BY_REMOTE: return "E_CONNECTION_RESET_BY_REMOTE";
  }
  return "an unexpected value";
}

static void
check(char *call, int got, int wanted)
{
  if(got == wanted){
    printf(1, "sockerrs: ok: %s -> %s\n", call, name(got));
    passed++;
  } else {
    printf(1, "sockerrs: FAILED: %s -> %s (%d), not %s\n", call, name(got), got, name(wanted));
    failed++;
  }
}

/* Connects once something listens on port (for at most two seconds). */
static int
connect_when_listening(int port)
{
  int local, tries;

  for(tries = 0; tries < 200; tries++){
    local = connect(port, "localhost");
    if(local != E_NOTFOUND)
      return local;
    sleep(1);
  }
  return E_NOTFOUND;
}

static void
arguments(void)
{
  char buf[16];

  check("listen(-1)", listen(-1), E_INVALID_ARG);
  check("listen(65536)", listen(65536), E_INVALID_ARG);
  check("connect(PORT, \"example.org\")", connect(PORT, "example.org"), E_INVALID_ARG);
  check("send(-5, ...)", send(-5, "x", 2), E_INVALID_ARG);
  check("recv(PORT, buf, -1)", recv(PORT, buf, -1), E_INVALID_ARG);
  check("connect(PORT) with nobody listening", connect(PORT, "localhost"), E_NOTFOUND);
  check("send(PORT) without a socket", send(PORT, "x", 2), E_NOTFOUND);
  check("recv(PORT) without a socket", recv(PORT, buf, sizeof(buf)), E_NOTFOUND);
  check("disconnect(PORT) without a socket", disconnect(PORT), E_NOTFOUND);
}

/* The child listens on PORT, takes one message and disconnects; the parent
 * meets the listener's rules on the way. */
static void
ownership_and_reset(void)
{
  char buf[16];
  int pid, local, child_of_parent;

  pid = fork();
  if(pid == 0){
    if(listen(PORT) == 0 && recv(PORT, buf, sizeof(buf)) == 0)
      disconnect(PORT);
    exit();
  }
  local = connect_when_listening(PORT);
  check("connect(PORT) to the child", local > 0 ? 0 : local, 0);
  check("connect(PORT) again: the listener is connected", connect(PORT, "localhost"), E_WRONG_STATE);
  check("listen(PORT): the port is taken", listen(PORT), E_ACCESS_DENIED);
  check("send(PORT): the child's socket", send(PORT, "x", 2), E_ACCESS_DENIED);

  /* A child of ours gets a copy of our memory, not our sockets. */
  child_of_parent = fork();
  if(child_of_parent == 0){
    check("send(local) in a forked child: the parent's socket", send(local, "x", 2), E_ACCESS_DENIED);
    exit();
  }
  check("wait for the forked child", wait() == child_of_parent ? 0 : -1, 0);

  check("send(local, \"bye\")", send(local, "bye", 4), 0);
  check("recv(local) after the child disconnected", recv(local, buf, sizeof(buf)), E_CONNECTION_RESET_BY_REMOTE);
  check("wait for the listener", wait() == pid ? 0 : -1, 0);
}

/* The child connects to 64 ports the parent listens on in turn: the
 * parent's 65th socket is one too many. */
static void
socket_limit(void)
{
  int pid, i, r, listening = 0;

  pid = fork();
  if(pid == 0){
    for(i = 0; i < PER_TASK_SOCKETS; i++)
      if(connect_when_listening(MANY_BASE + i) < 0)
        break;
    exit();
  }
  for(i = 0; i < PER_TASK_SOCKETS; i++){
    r = listen(MANY_BASE + i);
    if(r != 0)
      break;
    listening++;
  }
  check("listen on 64 ports in turn", listening == PER_TASK_SOCKETS ? 0 : r, 0);
  check("listen for a 65th socket", listen(MANY_BASE + PER_TASK_SOCKETS), E_FAIL);
  for(i = 0; i < listening; i++){
    r = disconnect(MANY_BASE + i);
    if(r != 0)
      break;
  }
  check("disconnect the 64 sockets", r, 0);
  check("wait for the connecting child", wait() == pid ? 0 : -1, 0);
}

/* A buffer the calls cannot use fails that call alone with E_INVALID_ARG:
 * the program goes on, and a message it could not take stays whole. */
static void
bad_buffers(void)
{
  char buf[16];
  int pid, local;

  pid = fork();
  if(pid == 0){
    if(listen(BUFFER_PORT) == 0 && recv(BUFFER_PORT, buf, sizeof(buf)) == 0 && send(BUFFER_PORT, "hello", 6) == 0)
      recv(BUFFER_PORT, buf, sizeof(buf));
    exit();
  }
  local = connect_when_listening(BUFFER_PORT);
  check("connect(BUFFER_PORT) to the child", local > 0 ? 0 : local, 0);
  check("send(local, unmapped buffer, 10)", send(local, UNMAPPED, 10), E_INVALID_ARG);
  check("send(local, \"ping\")", send(local, "ping", 5), 0);
  check("recv(local, unmapped buffer, 10)", recv(local, UNMAPPED, 10), E_INVALID_ARG);
  memset(buf, 0, sizeof(buf));
  check("recv(local) after that: the message stayed whole",
        recv(local, buf, sizeof(buf)) == 0 && strcmp(buf, "hello") == 0 ? 0 : -1, 0);
  check("disconnect(local)", disconnect(local), 0);
  check("wait for the child", wait() == pid ? 0 : -1, 0);
}

int
main(void)
{
  arguments();
  ownership_and_reset();
  socket_limit();
  bad_buffers();
  printf(1, "sockerrs: %d passed, %d failed\n", passed, failed);
  return failed;
}
