/* forkecho [PORT]: an echo server and its client in one program, split by
 * fork. The parent listens on PORT (7 by default) and sends every message
 * back; the child connects to it, sends each console line and prints the
 * echo. At end of input (Ctrl-D) the child disconnects, the parent sees the
 * reset, collects the child with wait and ends.
 *
 * Every call's result is checked: a failure prints
 * "forkecho: SIDE: CALL failed: CODE" and ends that side (the server kills
 * the client first, which might wait for it forever). */
#include "types.h"
#include "user.h"
#include "signalcodes.h"

#define LINE_MAX 1100

static void
failed(char *who, char *call, int code)
{
  printf(1, "forkecho: %s: %s failed: %d\n", who, call, code);
}

/* The parent may not listen yet: try again while nobody listens, for at
 * most two seconds. */
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
client(int port)
{
  static char line[LINE_MAX], echo[LINE_MAX];
  int local, n, r;

  local = connect_when_listening(port);
  if(local < 0){
    failed("client", "connect", local);
    return;
  }
  printf(1, "client: connected to port %d\n", port);
  for(;;){
    gets(line, sizeof(line));
    n = strlen(line);
    if(n == 0)
      break;
    if(line[n-1] == '\n')
      line[--n] = 0;
    if((r = send(local, line, n + 1)) != 0){
      failed("client", "send", r);
      return;
    }
    if((r = recv(local, echo, sizeof(echo))) != 0){
      failed("client", "recv", r);
      return;
    }
    printf(1, "echo: %s\n", echo);
  }
  if((r = disconnect(local)) != 0)
    failed("client", "disconnect", r);
}

/* Answers each message with itself until the client is gone; returns how
 * many messages it echoed, or -1 after a failure. */
static int
server(int port)
{
  static char message[LINE_MAX];
  int r, count = 0;

  if((r = listen(port)) != 0){
    failed("server", "listen", r);
    return -1;
  }
  while((r = recv(port, message, sizeof(message))) == 0){
    if((r = send(port, message, strlen(message) + 1)) != 0){
      failed("server", "send", r);
      return -1;
    }
    count++;
  }
  /* The client's disconnect resets the connection: that is how it ends. */
  if(r != E_CONNECTION_RESET_BY_REMOTE){
    failed("server", "recv", r);
    return -1;
  }
  return count;
}

int
main(int argc, char *argv[])
{
  int port = 7, pid, count, ended;

  if(argc > 1)
    port = atoi(argv[1]);
  pid = fork();
  if(pid < 0){
    failed("server", "fork", pid);
    exit();
  }
  if(pid == 0){
    client(port);
    exit();
  }
  count = server(port);
  /* After a failure the client may wait for an answer that never comes. */
  if(count < 0 && kill(pid) != 0)
    failed("server", "kill", -1);
  ended = wait();
  if(ended != pid){
    failed("server", "wait", ended);
    exit();
  }
  if(count >= 0)
    printf(1, "server: echoed %d messages\n", count);
  exit();
}
