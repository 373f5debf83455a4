/*
 * mailhtml.h - an HTML mail part as the plain text a person would read,
 * with libxml2's HTML parser (it is forgiving, and knows every entity).
 */
#ifndef MAILHTML_H
#define MAILHTML_H

#include <stddef.h>

/*
 * html[0..len), UTF-8, as text; a new string the caller frees, never NULL.
 * Dropped: head, title, style, script, noscript, template, comments and
 * elements hidden with the hidden attribute or "display:none".  Kept:
 * paragraphs, headings, pre, blockquote ("> " lines), tables and lists as
 * blocks separated by a blank line; div, tr, li as lines; <br> as a line
 * break; list items as "- " or "1. " lines (nested ones indented); table
 * cells separated by " | " (empty cells leave no separator: mail lays out
 * with tables); links as "text <url>" (the URL alone once when the text
 * is the URL, "text <address>" for mailto:, nothing for "#..." or
 * javascript:); images as their alt text.  White space collapses as a
 * browser does, except in <pre>; U+00A0 becomes a space that does not
 * collapse.  Lines lose trailing blanks, and never more than one blank
 * line in a row.  Time and memory are linear in len; nothing is fetched.
 */
char *mail_html_text(const char *html, size_t len);

#endif
