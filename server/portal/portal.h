/*
 * portal.h - the customer portal (SPEC section 8): a contact's requests,
 * their conversations, replies with files and new requests, served as
 * HTML pages by the HTTP layer (http.h), with contacts' logins through the
 * auth layer's limiter and every read and write in portal_* SQL functions.
 */
#ifndef PORTAL_H
#define PORTAL_H

struct auth;
struct core;
struct http;
struct portal;

/*
 * Serve the portal on http (it becomes http's application).  The
 * stylesheet and the logo of portal.stylesheet and portal.logo are read
 * here, at start-up; NULL (logged) when one of them cannot be read.
 */
struct portal *portal_new(struct core *core, struct auth *auth,
                          struct http *http);
/* After the loop has run its last callbacks. */
void portal_free(struct portal *p);

#endif
