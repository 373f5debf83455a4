/*
 * html.h - writing HTML into a dk_buf with every value escaped for where
 * it goes: text between tags, a double-quoted attribute, a piece of a URL.
 * cgit's html.c (html_txt, html_attr, html_url_arg) is the model.  Markup
 * the program writes itself goes through html_raw(); nothing a person
 * typed ever does.
 */
#ifndef HTML_H
#define HTML_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct dk_buf;

/* Markup as it is (a literal of the program's own). */
void html_raw(struct dk_buf *b, const char *s);
/* Text content: & < > escaped (and " ', so text is safe in any place
 * where text may appear). */
void html_txt(struct dk_buf *b, const char *s);
void html_txt_n(struct dk_buf *b, const char *s, size_t n);
/* The value of a double-quoted attribute: the same escapes, and control
 * characters (a newline in a value) as character references. */
void html_attr(struct dk_buf *b, const char *s);
/* One component of a URL (a path segment or a query value): everything
 * but RFC 3986's unreserved characters percent-encoded.  The result is
 * safe in an attribute as it is. */
void html_url_arg(struct dk_buf *b, const char *s);
/*
 * printf for markup whose every %s is text to escape (as html_txt) and
 * every %d/%lld/%zu a number; "%%" a percent sign.  Only those
 * conversions: a format the program writes, never one it was sent.
 */
void html_printf(struct dk_buf *b, const char *fmt, ...);

#endif
