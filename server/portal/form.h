/*
 * form.h - what a browser sends the portal, read by libraries: query
 * strings and application/x-www-form-urlencoded bodies by liburiparser,
 * multipart/form-data by GMime, and the Cookie header.  No I/O and no
 * server state, so that unit tests and fuzzers can give them anything.
 */
#ifndef FORM_H
#define FORM_H

#include <stdbool.h>
#include <stddef.h>

/* One field of a form: a value, or (multipart only) a file. */
struct form_field {
    char *name;  /* owned, NUL-terminated */
    char *value; /* owned, NUL-terminated; may hold NULs (value_len) */
    size_t value_len;
    bool is_file;       /* multipart: the part had a filename parameter */
    char *filename;     /* owned; as sent (not yet made safe), or NULL */
    char *content_type; /* owned; the part's type, or NULL */
};

struct form {
    struct form_field *v; /* owned */
    size_t n;
};

/* Limits on a form: beyond them a parse fails (too many fields, a name
 * or value too long, too many files) and says so in err.  A name is at
 * most FORM_MAX_NAME bytes and a value (not a file) at most
 * FORM_MAX_VALUE bytes, both as decoded. */
#define FORM_MAX_FIELDS 64
#define FORM_MAX_NAME   64
#define FORM_MAX_VALUE  (1024 * 1024)

/*
 * GMime's one-time set-up (g_mime_init()), which form_parse_multipart()
 * and form_watch_init() need: docketd's main() calls it at start-up,
 * unit tests and fuzzers before their first case.  Idempotent.
 */
void form_init(void);

/*
 * Parse a query string or an urlencoded body ("a=1&b=x+y"; '+' is a
 * space, %XX decoded) into f.  0, or -1 with err set (malformed escape,
 * a raw NUL, too many fields, a name or value too long, a name holding
 * %00); f is empty after a failure.  A field without '=' has the value
 * "".  Values may hold any bytes (check them with value_len).
 */
int form_parse_urlencoded(struct form *f, const char *s, size_t len, char *err,
                          size_t errlen);
/*
 * Parse a multipart/form-data body, content_type being the request's
 * Content-Type header (with its boundary).  Files beyond max_files or
 * larger than max_file bytes fail the parse (the caller answers 413), and
 * so do more than FORM_MAX_FIELDS parts or a value (not a file) over
 * FORM_MAX_VALUE.  0, -1 with err (malformed), or -2 with err (over a
 * limit); f is empty after a failure.  Every part must have
 * "Content-Disposition: form-data; name=..."; a part with a filename
 * parameter is a file, its content decoded (Content-Transfer-Encoding).
 * A file sent as message/... or multipart/... (an .eml, an .mht) is
 * parsed by GMime like any MIME entity and comes back as GMime writes it
 * out again: same content, but line endings may differ from the upload.
 * form_init() must have run.
 */
int form_parse_multipart(struct form *f, const char *content_type,
                         const char *body, size_t len, size_t max_file,
                         size_t max_files, char *err, size_t errlen);
/* The first non-file field called name, or NULL. */
const char *form_get(const struct form *f, const char *name);
/* The i-th file field called name (i from 0), or NULL; empty file inputs
 * (no filename and no bytes, as a browser sends for "no file chosen") are
 * not counted. */
const struct form_field *form_file(const struct form *f, const char *name,
                                   size_t i);
void form_free(struct form *f);

/*
 * The value of cookie name in a Cookie header ("a=1; b=2"), copied into
 * out (NUL-terminated), without the DQUOTEs that may wrap it.  Only the
 * first pair called name counts.  False when it is absent, empty, longer
 * than outlen - 1, or not made of cookie-octets (RFC 6265 4.1.1).
 */
bool form_cookie(const char *header, const char *name, char *out,
                 size_t outlen);

/*
 * Watching a multipart body while it arrives, before it is parsed: the
 * number of parts and the size of each, so that a request over a limit is
 * refused (413) before the rest is read.  A scanner for the boundary
 * lines only; the parsing is GMime's, on the whole body.
 */
struct form_watch {
    char boundary[80]; /* "\r\n--" + the boundary */
    size_t blen;
    size_t matched;         /* bytes of the delimiter matched so far */
    unsigned char fail[80]; /* KMP failure function of boundary */
    size_t part_len;        /* bytes of the current part so far */
    size_t parts;           /* delimiters seen (parts + 1 for a whole body) */
    size_t max_part, max_parts;
    bool active; /* false: not multipart, nothing is watched */
    bool over;   /* a limit was passed */
};

/*
 * Watch a body of content_type (only multipart/form-data with a boundary
 * of at most 70 bytes is watched; anything else leaves w inactive, and
 * form_parse_multipart() will refuse it); max_part bytes per part,
 * max_parts parts (a file is one part, and so is each other field).  A
 * part's size is every byte between two delimiters, its headers included:
 * give max_part some slack over the largest file.  The delimiter is
 * "\r\n--boundary" (the first one may open the body without the CRLF);
 * a body that separates parts with bare LFs is watched as one part, which
 * only makes the limit stricter.  form_init() must have run.
 */
void form_watch_init(struct form_watch *w, const char *content_type,
                     size_t max_part, size_t max_parts);
/* Feed the next bytes, in any chunks (the result does not depend on
 * where they are cut): 0, or -1 once a limit is passed (a part over
 * max_part bytes, more than max_parts + 1 delimiters), and from then on. */
int form_watch_feed(struct form_watch *w, const char *data, size_t len);

#endif
