/*
 * mailhtml.c - HTML to text: libxml2 parses (recovering from anything),
 * and one walk over the tree writes text.  The walk is iterative, with
 * the parent pointers, so no nesting the parser allows can exhaust the
 * stack; white space is collapsed lazily (a pending space or line break
 * is written only when text follows), so output is appended, never
 * rewritten.
 */
#include "mailhtml.h"
#include "dk_buf.h"
#include "dk_mem.h"

#include <libxml/HTMLparser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define NEST_MAX 16 /* lists, tables and links remembered in full */

struct conv {
    struct dk_buf out;
    int want_nl; /* line ends the next text must follow (0..2) */
    bool space;  /* a collapsed space is pending */
    bool sep;    /* a cell separator is pending (table cell started) */
    int pre;     /* inside <pre> */
    int quote;   /* blockquote depth */
    int lists;   /* list depth */
    int ordered[NEST_MAX], item[NEST_MAX];
    int tables; /* table depth */
    int cells[NEST_MAX];
    int links; /* <a> depth */
    size_t link_start[NEST_MAX];
};

static int top(int depth)
{
    return depth > NEST_MAX ? NEST_MAX - 1 : depth - 1;
}

static bool name_is(const xmlNode *n, const char *name)
{
    return n->name && !xmlStrcasecmp(n->name, BAD_CAST name);
}

static bool name_in(const xmlNode *n, const char *const *names)
{
    for (; *names; names++)
        if (name_is(n, *names))
            return true;
    return false;
}

static bool at_line_start(const struct conv *c)
{
    return c->out.len == 0 || c->out.data[c->out.len - 1] == '\n';
}

/* What must come before the next text: line ends, a space or a cell
 * separator, then the blockquote marks of a new line. */
static void flush(struct conv *c)
{
    if (c->out.len > 0) {
        int have = 0;
        for (size_t i = c->out.len; i > 0 && have < 2; i--) {
            if (c->out.data[i - 1] != '\n')
                break;
            have++;
        }
        if (have < c->want_nl) {
            while (have++ < c->want_nl)
                dk_buf_addc(&c->out, '\n');
        } else if (c->sep && !at_line_start(c)) {
            dk_buf_adds(&c->out, " | ");
        } else if (c->space && !at_line_start(c)) {
            dk_buf_addc(&c->out, ' ');
        }
    }
    c->want_nl = 0;
    c->space = false;
    c->sep = false;
    if (c->quote > 0 && at_line_start(c))
        for (int i = 0; i < c->quote; i++)
            dk_buf_adds(&c->out, "> ");
}

static void block(struct conv *c, int lines)
{
    if (c->want_nl < lines)
        c->want_nl = lines;
    c->space = false;
    c->sep = false;
}

static void text(struct conv *c, const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned char ch = (unsigned char)s[i];
        size_t run = i;

        if (c->pre && ch == '\n') {
            flush(c);
            dk_buf_addc(&c->out, '\n');
            i++;
            continue;
        }
        if (!c->pre && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
                        ch == '\f')) {
            c->space = true;
            i++;
            continue;
        }
        if (ch == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] == 0xa0) {
            flush(c);
            dk_buf_addc(&c->out, ' ');
            i += 2;
            continue;
        }
        /* A run of ordinary bytes, written at once. */
        while (run < n) {
            unsigned char r = (unsigned char)s[run];
            bool ws =
                r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f';
            if ((c->pre ? r == '\n' : ws) ||
                (r == 0xc2 && run + 1 < n && (unsigned char)s[run + 1] == 0xa0))
                break;
            run++;
        }
        flush(c);
        dk_buf_add(&c->out, s + i, run - i);
        i = run;
    }
}

static void texts(struct conv *c, const char *s)
{
    text(c, s, strlen(s));
}

/* hidden, or a style attribute saying display:none (spaces anywhere). */
static bool hidden(xmlNode *n)
{
    xmlChar *style;
    char *squeezed;
    size_t o = 0;
    bool none;

    if (xmlHasProp(n, BAD_CAST "hidden"))
        return true;
    if (!(style = xmlGetProp(n, BAD_CAST "style")))
        return false;
    squeezed = dk_xmalloc(xmlStrlen(style) + 1);
    for (const xmlChar *p = style; *p; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            squeezed[o++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    squeezed[o] = '\0';
    none = strstr(squeezed, "display:none") != NULL;
    free(squeezed);
    xmlFree(style);
    return none;
}

static const char *const skipped[] = {"head",   "title",    "style",
                                      "script", "noscript", "template",
                                      "object", "applet",   NULL};
static const char *const paragraph[] = {
    "p",  "h1",  "h2",     "h3",         "h4",    "h5", "h6",
    "dl", "pre", "figure", "blockquote", "table", NULL};
static const char *const line[] = {
    "div",    "section",    "article", "header",  "footer",  "nav",
    "main",   "aside",      "address", "tr",      "dt",      "dd",
    "form",   "fieldset",   "center",  "caption", "details", "summary",
    "legend", "figcaption", "option",  NULL};

/* Entering element n; false: its subtree is not looked at. */
static bool enter(struct conv *c, xmlNode *n)
{
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        if (n->content)
            texts(c, (const char *)n->content);
        return false;
    }
    if (n->type != XML_ELEMENT_NODE)
        return false; /* comments, processing instructions, DTDs */
    if (name_in(n, skipped) || hidden(n))
        return false;
    if (name_is(n, "br")) {
        flush(c);
        dk_buf_addc(&c->out, '\n');
    } else if (name_is(n, "hr")) {
        block(c, 1);
        texts(c, "----");
        block(c, 1);
    } else if (name_is(n, "img")) {
        xmlChar *alt = xmlGetProp(n, BAD_CAST "alt");
        if (alt) {
            texts(c, (const char *)alt);
            xmlFree(alt);
        }
    } else if (name_is(n, "ul") || name_is(n, "ol")) {
        block(c, c->lists ? 1 : 2);
        c->lists++;
        c->ordered[top(c->lists)] = name_is(n, "ol");
        c->item[top(c->lists)] = 0;
    } else if (name_is(n, "li")) {
        int t = c->lists ? top(c->lists) : -1;
        char mark[32];
        block(c, 1);
        flush(c);
        for (int i = 1; i < c->lists; i++)
            dk_buf_adds(&c->out, "  ");
        if (t >= 0 && c->ordered[t])
            snprintf(mark, sizeof(mark), "%d. ", ++c->item[t]);
        else
            snprintf(mark, sizeof(mark), "- ");
        dk_buf_adds(&c->out, mark);
    } else if (name_is(n, "td") || name_is(n, "th")) {
        if (c->tables > 0) {
            if (c->cells[top(c->tables)]++ > 0 && !c->want_nl)
                c->sep = true;
        }
        c->space = !c->sep && !at_line_start(c);
    } else if (name_in(n, paragraph)) {
        block(c, 2);
        if (name_is(n, "pre"))
            c->pre++;
        else if (name_is(n, "blockquote"))
            c->quote++;
        else if (name_is(n, "table")) {
            c->tables++;
            c->cells[top(c->tables)] = 0;
        }
    } else if (name_in(n, line)) {
        block(c, 1);
        if (name_is(n, "tr") && c->tables > 0)
            c->cells[top(c->tables)] = 0;
    } else if (name_is(n, "a")) {
        c->links++;
        if (c->links <= NEST_MAX)
            c->link_start[c->links - 1] = c->out.len;
    }
    return true;
}

/* Whether the link's text already says where it goes. */
static bool says_url(const char *t, size_t tn, const char *url)
{
    size_t un = strlen(url);

    if (tn == un && !strncasecmp(t, url, un))
        return true;
    for (const char *scheme = url; *scheme; scheme++)
        if (!strncmp(scheme, "://", 3)) {
            url = scheme + 3;
            un = strlen(url);
            break;
        }
    if (un > 0 && url[un - 1] == '/')
        un--;
    if (tn > 0 && t[tn - 1] == '/')
        tn--;
    return tn == un && !strncasecmp(t, url, un);
}

static void link_end(struct conv *c, xmlNode *n, size_t start)
{
    xmlChar *href = xmlGetProp(n, BAD_CAST "href");
    const char *t = c->out.data ? c->out.data + start : "";
    size_t tn = c->out.len - start, o = 0;
    char *url;

    if (!href)
        return;
    /* The link's text, without the space or line ends before it. */
    while (tn > 0 && (*t == ' ' || *t == '\n')) {
        t++;
        tn--;
    }
    while (tn > 0 && (t[tn - 1] == ' ' || t[tn - 1] == '\n'))
        tn--;
    url = dk_xmalloc(xmlStrlen(href) + 1);
    for (const xmlChar *p = href; *p; p++)
        if (*p > ' ' && *p != 0x7f)
            url[o++] = (char)*p; /* a line break in an href means nothing */
    url[o] = '\0';
    xmlFree(href);
    if (!url[0] || url[0] == '#' || !strncasecmp(url, "javascript:", 11)) {
        free(url);
        return;
    }
    if (!strncasecmp(url, "mailto:", 7)) {
        char *q = strchr(url + 7, '?');
        if (q)
            *q = '\0';
        memmove(url, url + 7, strlen(url + 7) + 1);
        if (!url[0]) {
            free(url);
            return;
        }
    }
    if (!says_url(t, tn, url)) {
        flush(c);
        if (tn > 0 && !at_line_start(c))
            dk_buf_addc(&c->out, ' ');
        dk_buf_addc(&c->out, '<');
        dk_buf_adds(&c->out, url);
        dk_buf_addc(&c->out, '>');
    }
    free(url);
}

static void leave(struct conv *c, xmlNode *n)
{
    if (n->type != XML_ELEMENT_NODE)
        return;
    if (name_is(n, "ul") || name_is(n, "ol")) {
        c->lists--;
        block(c, c->lists ? 1 : 2);
    } else if (name_is(n, "li")) {
        block(c, 1);
    } else if (name_in(n, paragraph)) {
        if (name_is(n, "pre"))
            c->pre--;
        else if (name_is(n, "blockquote"))
            c->quote--;
        else if (name_is(n, "table"))
            c->tables--;
        block(c, 2);
    } else if (name_in(n, line)) {
        block(c, 1);
    } else if (name_is(n, "a")) {
        if (c->links <= NEST_MAX)
            link_end(c, n, c->link_start[c->links - 1]);
        c->links--;
    }
}

/* Trailing blanks off every line, at most one blank line in a row, no
 * blank lines at either end; in place, in one pass. */
static void tidy(struct dk_buf *b)
{
    size_t o = 0, line_start = 0;
    int newlines = 0;

    for (size_t i = 0; i < b->len; i++) {
        char ch = b->data[i];
        if (ch == '\n') {
            while (o > line_start && b->data[o - 1] == ' ')
                o--;
            if (o > 0 && newlines < 2)
                b->data[o++] = '\n';
            newlines++;
            line_start = o;
            continue;
        }
        newlines = 0;
        b->data[o++] = ch;
    }
    while (o > 0 && (b->data[o - 1] == ' ' || b->data[o - 1] == '\n'))
        o--;
    b->len = o;
    if (b->data)
        b->data[o] = '\0';
}

char *mail_html_text(const char *html, size_t len)
{
    struct conv c;
    htmlDocPtr doc;
    xmlNode *n;

    memset(&c, 0, sizeof(c));
    dk_buf_init(&c.out, 0);
    if (len == 0 || len > INT_MAX)
        return dk_xstrdup("");
    xmlInitParser();
    /* NONET: nothing is fetched; the HTML parser loads no DTD and expands
     * no external entity anyway. */
    doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
                         HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                             HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                             XML_PARSE_HUGE);
    if (!doc)
        return dk_xstrdup("");
    dk_buf_reserve(&c.out, len / 2 + 1);
    n = doc->children;
    while (n) {
        bool entered = enter(&c, n);
        if (entered && n->children) {
            n = n->children;
            continue;
        }
        if (entered)
            leave(&c, n);
        while (n && !n->next) {
            n = n->parent;
            if (!n || n == (xmlNode *)doc) {
                n = NULL;
                break;
            }
            leave(&c, n);
        }
        if (n)
            n = n->next;
    }
    xmlFreeDoc(doc);
    tidy(&c.out);
    return dk_buf_steal(&c.out, NULL);
}
