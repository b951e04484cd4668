/* printf(fd, format, ...) with xv6's conversions: %d, %x (upper-case
 * digits, as xv6 prints them), %p (the pointer in hex), %s (a null pointer
 * prints "(null)"), %c and %%; any other conversion prints as written.
 * The text is formatted first and written in one piece (xv6 writes byte
 * by byte), so a line never mixes with another task's output. */
#include "types.h"
#include "user.h"

struct output {
  int fd;
  int len;
  char buf[512];
};

static void
flush(struct output *out)
{
  if(out->len > 0)
    write(out->fd, out->buf, out->len);
  out->len = 0;
}

static void
put(struct output *out, char c)
{
  if(out->len == (int)sizeof(out->buf))
    flush(out);
  out->buf[out->len++] = c;
}

static void
put_number(struct output *out, unsigned long value, int base, int negative)
{
  static const char digits[] = "0123456789ABCDEF";
  char reversed[24];
  int n = 0;

  do {
    reversed[n++] = digits[value % base];
    value /= base;
  } while(value != 0);
  if(negative)
    put(out, '-');
  while(n > 0)
    put(out, reversed[--n]);
}

void
printf(int fd, const char *format, ...)
{
  struct output out;
  __builtin_va_list args;
  const char *s;
  int c, value, after_percent = 0;

  out.fd = fd;
  out.len = 0;
  __builtin_va_start(args, format);
  for(; (c = (uchar)*format) != 0; format++){
    if(!after_percent){
      if(c == '%')
        after_percent = 1;
      else
        put(&out, c);
      continue;
    }
    after_percent = 0;
    switch(c){
    case 'd':
      value = __builtin_va_arg(args, int);
      if(value < 0)
        put_number(&out, -(long)value, 10, 1);
      else
        put_number(&out, value, 10, 0);
      break;
    case 'x':
      put_number(&out, __builtin_va_arg(args, uint), 16, 0);
      break;
    case 'p':
      put_number(&out, (unsigned long)__builtin_va_arg(args, void*), 16, 0);
      break;
    case 's':
      s = __builtin_va_arg(args, const char*);
      if(s == 0)
        s = "(null)";
      while(*s != 0)
        put(&out, *s++);
      break;
    case 'c':
      put(&out, __builtin_va_arg(args, int));
      break;
    case '%':
      put(&out, '%');
      break;
    default:
      put(&out, '%');
      put(&out, c);
      break;
    }
  }
  __builtin_va_end(args);
  flush(&out);
}
