/* The string functions of xv6's user library, and gets. The memory
 * functions (memmove, memset), malloc and the system calls are in the Rust
 * runtime (user/c/rt). */
#include "types.h"
#include "user.h"

char*
strcpy(char *dst, const char *src)
{
  char *out = dst;

  while((*out++ = *src++) != 0)
    ;
  return dst;
}

int
strcmp(const char *a, const char *b)
{
  while(*a != 0 && *a == *b){
    a++;
    b++;
  }
  return (uchar)*a - (uchar)*b;
}

uint
strlen(const char *s)
{
  uint n = 0;

  while(s[n] != 0)
    n++;
  return n;
}

char*
strchr(const char *s, char c)
{
  for(; *s != 0; s++){
    if(*s == c)
      return (char*)s;
  }
  return 0;
}

/* Leading decimal digits as a number; nothing else is read (no sign). */
int
atoi(const char *s)
{
  int n = 0;

  while(*s >= '0' && *s <= '9')
    n = n * 10 + (*s++ - '0');
  return n;
}

/* One line from the console into buf, its line end included, zero
 * terminated; at most max-1 bytes. Empty at end of input. */
char*
gets(char *buf, int max)
{
  int i = 0;
  char c;

  while(i + 1 < max){
    if(read(0, &c, 1) < 1)
      break;
    buf[i++] = c;
    if(c == '\n' || c == '\r')
      break;
  }
  if(max > 0)
    buf[i] = 0;
  return buf;
}
